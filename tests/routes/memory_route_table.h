// An in-memory routing table with the kernel's rules for what autowg asks of
// it: routes are keyed by prefix (one metric), each with its protocol; an add
// never replaces another protocol's route; a remove takes only the
// protocol's own. Failures can be injected per prefix or for the whole table.
#pragma once

#include <map>
#include <set>
#include <string>

#include "route_table.h"

namespace autowg::testing {

class MemoryRouteTable : public RouteTable {
 public:
  explicit MemoryRouteTable(uint8_t protocol = kDefaultRouteProtocol) : protocol_(protocol) {}

  std::map<std::string, int> routes;  // prefix text → protocol
  std::set<std::string> refuse;       // prefixes whose add or remove fails
  bool down = false;                  // every call fails, as when the interface is gone
  int lists = 0, adds = 0, removes = 0;  // calls (batches), not routes

  void put(const std::string& prefix, int protocol) { routes[Prefix::parse(prefix)->str()] = protocol; }
  std::set<std::string> ours() const {
    std::set<std::string> out;
    for (const auto& [prefix, protocol] : routes)
      if (protocol == protocol_) out.insert(prefix);
    return out;
  }

  Result<std::vector<Prefix>> list() override {
    ++lists;
    if (down) return fail("no interface wg0");
    std::vector<Prefix> out;
    for (const auto& [prefix, protocol] : routes)
      if (protocol == protocol_) out.push_back(*Prefix::parse(prefix));
    return out;
  }
  RouteFailures add(const std::vector<Prefix>& prefixes) override {
    ++adds;
    return each(prefixes, [&](const std::string& p) {
      auto it = routes.find(p);
      if (it != routes.end()) return it->second == protocol_ ? "exists" : "a route of another protocol";
      routes[p] = protocol_;
      return "";
    });
  }
  RouteFailures remove(const std::vector<Prefix>& prefixes) override {
    ++removes;
    return each(prefixes, [&](const std::string& p) {
      auto it = routes.find(p);
      if (it != routes.end() && it->second == protocol_) routes.erase(it);
      return "";
    });
  }
  std::string describe() const override { return "table 254 proto " + std::to_string(protocol_) + " dev wg0"; }

 private:
  template <typename Apply>
  RouteFailures each(const std::vector<Prefix>& prefixes, Apply apply) {
    RouteFailures failures;
    for (const auto& prefix : prefixes) {
      std::string text = prefix.str();
      std::string reason = down ? "no interface wg0" : refuse.count(text) ? "injected failure" : apply(text);
      if (reason.empty()) continue;
      failures.prefixes.push_back(prefix);
      if (failures.reason.empty()) failures.reason = text + ": " + reason;
    }
    return failures;
  }
  int protocol_;
};

}  // namespace autowg::testing
