// The policy of the device routes (README "Several concentrators"): the
// route table holds `ADDRESS/128 dev IFACE proto P` for exactly the pool
// addresses that a peer holds. A registration that makes an address held
// adds its route, an eviction removes it, and each full read of the
// interface makes the whole table agree (missing routes added, orphans
// removed). Failures are logged and mended at the next read; they never
// refuse a registration.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ip6.h"
#include "registry.h"
#include "result.h"
#include "route_table.h"

namespace autowg {

class RouteSync : public PoolObserver {
 public:
  explicit RouteSync(RouteTable& table) : table_(table) {}
  explicit RouteSync(std::unique_ptr<RouteTable> table) : owned_(std::move(table)), table_(*owned_) {}

  void added(const Address& address) override;
  void removed(const Address& address) override;
  void synced(const std::vector<Address>& held) override;

  // What the last full sync did.
  struct SyncReport {
    size_t kept = 0, added = 0, removed = 0, failed = 0;
    double seconds = 0;
  };
  const SyncReport& last_sync() const { return last_; }
  // Routes that could not be added or removed since the start.
  uint64_t failures() const { return failures_; }

 private:
  std::unique_ptr<RouteTable> owned_;
  RouteTable& table_;
  SyncReport last_;
  uint64_t failures_ = 0;
};

// The routes of `interface` following `registry` (the kernel's table through
// rtnetlink); null when `settings` keep no routes.
std::unique_ptr<RouteSync> follow_routes(Registry& registry, const std::string& interface,
                                         const RouteSettings& settings);

// `autowg cleanup`: removes every route of the protocol via the interface
// in the table; the number removed.
Result<size_t> remove_all_routes(RouteTable& table);

}  // namespace autowg
