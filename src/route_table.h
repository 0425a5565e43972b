// The kernel's routes to device addresses (README "Several concentrators"):
// the routes of one protocol via one interface in one table, listed, added
// and removed through rtnetlink (libnl-route-3). Changes go in batches, so
// that a reconcile at 100 000 peers is some hundred messages to the kernel,
// not 100 000 round trips.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ip6.h"
#include "result.h"

namespace autowg {

// The protocol number autowg's routes carry unless --route-protocol says
// otherwise; /etc/iproute2/rt_protos.d/autowg.conf names it "autowg".
inline constexpr uint8_t kDefaultRouteProtocol = 51;
inline constexpr uint32_t kMainTable = 254;

struct RouteSettings {
  uint32_t table = 0;  // 0: autowg keeps no routes
  uint8_t protocol = kDefaultRouteProtocol;
  bool enabled() const { return table != 0; }
};

// What a batch could not do: the prefixes it failed on, and why the first
// of them failed.
struct RouteFailures {
  std::vector<Prefix> prefixes;
  std::string reason;
  bool empty() const { return prefixes.empty(); }
};

class RouteTable {
 public:
  virtual ~RouteTable() = default;
  // Every IPv6 route of the protocol via the interface in the table.
  virtual Result<std::vector<Prefix>> list() = 0;
  // Adds `PREFIX dev IFACE proto P` to the table for each prefix. A route of
  // another protocol to the same prefix is never replaced: that prefix fails.
  virtual RouteFailures add(const std::vector<Prefix>& prefixes) = 0;
  // Removes the protocol's route to each prefix; one already gone counts as
  // removed. Routes of other protocols are never touched.
  virtual RouteFailures remove(const std::vector<Prefix>& prefixes) = 0;
  // "table 254 proto 51 dev wg0", for log lines.
  virtual std::string describe() const = 0;
};

std::unique_ptr<RouteTable> make_netlink_route_table(const std::string& interface, const RouteSettings& settings);

}  // namespace autowg
