#include "route_sync.h"

#include <chrono>
#include <unordered_set>

#include "log.h"
#include "text.h"

namespace autowg {
namespace {

Prefix host(const Address& address) { return Prefix(address, 128); }

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

void RouteSync::added(const Address& address) {
  auto failed = table_.add({host(address)});
  if (failed.empty()) return;
  ++failures_;
  log_event(LogLevel::Error, "route", {{"action", "add"}, {"ip", address.str()}, {"reason", failed.reason},
                                       {"retry", "at the next read of the interface"}});
}

void RouteSync::removed(const Address& address) {
  auto failed = table_.remove({host(address)});
  if (failed.empty()) return;
  ++failures_;
  log_event(LogLevel::Error, "route", {{"action", "remove"}, {"ip", address.str()}, {"reason", failed.reason},
                                       {"retry", "at the next read of the interface"}});
}

// Orphans go first: a route autowg no longer wants never outlives the sync,
// even when adding the missing ones fails.
void RouteSync::synced(const std::vector<Address>& held) {
  double start = now_seconds();
  SyncReport report;
  auto listed = table_.list();
  if (!listed) {
    ++failures_;
    log_event(LogLevel::Error, "routes", {{"reason", listed.error()}, {"retry", "at the next read of the interface"}});
    return;
  }
  std::unordered_set<Address, AddressHash> wanted(held.begin(), held.end());
  std::unordered_set<Address, AddressHash> present;
  present.reserve(listed->size());
  std::vector<Prefix> orphans;
  for (const Prefix& prefix : *listed) {
    if (prefix.length() == 128 && wanted.count(prefix.network()) && present.insert(prefix.network()).second)
      continue;
    orphans.push_back(prefix);
  }
  std::vector<Prefix> missing;
  for (const Address& address : wanted)
    if (!present.count(address)) missing.push_back(host(address));

  auto not_removed = table_.remove(orphans);
  auto not_added = table_.add(missing);
  report.kept = present.size();
  report.removed = orphans.size() - not_removed.prefixes.size();
  report.added = missing.size() - not_added.prefixes.size();
  report.failed = not_removed.prefixes.size() + not_added.prefixes.size();
  report.seconds = now_seconds() - start;
  failures_ += report.failed;
  last_ = report;
  if (report.added == 0 && report.removed == 0 && report.failed == 0) return;
  std::string reason = !not_removed.empty() ? not_removed.reason : not_added.reason;
  log_event(report.failed ? LogLevel::Error : LogLevel::Info, "routes",
            {{"routes", table_.describe()},
             {"kept", std::to_string(report.kept)},
             {"added", std::to_string(report.added)},
             {"removed", std::to_string(report.removed)},
             {"failed", std::to_string(report.failed)},
             {"seconds", fixed_decimals(report.seconds, 3)},
             {"reason", reason.empty() ? "-" : reason}});
}

std::unique_ptr<RouteSync> follow_routes(Registry& registry, const std::string& interface,
                                         const RouteSettings& settings) {
  if (!settings.enabled()) return nullptr;
  auto table = make_netlink_route_table(interface, settings);
  log_event(LogLevel::Info, "routes", {{"routes", table->describe()}, {"action", "following the pool"}});
  auto sync = std::make_unique<RouteSync>(std::move(table));
  registry.observe(sync.get());
  return sync;
}

Result<size_t> remove_all_routes(RouteTable& table) {
  auto listed = table.list();
  if (!listed) return fail(listed.error());
  auto failed = table.remove(*listed);
  if (!failed.empty())
    return fail(std::to_string(failed.prefixes.size()) + " of " + std::to_string(listed->size()) +
                " routes not removed: " + failed.reason);
  return listed->size();
}

}  // namespace autowg
