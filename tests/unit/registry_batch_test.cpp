#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/resource.h>

#include <cstring>
#include <filesystem>

#include "fake_backend.h"
#include "registry.h"

using namespace autowg;
using namespace autowg::testing;

namespace {

const Prefix kPool = *Prefix::parse("fde3:25fb:7f6c:1::/64");

struct Fixture {
  FakeBackend backend;
  std::string dir = std::filesystem::temp_directory_path() / ("autowg-batch-" + std::to_string(getpid()));
  std::optional<Journal> journal;
  std::unique_ptr<Registry> registry;

  Fixture() {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
    journal.emplace(Journal::open(dir, "wg0").value());
    backend.device.peers.push_back(Peer{key_of(500), {ip_of("fde3:25fb:7f6c::2/128")}});  // static
    registry = std::make_unique<Registry>(backend, kPool, &*journal, Clock::system(), 60.0);
    REQUIRE_FALSE(registry->reconcile());
  }
  ~Fixture() { std::filesystem::remove_all(dir); }

  static Registry::Intent intent(const std::string& name, int key) {
    std::string ip = "fde3:25fb:7f6c:1::" + name;
    return Registry::Intent{Name{name}, *Address::parse(ip), key_of(key), {}};
  }
  std::vector<std::string> journal_lines() const {
    std::vector<std::string> out;
    for (const auto& e : journal->load()) out.push_back(e.name.value + ":" + e.key.base64().substr(0, 4));
    return out;
  }
  std::vector<std::string> pool() const {
    std::vector<std::string> out;
    for (const auto& p : backend.device.peers)
      if (is_pool_peer(p, kPool)) out.push_back(p.allowed_ips[0].str() + "=" + p.public_key.base64().substr(0, 4));
    std::sort(out.begin(), out.end());
    return out;
  }
};

std::string k(int n) { return key_of(n).base64().substr(0, 4); }

}  // namespace

TEST_CASE("registrations ready together go to the interface in one change and one journal write") {
  Fixture f;
  int applies = f.backend.applies;
  auto results = f.registry->register_batch({Fixture::intent("1", 1), Fixture::intent("2", 2), Fixture::intent("3", 3)});
  REQUIRE(results.size() == 3);
  for (const auto& r : results) CHECK(r);
  CHECK(f.backend.applies == applies + 1);
  CHECK(f.backend.changes.back().sets.size() == 3);
  CHECK(f.pool() == std::vector<std::string>{"fde3:25fb:7f6c:1::1/128=" + k(1), "fde3:25fb:7f6c:1::2/128=" + k(2),
                                             "fde3:25fb:7f6c:1::3/128=" + k(3)});
  CHECK(f.journal_lines() == std::vector<std::string>{"1:" + k(1), "2:" + k(2), "3:" + k(3)});
}

TEST_CASE("the same name twice in a batch: as if serial, the later key wins") {
  Fixture f;
  auto results = f.registry->register_batch({Fixture::intent("1", 1), Fixture::intent("2", 2), Fixture::intent("1", 11)});
  REQUIRE(results[0]);
  REQUIRE(results[2]);
  CHECK_FALSE(results[0]->replaced);
  CHECK(results[2]->replaced == key_of(1));  // answered as the replacement it is
  CHECK(f.pool() == std::vector<std::string>{"fde3:25fb:7f6c:1::1/128=" + k(11), "fde3:25fb:7f6c:1::2/128=" + k(2)});
  // The journal is the serial replay of the answers.
  CHECK(f.journal_lines() == std::vector<std::string>{"1:" + k(1), "2:" + k(2), "1:" + k(11)});
}

TEST_CASE("a conflict inside a batch refuses only that device") {
  Fixture f;
  auto results = f.registry->register_batch(
      {Fixture::intent("1", 1), Fixture::intent("2", 1), Fixture::intent("3", 500), Fixture::intent("4", 4)});
  CHECK(results[0]);
  REQUIRE_FALSE(results[1]);
  CHECK(results[1].error().kind == Refusal::Kind::Conflict);  // the key is device 1's now
  REQUIRE_FALSE(results[2]);
  CHECK(results[2].error().reason.find("static peer") != std::string::npos);
  CHECK(results[3]);
  CHECK(f.pool() == std::vector<std::string>{"fde3:25fb:7f6c:1::1/128=" + k(1), "fde3:25fb:7f6c:1::4/128=" + k(4)});
  CHECK(f.backend.find(key_of(500))->allowed_ips.size() == 1);  // the static peer as it was
}

TEST_CASE("a key freed by an earlier registration of the batch is free for a later one") {
  Fixture f;
  REQUIRE(f.registry->register_peer(Name{"1"}, *Address::parse("fde3:25fb:7f6c:1::1"), key_of(1)));
  // Device 1 moves to key 2; device 3 then takes key 1, which is free once 1 moved.
  auto results = f.registry->register_batch({Fixture::intent("1", 2), Fixture::intent("3", 1)});
  CHECK(results[0]);
  CHECK(results[1]);
  CHECK(f.pool() == std::vector<std::string>{"fde3:25fb:7f6c:1::1/128=" + k(2), "fde3:25fb:7f6c:1::3/128=" + k(1)});
}

TEST_CASE("the kernel stops part-way: each is retried alone and answered truly") {
  Fixture f;
  REQUIRE(f.registry->register_peer(Name{"1"}, *Address::parse("fde3:25fb:7f6c:1::1"), key_of(1)));
  f.backend.fail_after_sets = 2;  // 2 and 3 applied, then an error
  auto results = f.registry->register_batch(
      {Fixture::intent("2", 2), Fixture::intent("3", 3), Fixture::intent("1", 11), Fixture::intent("4", 4)});
  for (const auto& r : results) CHECK(r);
  CHECK(f.pool() == std::vector<std::string>{"fde3:25fb:7f6c:1::1/128=" + k(11), "fde3:25fb:7f6c:1::2/128=" + k(2),
                                             "fde3:25fb:7f6c:1::3/128=" + k(3), "fde3:25fb:7f6c:1::4/128=" + k(4)});
  CHECK_FALSE(f.backend.find(key_of(1)));  // the replaced key went, whichever change did it
  auto lines = f.journal_lines();
  CHECK(std::find(lines.begin(), lines.end(), "1:" + k(11)) != lines.end());
  // A restart finds every name on the interface.
  Registry again(f.backend, kPool, &*f.journal, Clock::system(), 60.0);
  REQUIRE_FALSE(again.reconcile());
  CHECK(again.named_count() == 4);
}

TEST_CASE("with the interface gone, each registration of the batch is 503 and nothing is recorded") {
  Fixture f;
  f.backend.exists = false;
  auto results = f.registry->register_batch({Fixture::intent("5", 5), Fixture::intent("6", 6)});
  for (const auto& r : results) {
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == Refusal::Kind::Unavailable);
  }
  CHECK(f.journal_lines().empty());
}

TEST_CASE("a journal that cannot be written refuses the registration (503) and leaves the interface as it was") {
  Fixture f;
  REQUIRE(f.registry->register_peer(Name{"1"}, *Address::parse("fde3:25fb:7f6c:1::1"), key_of(1)));
  auto before = f.pool();
  // As a nearly full disk: a file size limit 10 bytes past the journal's
  // size (part of a line is written, then EFBIG; the signal it would raise
  // ignored).
  auto size_before = std::filesystem::file_size(f.journal->path());
  auto old_signal = signal(SIGXFSZ, SIG_IGN);
  rlimit old_limit{};
  getrlimit(RLIMIT_FSIZE, &old_limit);
  rlimit limit = old_limit;
  limit.rlim_cur = size_before + 10;
  setrlimit(RLIMIT_FSIZE, &limit);
  errno = EAGAIN;  // a stale errno must not become the reason
  auto results = f.registry->register_batch({Fixture::intent("2", 2), Fixture::intent("1", 11)});
  for (const auto& r : results) {
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == Refusal::Kind::Unavailable);
    CHECK(r.error().reason.find("cannot record the registration") != std::string::npos);
    CHECK(r.error().reason.find(std::strerror(EFBIG)) != std::string::npos);
  }
  setrlimit(RLIMIT_FSIZE, &old_limit);
  signal(SIGXFSZ, old_signal);
  CHECK(f.pool() == before);
  CHECK(std::filesystem::file_size(f.journal->path()) == size_before);  // no half line either
}

TEST_CASE("a line written ahead of a change the kernel refuses is superseded by the state before") {
  Fixture f;
  REQUIRE(f.registry->register_peer(Name{"1"}, *Address::parse("fde3:25fb:7f6c:1::1"), key_of(1)));
  f.backend.fail_next_apply = true;
  CHECK_FALSE(f.registry->register_peer(Name{"1"}, *Address::parse("fde3:25fb:7f6c:1::1"), key_of(11)));
  auto lines = f.journal_lines();
  REQUIRE_FALSE(lines.empty());
  CHECK(lines.back() == "1:" + k(1));
  Registry again(f.backend, kPool, &*f.journal, Clock::system(), 60.0);
  REQUIRE_FALSE(again.reconcile());
  CHECK(again.named_count() == 1);  // device 1 keeps its name after a restart
}

TEST_CASE("a new name the kernel refuses is recorded as never registered, even over a peer already at its address") {
  Fixture f;
  // A pool peer with no known name (as after a lost journal), holding the
  // address and key that device 5 then asks for.
  auto address = *Address::parse("fde3:25fb:7f6c:1::5");
  f.backend.device.peers.push_back(Peer{key_of(5), {AllowedIp::host(address)}, 0, 0, 0});
  REQUIRE_FALSE(f.registry->reconcile());
  f.backend.fail_next_apply = true;
  CHECK_FALSE(f.registry->register_peer(Name{"5"}, address, key_of(5)));
  auto entries = f.journal->load();
  REQUIRE_FALSE(entries.empty());
  CHECK(entries.back().name.value == "5");
  CHECK(entries.back().removed);
  Registry again(f.backend, kPool, &*f.journal, Clock::system(), 60.0);
  REQUIRE_FALSE(again.reconcile());
  CHECK(again.named_count() == 0);  // the refused registration named nothing
}

TEST_CASE("an eviction appends one journal line; after a restart the name is gone, the others stay") {
  Fixture f;
  REQUIRE(f.registry->register_batch({Fixture::intent("1", 1), Fixture::intent("2", 2)})[1]);
  auto before = f.journal->load().size();
  REQUIRE(f.registry->evict({"1"}));
  auto entries = f.journal->load();
  REQUIRE(entries.size() == before + 1);
  CHECK(entries.back().removed);
  CHECK(entries.back().name.value == "1");
  // A device that later comes back with the key it had is a new registration.
  Registry again(f.backend, kPool, &*f.journal, Clock::system(), 60.0);
  REQUIRE_FALSE(again.reconcile());
  CHECK(again.named_count() == 1);
}
