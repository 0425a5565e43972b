#include "lifecycle.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "log.h"
#include "text.h"

namespace autowg {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::string_view reason_name(EvictionReason reason) {
  switch (reason) {
    case EvictionReason::Revoked: return "revoked";
    case EvictionReason::Denied: return "denied";
    case EvictionReason::Expired: return "expired";
    case EvictionReason::Idle: return "idle";
    case EvictionReason::Operator: return "operator";
    case EvictionReason::Cleanup: return "cleanup";
  }
  return "?";
}

void log_eviction(const Eviction& e, EvictionReason reason) {
  // Warning: a device loses its tunnel, which an operator wants to see.
  log_event(LogLevel::Warning, "evict",
            {{"reason", std::string(reason_name(reason))}, {"name", e.name}, {"ip", e.address.str()},
             {"key", e.key.fingerprint()}, {"serial", e.cert.serial.empty() ? "-" : e.cert.serial},
             {"issuer", e.cert.issuer.empty() ? "-" : e.cert.issuer},
             {"not_after", e.cert.not_after ? std::to_string(e.cert.not_after) : "-"}});
}

void Lifecycle::log_crl_loaded(double seconds, std::optional<size_t> evicted) const {
  std::string revoked = std::to_string(crl_.size()), load_seconds = fixed_decimals(seconds, 4);
  if (evicted)
    log_event(LogLevel::Info, "crl",
              {{"file", settings_.crl_path}, {"revoked", revoked}, {"evicted", std::to_string(*evicted)},
               {"load_seconds", load_seconds}});
  else
    log_event(LogLevel::Info, "crl",
              {{"file", settings_.crl_path}, {"revoked", revoked}, {"load_seconds", load_seconds}});
}

Lifecycle::Lifecycle(LifecycleSettings settings, Registry& registry, std::function<int64_t()> unix_now)
    : settings_(std::move(settings)), registry_(registry), now_(std::move(unix_now)) {}

std::optional<std::string> Lifecycle::load() {
  if (!settings_.crl_path.empty()) {
    auto started = std::chrono::steady_clock::now();
    auto crl = RevocationList::load(settings_.crl_path, settings_.crl_ca_path, &crl_cas_);
    if (!crl) return "--crl: " + crl.error();
    crl_ = std::move(*crl);
    log_crl_loaded(seconds_since(started), std::nullopt);
  }
  if (!settings_.deny_path.empty()) {
    auto deny = DenyList::load(settings_.deny_path);
    if (!deny) return "--deny-file: " + deny.error();
    deny_ = std::move(*deny);
    log_event(LogLevel::Info, "deny-file", {{"file", settings_.deny_path}, {"names", std::to_string(deny_.size())}});
  }
  return std::nullopt;
}

void Lifecycle::reload_crl() {
  if (settings_.crl_path.empty()) return;
  auto started = std::chrono::steady_clock::now();
  auto crl = RevocationList::load(settings_.crl_path, settings_.crl_ca_path, &crl_cas_);
  double took = seconds_since(started);
  if (!crl) {
    log_event(LogLevel::Error, "crl",
              {{"file", settings_.crl_path}, {"reason", crl.error()},
               {"action", "ignored; the previous list (" + std::to_string(crl_.size()) + " revoked) stays"}});
    return;
  }
  // The evictions first: neither freeing the previous list nor the line
  // that tells of the new one need hold them up.
  RevocationList previous = std::exchange(crl_, std::move(*crl));
  size_t evicted = sweep_revoked();
  log_crl_loaded(took, evicted);
}

void Lifecycle::reload_deny_list() {
  if (settings_.deny_path.empty()) return;
  auto deny = DenyList::load(settings_.deny_path);
  if (!deny) {
    log_event(LogLevel::Error, "deny-file",
              {{"file", settings_.deny_path}, {"reason", deny.error()},
               {"action", "ignored; the previous list (" + std::to_string(deny_.size()) + " names) stays"}});
    return;
  }
  deny_ = std::move(*deny);
  log_event(LogLevel::Info, "deny-file", {{"file", settings_.deny_path}, {"names", std::to_string(deny_.size())}});
  sweep_denied();
}

std::optional<Lifecycle::Refused> Lifecycle::refusal(const Name& name, const CertRecord& cert) const {
  if (deny_.denied(name.value)) return Refused{EvictionReason::Denied, "the device is denied (--deny-file)"};
  if (!cert.serial.empty() && crl_.revoked(cert.serial, cert.issuer))
    return Refused{EvictionReason::Revoked, "the certificate (serial " + cert.serial + ") is revoked"};
  if (cert.not_after && cert.not_after + settings_.expiry_grace <= now_())
    return Refused{EvictionReason::Expired, "the certificate expired"};
  return std::nullopt;
}

void Lifecycle::sweep_all() {
  sweep_revoked();
  sweep_denied();
  sweep_expired();
  sweep_idle();
}

size_t Lifecycle::sweep_revoked() {
  std::vector<std::string> doomed;
  crl_.visit_serials([&](const std::string& serial) {
    auto names = registry_.names_with_serial(
        serial, [&](const CertRecord& cert) { return crl_.revoked(cert.serial, cert.issuer); });
    doomed.insert(doomed.end(), names.begin(), names.end());
  });
  return evict(doomed, EvictionReason::Revoked);
}

void Lifecycle::sweep_denied() {
  std::vector<std::string> doomed(deny_.names().begin(), deny_.names().end());
  evict(doomed, EvictionReason::Denied);
}

void Lifecycle::sweep_expired() {
  evict(registry_.names_expiring_before(now_() - settings_.expiry_grace + 1), EvictionReason::Expired);
}

void Lifecycle::sweep_idle() {
  if (settings_.idle_timeout <= 0) return;
  evict(registry_.names_idle_since(now_() - settings_.idle_timeout), EvictionReason::Idle);
}

int64_t Lifecycle::next_expiry() const {
  int64_t earliest = registry_.earliest_expiry();
  return earliest ? earliest + settings_.expiry_grace : 0;
}

// One change for all of them; names that are not registered (a deny list
// names devices that may never have come) are simply not there.
size_t Lifecycle::evict(const std::vector<std::string>& names, EvictionReason reason) {
  if (names.empty()) return 0;
  auto evicted = registry_.evict(names);
  if (!evicted) {
    log_event(LogLevel::Error, "evict",
              {{"reason", std::string(reason_name(reason))}, {"error", evicted.error().reason},
               {"action", "tried again at the next change or sweep"}});
    return 0;
  }
  for (const auto& e : *evicted) log_eviction(e, reason);
  if (observer_ && !evicted->empty()) observer_(reason, evicted->size());
  return evicted->size();
}

}  // namespace autowg
