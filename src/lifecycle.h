// The device lifecycle: who may no longer have a tunnel, and taking their
// peers off the interface. A revoked serial (--crl), a denied name
// (--deny-file), a certificate past its notAfter (+ --expiry-grace) and a
// peer with no handshake for --idle-timeout each evict; the first three also
// refuse a registration (403). Every eviction is one change on the
// interface and one log line per device.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "deny_list.h"
#include "registry.h"
#include "revocation.h"

namespace autowg {

enum class EvictionReason { Revoked, Denied, Expired, Idle, Operator, Cleanup };

std::string_view reason_name(EvictionReason reason);

// level=warning event=evict reason=… name=… ip=… key=… serial=… issuer=… not_after=…
void log_eviction(const Eviction& eviction, EvictionReason reason);

struct LifecycleSettings {
  std::string crl_path;     // empty: no CRL
  std::string crl_ca_path;  // empty: CRL signatures are not checked
  std::string deny_path;    // empty: no deny list
  int64_t expiry_grace = 0;
  int64_t idle_timeout = 0;  // 0: off
};

class Lifecycle {
 public:
  using Observer = std::function<void(EvictionReason, size_t count)>;
  Lifecycle(LifecycleSettings settings, Registry& registry, std::function<int64_t()> unix_now);

  // Loads the files at start; an error is fatal there (the message says
  // which file and why).
  std::optional<std::string> load();
  // Re-reads them (a change seen, or SIGHUP). A file that does not load is
  // logged and the previous list stays in force: nobody is evicted by a
  // broken file. A list that loads evicts at once whom it names.
  void reload_crl();
  void reload_deny_list();

  // Applies the lists and the clock to the peers already registered (at
  // start, after the first read of the interface).
  void sweep_all();

  // Why this device may not register now (a 403), if it may not.
  struct Refused {
    EvictionReason reason;  // revoked, denied or expired
    std::string text;
  };
  std::optional<Refused> refusal(const Name& name, const CertRecord& cert) const;

  // Evicts the peers whose certificates have expired, and (when on) those
  // idle for --idle-timeout as of the last read of the interface.
  void sweep_expired();
  void sweep_idle();
  // When the next certificate expires, grace included (Unix seconds; 0: none).
  int64_t next_expiry() const;

  const LifecycleSettings& settings() const { return settings_; }
  void observe(Observer observer) { observer_ = std::move(observer); }

 private:
  size_t evict(const std::vector<std::string>& names, EvictionReason reason);
  void log_crl_loaded(double seconds, std::optional<size_t> evicted) const;
  size_t sweep_revoked();
  void sweep_denied();

  LifecycleSettings settings_;
  Registry& registry_;
  std::function<int64_t()> now_;
  RevocationList crl_;
  CrlCaCache crl_cas_;
  DenyList deny_;
  Observer observer_;
};

}  // namespace autowg
