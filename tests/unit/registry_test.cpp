#include <catch2/catch.hpp>

#include <filesystem>

#include "fake_backend.h"
#include "registry.h"

using namespace autowg;
using namespace autowg::testing;

namespace {

const Prefix kPool = *Prefix::parse("fde3:25fb:7f6c:1::/64");

Address addr(const char* text) { return *Address::parse(text); }

struct Fixture {
  FakeBackend backend;
  double now = 1000;
  int64_t unix_now = 1735689600;
  std::unique_ptr<Registry> registry;

  Fixture() {
    // A wg-quick static peer, and one with allowed-ips both in and outside the pool.
    backend.device.peers.push_back(Peer{key_of(500), {ip_of("fde3:25fb:7f6c::2/128"), ip_of("10.0.0.2/32")}});
    backend.device.peers.push_back(Peer{key_of(501), {ip_of("fde3:25fb:7f6c:1::77/128"), ip_of("192.0.2.0/24")}});
    registry = make(nullptr);
  }

  std::unique_ptr<Registry> make(Journal* journal) {
    return std::make_unique<Registry>(backend, kPool, journal,
                                      Clock{[this] { return unix_now; }, [this] { return now; }}, 60.0);
  }

  Result<Registration, Refusal> reg(const char* name, const char* ip, int key) {
    return registry->register_peer(Name{name}, addr(ip), key_of(key));
  }

  size_t peer_count() const { return backend.device.peers.size(); }
};

using Kind = Refusal::Kind;

void check_refused(const Result<Registration, Refusal>& r, Kind kind, const char* fragment) {
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == kind);
  INFO(r.error().reason);
  CHECK(r.error().reason.find(fragment) != std::string::npos);
}

}  // namespace

TEST_CASE("a first registration sets exactly the peer with its /128") {
  Fixture f;
  auto r = f.reg("1234", "fde3:25fb:7f6c:1::1234", 1);
  REQUIRE(r);
  CHECK(r->address.str() == "fde3:25fb:7f6c:1::1234");
  CHECK(r->server_key == key_of(9999));
  CHECK(r->listen_port == 51820);
  CHECK_FALSE(r->replaced);
  Peer* p = f.backend.find(key_of(1));
  REQUIRE(p);
  REQUIRE(p->allowed_ips.size() == 1);
  CHECK(p->allowed_ips[0].str() == "fde3:25fb:7f6c:1::1234/128");
  CHECK(f.peer_count() == 3);
}

TEST_CASE("re-registration with a new key replaces the peer in one change") {
  Fixture f;
  REQUIRE(f.reg("1234", "fde3:25fb:7f6c:1::1234", 1));
  f.backend.changes.clear();
  auto r = f.reg("1234", "fde3:25fb:7f6c:1::1234", 2);
  REQUIRE(r);
  CHECK(r->replaced == key_of(1));
  REQUIRE(f.backend.changes.size() == 1);
  const Change& c = f.backend.changes[0];
  REQUIRE(c.sets.size() == 1);
  CHECK(c.sets[0].key == key_of(2));
  REQUIRE(c.remove.size() == 1);
  CHECK(c.remove[0] == key_of(1));
  CHECK_FALSE(f.backend.find(key_of(1)));
  CHECK(f.backend.find(key_of(2)));
  CHECK(f.peer_count() == 3);
}

TEST_CASE("the same name with the same key is idempotent and restores a lost peer") {
  Fixture f;
  REQUIRE(f.reg("1234", "fde3:25fb:7f6c:1::1234", 1));
  f.unix_now += 100;
  REQUIRE(f.reg("1234", "fde3:25fb:7f6c:1::1234", 1));
  CHECK(f.peer_count() == 3);
  f.backend.remove(key_of(1));  // someone ran `wg set wg0 peer ... remove`
  auto r = f.reg("1234", "fde3:25fb:7f6c:1::1234", 1);
  REQUIRE(r);
  CHECK_FALSE(r->replaced);
  CHECK(f.backend.find(key_of(1)));
}

TEST_CASE("registrations read the interface once, then never again within the bound") {
  Fixture f;
  for (int i = 0; i < 200; ++i) {
    char name[8], ip[40];
    snprintf(name, sizeof name, "%d", i);
    snprintf(ip, sizeof ip, "fde3:25fb:7f6c:1::2:%x", i);
    REQUIRE(f.reg(name, ip, 1000 + i));
  }
  CHECK(f.backend.reads == 1);
  CHECK(f.backend.applies == 200);
  f.now += 61;
  REQUIRE(f.reg("5", "fde3:25fb:7f6c:1::2:5", 1005));
  CHECK(f.backend.reads == 2);
}

TEST_CASE("while registrations keep coming, the read of an old view waits for a pause, up to twice the bound") {
  Fixture f;
  auto reg = [&](int i) {
    std::string name = std::to_string(i);
    char ip[48];
    snprintf(ip, sizeof ip, "fde3:25fb:7f6c:1::3:%x", unsigned(i));
    REQUIRE(f.reg(name.c_str(), ip, 2000 + i));
  };
  reg(0);  // the first read, at 1000
  CHECK(f.backend.reads == 1);
  // A herd from 1061 on: one registration every 0.5 s.
  f.now += 61;
  reg(1);  // the first after a pause of 61 s reads at once
  CHECK(f.backend.reads == 2);
  int i = 2;
  for (; f.now < 1061 + 120; f.now += 0.5) reg(i++);
  CHECK(f.backend.reads == 2);  // the view got up to 120 s old: no read in the herd
  CHECK_FALSE(f.registry->refresh());  // nor by the periodic timer
  CHECK(f.backend.reads == 2);
  f.now += 0.5;  // past twice the bound: read, herd or not
  reg(i++);
  CHECK(f.backend.reads == 3);
  for (int n = 0; n < 130; ++n, f.now += 0.5) reg(i++);
  CHECK(f.backend.reads == 3);  // 65 s old
  f.now += 1.0;  // a pause of a second: the timer reads
  CHECK_FALSE(f.registry->refresh());
  CHECK(f.backend.reads == 4);
}

TEST_CASE("refusals leave the interface untouched") {
  Fixture f;
  REQUIRE(f.reg("1", "fde3:25fb:7f6c:1::1", 1));
  Device before = f.backend.device;
  int applies = f.backend.applies;

  check_refused(f.reg("2", "fde3:25fb:7f6c:1::2", 500), Kind::Conflict, "static peer");
  check_refused(f.reg("2", "fde3:25fb:7f6c:1::2", 501), Kind::Conflict, "static peer");
  check_refused(f.reg("2", "fde3:25fb:7f6c:1::2", 1), Kind::Conflict, "another device");
  check_refused(f.reg("2", "fde3:25fb:7f6c:1::2", 9999), Kind::BadRequest, "own public key");
  // A metans collision: another name hashing to an address already held.
  check_refused(f.reg("other", "fde3:25fb:7f6c:1::1", 7), Kind::Conflict, "held by device '1'");
  // The static peer's /128 inside the pool is its own.
  check_refused(f.reg("77", "fde3:25fb:7f6c:1::77", 8), Kind::Conflict, "static peer");

  CHECK(f.backend.applies == applies);
  REQUIRE(f.backend.device.peers.size() == before.peers.size());
  for (size_t i = 0; i < before.peers.size(); ++i) {
    CHECK(f.backend.device.peers[i].public_key == before.peers[i].public_key);
    CHECK(f.backend.device.peers[i].allowed_ips == before.peers[i].allowed_ips);
  }
}

TEST_CASE("a static route wider than the pool does not hold the pool's addresses") {
  Fixture f;
  f.backend.device.peers.push_back(Peer{key_of(502), {ip_of("fde3:25fb:7f6c::/48")}});
  REQUIRE(f.registry->reconcile() == std::nullopt);
  REQUIRE(f.reg("1234", "fde3:25fb:7f6c:1::1234", 1));
  CHECK(f.backend.find(key_of(502))->allowed_ips.size() == 1);
}

TEST_CASE("a static peer added later is seen at the next reconcile") {
  Fixture f;
  REQUIRE(f.reg("1", "fde3:25fb:7f6c:1::1", 1));
  f.backend.device.peers.push_back(Peer{key_of(600), {ip_of("fde3:25fb:7f6c::600/128")}});
  REQUIRE(f.registry->reconcile() == std::nullopt);
  check_refused(f.reg("2", "fde3:25fb:7f6c:1::2", 600), Kind::Conflict, "static peer");
}

TEST_CASE("a missing interface answers 503 and a re-created one is picked up") {
  Fixture f;
  REQUIRE(f.reg("1", "fde3:25fb:7f6c:1::1", 1));
  f.backend.exists = false;
  check_refused(f.reg("1", "fde3:25fb:7f6c:1::1", 2), Kind::Unavailable, "does not exist");
  f.backend.exists = true;
  f.backend.recreate();
  auto r = f.reg("1", "fde3:25fb:7f6c:1::1", 2);
  REQUIRE(r);
  CHECK(r->server_key == key_of(8888));
  CHECK(r->listen_port == 51821);
  CHECK(f.peer_count() == 1);
}

TEST_CASE("a re-created interface is noticed without waiting for the bound") {
  Fixture f;
  REQUIRE(f.reg("1", "fde3:25fb:7f6c:1::1", 1));
  f.backend.recreate();
  auto r = f.reg("2", "fde3:25fb:7f6c:1::2", 2);
  REQUIRE(r);
  CHECK(r->server_key == key_of(8888));
}

TEST_CASE("an interface without a private key is refused with 503") {
  Fixture f;
  f.backend.device.info.public_key.reset();
  check_refused(f.reg("1", "fde3:25fb:7f6c:1::1", 1), Kind::Unavailable, "no private key");
  CHECK(f.backend.applies == 0);
}

TEST_CASE("a kernel refusal is a 500 and changes nothing in the view") {
  Fixture f;
  REQUIRE(f.reg("1", "fde3:25fb:7f6c:1::1", 1));
  f.backend.fail_next_apply = true;
  check_refused(f.reg("1", "fde3:25fb:7f6c:1::1", 2), Kind::Internal, "Cannot allocate memory");
  CHECK(f.backend.find(key_of(1)));
  // The view still says name 1 holds key 1, so key 1 stays its own.
  check_refused(f.reg("2", "fde3:25fb:7f6c:1::2", 1), Kind::Conflict, "another device");
  REQUIRE(f.reg("1", "fde3:25fb:7f6c:1::1", 2));
  CHECK_FALSE(f.backend.find(key_of(1)));
}

TEST_CASE("a pool peer with no known name is taken over by the device at its address") {
  Fixture f;
  f.backend.device.peers.push_back(Peer{key_of(700), {ip_of("fde3:25fb:7f6c:1::9/128")}});
  f.backend.device.peers.push_back(Peer{key_of(701), {ip_of("fde3:25fb:7f6c:1::10/128")}});
  REQUIRE(f.registry->reconcile() == std::nullopt);
  check_refused(f.reg("11", "fde3:25fb:7f6c:1::11", 701), Kind::Conflict, "another pool peer");
  REQUIRE(f.reg("9", "fde3:25fb:7f6c:1::9", 3));
  CHECK_FALSE(f.backend.find(key_of(700)));
  CHECK(f.backend.find(key_of(701)));
  CHECK(f.backend.find(key_of(3)));
}

TEST_CASE("peers are listed by name with their counters") {
  Fixture f;
  REQUIRE(f.reg("20", "fde3:25fb:7f6c:1::20", 20));
  f.unix_now += 5;
  REQUIRE(f.reg("3", "fde3:25fb:7f6c:1::3", 3));
  f.backend.find(key_of(3))->rx_bytes = 1234;
  f.backend.find(key_of(3))->last_handshake = 1735689700;
  std::vector<std::string> lines;
  REQUIRE(f.registry->visit_peers([&](const PeerStatus& p) {
    lines.push_back(p.name + " " + p.address.str() + " " + std::to_string(p.created) + " " +
                    std::to_string(p.last_handshake) + " " + std::to_string(p.rx_bytes) + " " +
                    std::to_string(p.key == key_of(p.name == "3" ? 3 : 20)));
  }) == std::nullopt);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "20 fde3:25fb:7f6c:1::20 1735689600 0 0 1");
  CHECK(lines[1] == "3 fde3:25fb:7f6c:1::3 1735689605 1735689700 1234 1");
}

TEST_CASE("names and created times survive a restart through the journal") {
  auto dir = std::filesystem::temp_directory_path() / ("autowg-test-" + std::to_string(getpid()));
  Fixture f;
  {
    auto journal = Journal::open(dir.string(), "wg0");
    REQUIRE(journal);
    f.registry = f.make(&journal.value());
    REQUIRE(f.reg("1", "fde3:25fb:7f6c:1::1", 1));
    f.unix_now += 10;
    REQUIRE(f.reg("1", "fde3:25fb:7f6c:1::1", 2));
    REQUIRE(f.reg("2", "fde3:25fb:7f6c:1::2", 3));
    f.registry.reset();
  }
  f.unix_now += 1000;
  auto journal = Journal::open(dir.string(), "wg0");
  REQUIRE(journal);
  f.registry = f.make(&journal.value());
  REQUIRE(f.registry->reconcile() == std::nullopt);
  CHECK(f.registry->named_count() == 2);
  std::vector<std::string> seen;
  f.registry->visit_peers([&](const PeerStatus& p) { seen.push_back(p.name + "@" + std::to_string(p.created)); });
  CHECK(seen == std::vector<std::string>{"1@1735689610", "2@1735689610"});
  // The journal was compacted to the live names.
  CHECK(journal->load().size() == 2);
  // Key 2 is still name 1's: another name cannot take it.
  check_refused(f.reg("5", "fde3:25fb:7f6c:1::5", 2), Kind::Conflict, "another device");
  f.registry.reset();
  std::filesystem::remove_all(dir);
}

TEST_CASE("a reconcile follows changes made outside autowg") {
  Fixture f;
  REQUIRE(f.reg("1", "fde3:25fb:7f6c:1::1", 1));
  REQUIRE(f.reg("2", "fde3:25fb:7f6c:1::2", 2));
  REQUIRE(f.reg("3", "fde3:25fb:7f6c:1::3", 3));
  // `wg set wg0 peer K1 remove`, and K2 moved to another address.
  f.backend.remove(key_of(1));
  f.backend.find(key_of(2))->allowed_ips = {ip_of("fde3:25fb:7f6c:1::22/128")};
  REQUIRE(f.registry->reconcile() == std::nullopt);
  CHECK(f.registry->named_count() == 2);
  // The removed name's address is free for another name ...
  REQUIRE(f.reg("4", "fde3:25fb:7f6c:1::1", 4));
  // ... name 2 now holds the address the interface gives it, not the old one.
  REQUIRE(f.reg("5", "fde3:25fb:7f6c:1::2", 5));
  check_refused(f.reg("6", "fde3:25fb:7f6c:1::22", 6), Kind::Conflict, "held by device '2'");
  std::vector<std::string> seen;
  f.registry->visit_peers([&](const PeerStatus& p) { seen.push_back(p.name + "=" + p.address.str()); });
  CHECK(seen == std::vector<std::string>{"2=fde3:25fb:7f6c:1::22", "3=fde3:25fb:7f6c:1::3", "4=fde3:25fb:7f6c:1::1",
                                         "5=fde3:25fb:7f6c:1::2"});
}

TEST_CASE("two names on one address after an outside change: one of them becomes an orphan") {
  Fixture f;
  REQUIRE(f.reg("1", "fde3:25fb:7f6c:1::1", 1));
  REQUIRE(f.reg("2", "fde3:25fb:7f6c:1::2", 2));
  f.backend.find(key_of(2))->allowed_ips = {ip_of("fde3:25fb:7f6c:1::1/128")};
  REQUIRE(f.registry->reconcile() == std::nullopt);
  // The interface lists key 1 first: name 1 keeps the address.
  std::vector<std::string> seen;
  f.registry->visit_peers([&](const PeerStatus& p) { seen.push_back(p.name + "=" + p.address.str()); });
  CHECK(seen == std::vector<std::string>{"1=fde3:25fb:7f6c:1::1"});
  // Key 2 is an orphan now: no other address can be registered with it.
  check_refused(f.reg("7", "fde3:25fb:7f6c:1::7", 2), Kind::Conflict, "another pool peer");
}

TEST_CASE("the journal's later lines win, for a name and for a key") {
  auto dir = std::filesystem::temp_directory_path() / ("autowg-test-j-" + std::to_string(getpid()));
  Fixture f;
  {
    auto journal = Journal::open(dir.string(), "wg0");
    REQUIRE(journal);
    journal->rewrite({JournalEntry{Name{"1"}, key_of(1), 100}, JournalEntry{Name{"1"}, key_of(2), 200},
                      JournalEntry{Name{"9"}, key_of(3), 300}, JournalEntry{Name{"3"}, key_of(3), 400}});
  }
  f.backend.device.peers.push_back(Peer{key_of(2), {ip_of("fde3:25fb:7f6c:1::1/128")}});
  f.backend.device.peers.push_back(Peer{key_of(3), {ip_of("fde3:25fb:7f6c:1::3/128")}});
  auto journal = Journal::open(dir.string(), "wg0");
  REQUIRE(journal);
  f.registry = f.make(&journal.value());
  REQUIRE(f.registry->reconcile() == std::nullopt);
  std::vector<std::string> seen;
  f.registry->visit_peers([&](const PeerStatus& p) { seen.push_back(p.name + "@" + std::to_string(p.created)); });
  CHECK(seen == std::vector<std::string>{"1@200", "3@400"});
  CHECK(journal->load().size() == 2);
  f.registry.reset();
  std::filesystem::remove_all(dir);
}

TEST_CASE("an observer follows the pool's addresses as they come and go") {
  struct Recorder : PoolObserver {
    std::vector<std::string> events;
    void added(const Address& a) override { events.push_back("+" + a.str()); }
    void removed(const Address& a) override { events.push_back("-" + a.str()); }
    void synced(const std::vector<Address>& held) override {
      events.push_back("sync " + std::to_string(held.size()));
    }
  } recorder;
  Fixture f;
  f.backend.device.peers.push_back(Peer{key_of(70), {ip_of("fde3:25fb:7f6c:1::70/128")}});  // unnamed
  f.registry->observe(&recorder);
  REQUIRE_FALSE(f.registry->reconcile());
  REQUIRE(f.reg("1", "fde3:25fb:7f6c:1::1", 1));
  REQUIRE(f.reg("1", "fde3:25fb:7f6c:1::1", 2));   // a new key: the address stays held
  REQUIRE(f.reg("70", "fde3:25fb:7f6c:1::70", 3));  // takes over the unnamed peer's address
  REQUIRE(f.registry->evict({"1"}));
  CHECK(recorder.events == std::vector<std::string>{"sync 1", "+fde3:25fb:7f6c:1::1", "-fde3:25fb:7f6c:1::1"});
}

TEST_CASE("a dump the kernel interrupted is read again, and the view is whole") {
  Fixture f;
  REQUIRE(f.reg("1", "fde3:25fb:7f6c:1::1", 1));
  REQUIRE(f.reg("2", "fde3:25fb:7f6c:1::2", 2));
  f.backend.interrupt_reads = 2;
  CHECK_FALSE(f.registry->reconcile());
  CHECK(f.registry->named_count() == 2);
  f.backend.interrupt_reads = 5;  // it keeps happening: an error, and the next request tries again
  CHECK(f.registry->reconcile());
  f.backend.interrupt_reads = 0;
  CHECK_FALSE(f.registry->reconcile());
  CHECK(f.registry->named_count() == 2);
}
