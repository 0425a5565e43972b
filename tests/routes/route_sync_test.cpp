#include <catch2/catch.hpp>

#include "../unit/fake_backend.h"
#include "log.h"
#include "memory_route_table.h"
#include "options.h"
#include "registry.h"
#include "route_sync.h"

using namespace autowg;
using namespace autowg::testing;

namespace {

const Prefix kPool = *Prefix::parse("fde3:25fb:7f6c:1::/64");
constexpr int kOther = 4;  // a static route's protocol

Address addr(const std::string& text) { return *Address::parse(text); }
std::set<std::string> routes(std::initializer_list<const char*> addresses) {
  std::set<std::string> out;
  for (const char* a : addresses) out.insert(std::string(a) + "/128");
  return out;
}

// The log lines written while it lives.
struct LogCapture {
  std::vector<std::string> lines;
  LogCapture() {
    set_log_sink([this](const std::string& line) { lines.push_back(line); });
  }
  ~LogCapture() { set_log_sink(nullptr); }
  size_t count(const std::string& fragment) const {
    size_t n = 0;
    for (const auto& l : lines) n += l.find(fragment) != std::string::npos;
    return n;
  }
};

// A registry on a fake interface whose route table follows it.
struct Fixture {
  FakeBackend backend;
  MemoryRouteTable table;
  RouteSync sync{table};
  Registry registry{backend, kPool, nullptr, Clock{[] { return int64_t(1735689600); }, [] { return 1000.0; }}, 60.0};

  Fixture() {
    // A static peer, one with a range inside the pool, and an unnamed pool peer.
    backend.device.peers.push_back(Peer{key_of(500), {ip_of("fde3:25fb:7f6c::2/128"), ip_of("10.0.0.2/32")}});
    backend.device.peers.push_back(Peer{key_of(501), {ip_of("fde3:25fb:7f6c:1:8000::/65")}});
    backend.device.peers.push_back(Peer{key_of(70), {ip_of("fde3:25fb:7f6c:1::70/128")}});
    registry.observe(&sync);
  }
  bool reg(const char* name, int key) {
    return bool(registry.register_peer(Name{name}, addr(std::string("fde3:25fb:7f6c:1::") + name), key_of(key)));
  }
};

}  // namespace

TEST_CASE("a full read makes the table hold exactly the held pool addresses") {
  Fixture f;
  f.table.put("fde3:25fb:7f6c:1::99/128", kDefaultRouteProtocol);  // an orphan of an earlier run
  f.table.put("fde3:25fb:7f6c:1::/64", kDefaultRouteProtocol);     // ours too: not a device route
  f.table.put("fde3:25fb:7f6c:1::5/128", kOther);                  // another protocol's: never touched
  f.table.put("fde3:25fb:7f6c::/48", kOther);
  LogCapture log;
  REQUIRE_FALSE(f.registry.reconcile());
  CHECK(f.table.ours() == routes({"fde3:25fb:7f6c:1::70"}));  // the unnamed peer; not the static ones
  CHECK(f.table.routes.at("fde3:25fb:7f6c:1::5/128") == kOther);
  CHECK(f.table.routes.at("fde3:25fb:7f6c::/48") == kOther);
  CHECK(f.sync.last_sync().added == 1);
  CHECK(f.sync.last_sync().removed == 2);
  CHECK(log.count("event=routes routes=\"table 254 proto 51 dev wg0\" kept=0 added=1 removed=2 failed=0") == 1);
  log.lines.clear();
  REQUIRE_FALSE(f.registry.reconcile());
  CHECK(f.sync.last_sync().kept == 1);
  CHECK(log.count("event=routes") == 0);  // nothing to do: nothing said
}

TEST_CASE("a registration adds its route; a new key keeps it; an eviction removes it") {
  Fixture f;
  REQUIRE_FALSE(f.registry.reconcile());
  REQUIRE(f.reg("1234", 1));
  CHECK(f.table.ours() == routes({"fde3:25fb:7f6c:1::70", "fde3:25fb:7f6c:1::1234"}));
  int adds = f.table.adds;
  REQUIRE(f.reg("1234", 2));  // the device re-registers with a new key: same address, same route
  CHECK(f.table.adds == adds);
  CHECK(f.table.ours() == routes({"fde3:25fb:7f6c:1::70", "fde3:25fb:7f6c:1::1234"}));
  REQUIRE(f.reg("70", 3));  // takes over the unnamed peer's address: the route stays
  CHECK(f.table.adds == adds);
  auto evicted = f.registry.evict({"1234", "70"});
  REQUIRE(evicted);
  CHECK(evicted->size() == 2);
  CHECK(f.table.ours().empty());
}

TEST_CASE("a peer removed behind autowg's back loses its route at the next read") {
  Fixture f;
  REQUIRE_FALSE(f.registry.reconcile());
  REQUIRE(f.reg("1", 1));
  REQUIRE(f.reg("2", 2));
  f.backend.remove(key_of(1));  // wg set wg0 peer ... remove
  f.table.routes.erase("fde3:25fb:7f6c:1::2/128");  // ip route del ...
  REQUIRE_FALSE(f.registry.reconcile());
  CHECK(f.table.ours() == routes({"fde3:25fb:7f6c:1::70", "fde3:25fb:7f6c:1::2"}));
}

TEST_CASE("a re-created interface leaves routes only for what it holds") {
  Fixture f;
  REQUIRE_FALSE(f.registry.reconcile());
  REQUIRE(f.reg("1", 1));
  f.backend.recreate();
  REQUIRE(f.reg("2", 2));  // the registry notices, reads again, then registers
  CHECK(f.table.ours() == routes({"fde3:25fb:7f6c:1::2"}));
}

TEST_CASE("route failures are logged, never refuse a registration, and are mended at the next read") {
  Fixture f;
  REQUIRE_FALSE(f.registry.reconcile());
  LogCapture log;
  f.table.refuse.insert("fde3:25fb:7f6c:1::1/128");
  CHECK(f.reg("1", 1));
  CHECK(f.sync.failures() == 1);
  CHECK(log.count("level=error event=route action=add ip=fde3:25fb:7f6c:1::1 reason=\"fde3:25fb:7f6c:1::1/128: "
                  "injected failure\" retry=\"at the next read of the interface\"") == 1);
  f.table.refuse.clear();
  REQUIRE_FALSE(f.registry.reconcile());
  CHECK(f.table.ours() == routes({"fde3:25fb:7f6c:1::70", "fde3:25fb:7f6c:1::1"}));

  f.table.refuse.insert("fde3:25fb:7f6c:1::1/128");
  REQUIRE(f.registry.evict({"1"}));
  CHECK(log.count("event=route action=remove ip=fde3:25fb:7f6c:1::1 ") == 1);
  f.table.refuse.clear();
  REQUIRE_FALSE(f.registry.reconcile());
  CHECK(f.table.ours() == routes({"fde3:25fb:7f6c:1::70"}));
}

TEST_CASE("a table that cannot be read is logged and left alone") {
  Fixture f;
  f.table.put("fde3:25fb:7f6c:1::99/128", kDefaultRouteProtocol);
  f.table.down = true;
  LogCapture log;
  REQUIRE_FALSE(f.registry.reconcile());  // the registry itself is fine
  CHECK(log.count("level=error event=routes reason=\"no interface wg0\"") == 1);
  CHECK(f.reg("1", 1));
  f.table.down = false;
  CHECK(f.table.ours() == routes({"fde3:25fb:7f6c:1::99"}));
  REQUIRE_FALSE(f.registry.reconcile());
  CHECK(f.table.ours() == routes({"fde3:25fb:7f6c:1::70", "fde3:25fb:7f6c:1::1"}));
}

TEST_CASE("a route of another protocol to a device's address is not taken over, and says so") {
  Fixture f;
  f.table.put("fde3:25fb:7f6c:1::70/128", kOther);
  LogCapture log;
  REQUIRE_FALSE(f.registry.reconcile());
  CHECK(f.table.routes.at("fde3:25fb:7f6c:1::70/128") == kOther);
  CHECK(f.sync.last_sync().failed == 1);
  CHECK(log.count("level=error event=routes ") == 1);
  CHECK(log.count("a route of another protocol") == 1);
}

TEST_CASE("a sync at 100 000 addresses is one list, one batch of removals and one of additions") {
  MemoryRouteTable table;
  RouteSync sync(table);
  std::vector<Address> held;
  for (int i = 0; i < 100000; ++i) {
    Address::Bytes b = kPool.network().bytes();
    b[13] = uint8_t(i >> 16), b[14] = uint8_t(i >> 8), b[15] = uint8_t(i);
    held.emplace_back(b);
    if (i % 2 == 0) table.put(Prefix(held.back(), 128).str(), kDefaultRouteProtocol);
  }
  for (int i = 0; i < 10000; ++i) table.put("fde3:25fb:7f6c:2::" + std::to_string(i) + "/128", kDefaultRouteProtocol);
  sync.synced(held);
  CHECK(table.lists == 1);
  CHECK(table.adds == 1);
  CHECK(table.removes == 1);
  CHECK(sync.last_sync().kept == 50000);
  CHECK(sync.last_sync().added == 50000);
  CHECK(sync.last_sync().removed == 10000);
  CHECK(table.ours().size() == 100000);
}

TEST_CASE("cleanup removes every route of the protocol and no other") {
  MemoryRouteTable table;
  table.put("fde3:25fb:7f6c:1::1/128", kDefaultRouteProtocol);
  table.put("fde3:25fb:7f6c:1::/64", kDefaultRouteProtocol);
  table.put("fde3:25fb:7f6c:1::2/128", kOther);
  auto removed = remove_all_routes(table);
  REQUIRE(removed);
  CHECK(*removed == 2);
  CHECK(table.ours().empty());
  CHECK(table.routes.size() == 1);
  table.put("fde3:25fb:7f6c:1::3/128", kDefaultRouteProtocol);
  table.refuse.insert("fde3:25fb:7f6c:1::3/128");
  auto refused = remove_all_routes(table);
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == "1 of 1 routes not removed: fde3:25fb:7f6c:1::3/128: injected failure");
}

namespace {

Config parse(std::vector<std::string> args) { return parse_command_line(args, std::nullopt); }
std::vector<std::string> serve_with(std::vector<std::string> extra) {
  std::vector<std::string> args{"serve", "--pool", "fde3:25fb:7f6c:1::/64", "--route", "fde3:25fb:7f6c::/48",
                                "--endpoint", "vpn.example.com"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("wg0");
  return args;
}
std::string refusal(std::vector<std::string> args) {
  try {
    parse(std::move(args));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("--route-table and --route-protocol") {
  CHECK_FALSE(parse(serve_with({})).routes.enabled());
  Config c = parse(serve_with({"--route-table", "main"}));
  CHECK(c.routes.table == 254);
  CHECK(c.routes.protocol == 51);
  c = parse(serve_with({"--route-table", "4200000000", "--route-protocol", "200"}));
  CHECK(c.routes.table == 4200000000u);
  CHECK(c.routes.protocol == 200);
  CHECK(parse({"cleanup", "--pool", "fde3:25fb:7f6c:1::/64", "--route-table", "100", "wg0"}).routes.table == 100);
  CHECK(parse({"evict", "--pool", "fde3:25fb:7f6c:1::/64", "--route-table", "100", "wg0", "1"}).routes.table == 100);

  for (const char* bad : {"0", "255", "local", "-1", "4294967296", "1e3", ""})
    CHECK(refusal(serve_with({"--route-table", bad})).find("--route-table: '" + std::string(bad) + "' is not main") == 0);
  for (const char* bad : {"0", "4", "256", "bird"})
    CHECK(refusal(serve_with({"--route-table", "main", "--route-protocol", bad})) ==
          "--route-protocol: '" + std::string(bad) + "' is not a whole number from 5 to 255");
  CHECK(refusal(serve_with({"--route-protocol", "51"})) == "--route-protocol only applies with --route-table");
  CHECK(refusal({"list", "--pool", "fde3:25fb:7f6c:1::/64", "--route-table", "main", "wg0"}) ==
        "--route-table does not apply to 'autowg list'");
  std::string help = help_text(Command::Serve);
  CHECK(help.find("--route-table TABLE") != std::string::npos);
  CHECK(help.find("--route-protocol N") != std::string::npos);
  CHECK(help_text(Command::Cleanup).find("--route-table TABLE") != std::string::npos);
}
