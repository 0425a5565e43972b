#include <catch2/catch.hpp>

#include <unistd.h>

#include <regex>

#include "fake_backend.h"
#include "metrics.h"

using namespace autowg;
using namespace autowg::testing;

namespace {

const Prefix kPool = *Prefix::parse("fde3:25fb:7f6c:1::/64");

// The value of one series line of the exposition text, or -1.
double value_of(const std::string& text, const std::string& series) {
  std::string needle = series + " ";
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    if (at != 0 && text[at - 1] != '\n') continue;
    return std::stod(text.substr(at + needle.size()));
  }
  return -1;
}

struct Fixture {
  FakeBackend backend;
  Registry registry{backend, kPool, nullptr, Clock::system(), 60.0};
  Metrics metrics{"1.2.3", 10000};
};

}  // namespace

TEST_CASE("each event moves its own series") {
  Fixture f;
  f.metrics.request(Route::Register, 200);
  f.metrics.request(Route::Register, 200);
  f.metrics.request(Route::Peers, 401);
  f.metrics.request(Route::Other, 418);  // a status autowg never answers: bounded as "other"
  f.metrics.registered(Outcome::Registered);
  f.metrics.registered(Outcome::Replaced);
  f.metrics.refused(RefusalReason::Revoked);
  f.metrics.refused(RefusalReason::KeyConflict);
  f.metrics.refused(RefusalReason::KeyConflict);
  f.metrics.evicted(EvictionReason::Idle, 3);
  f.metrics.evicted(EvictionReason::Operator, 1);
  f.metrics.registration_took(0.002);
  std::string text = f.metrics.scrape(f.registry, nullptr);
  CHECK(value_of(text, "autowg_requests_total{route=\"register\",status=\"200\"}") == 2);
  CHECK(value_of(text, "autowg_requests_total{route=\"peers\",status=\"401\"}") == 1);
  CHECK(value_of(text, "autowg_requests_total{route=\"other\",status=\"other\"}") == 1);
  CHECK(value_of(text, "autowg_registrations_total{outcome=\"registered\"}") == 1);
  CHECK(value_of(text, "autowg_registrations_total{outcome=\"replaced\"}") == 1);
  CHECK(value_of(text, "autowg_registrations_total{outcome=\"refused\"}") == 3);
  CHECK(value_of(text, "autowg_refusals_total{reason=\"revoked\"}") == 1);
  CHECK(value_of(text, "autowg_refusals_total{reason=\"key_conflict\"}") == 2);
  CHECK(value_of(text, "autowg_refusals_total{reason=\"no_identity\"}") == 0);  // present from the start
  CHECK(value_of(text, "autowg_evictions_total{reason=\"idle\"}") == 3);
  CHECK(value_of(text, "autowg_evictions_total{reason=\"operator\"}") == 1);
  CHECK(value_of(text, "autowg_evictions_total{reason=\"cleanup\"}") == 0);
  CHECK(value_of(text, "autowg_registration_duration_seconds_count") == 1);
  CHECK(value_of(text, "autowg_registration_duration_seconds_bucket{le=\"0.0025\"}") == 1);
  CHECK(value_of(text, "autowg_registration_duration_seconds_bucket{le=\"0.001\"}") == 0);
  CHECK(value_of(text, "autowg_build_info{version=\"1.2.3\"}") == 1);
  CHECK(value_of(text, "autowg_pool_capacity") == 10000);
  CHECK(text.find("# HELP autowg_refusals_total ") != std::string::npos);
  CHECK(text.find("# TYPE autowg_registration_duration_seconds histogram") != std::string::npos);
}

TEST_CASE("every label value comes from a fixed set") {
  Fixture f;
  for (int s = 100; s < 600; ++s) f.metrics.request(Route::Register, s);
  std::string text = f.metrics.scrape(f.registry, nullptr);
  size_t series = 0;
  for (size_t at = text.find("autowg_requests_total{"); at != std::string::npos;
       at = text.find("autowg_requests_total{", at + 1))
    ++series;
  CHECK(series == 11);  // the ten statuses autowg answers, and "other"
  std::regex label(R"re(\{[^}]*\})re");
  std::regex allowed(
      R"re(^\{((route|status|outcome|reason|age|version|le)="[A-Za-z0-9_.+]*"(,|\}))+$)re");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), label); it != std::sregex_iterator(); ++it)
    CHECK(std::regex_match(it->str(), allowed));
}

TEST_CASE("the pool's gauges come from the registry, not from a read of the interface") {
  Fixture f;
  f.backend.device.peers.push_back(Peer{key_of(500), {ip_of("fde3:25fb:7f6c::2/128")}});
  f.backend.device.peers.push_back(Peer{key_of(7), {ip_of("fde3:25fb:7f6c:1::7/128")}});
  REQUIRE_FALSE(f.registry.reconcile());
  REQUIRE(f.registry.register_peer(Name{"1"}, *Address::parse("fde3:25fb:7f6c:1::1"), key_of(1)));
  int reads = f.backend.reads;
  std::string text = f.metrics.scrape(f.registry, nullptr);
  CHECK(f.backend.reads == reads);
  CHECK(value_of(text, "autowg_pool_peers") == 2);  // the orphan 7 and the named 1
  CHECK(value_of(text, "autowg_static_peers") == 1);
  CHECK(value_of(text, "autowg_reconciles_total") == 1);
  CHECK(value_of(text, "autowg_last_reconcile_timestamp_seconds") > 1.7e9);
  CHECK(value_of(text, "autowg_peers_by_handshake_age{age=\"never\"}") == 0);  // 1 registered after the read
}

TEST_CASE("backend errors are counted") {
  Fixture f;
  f.backend.fail_next_apply = true;
  CHECK_FALSE(f.registry.register_peer(Name{"1"}, *Address::parse("fde3:25fb:7f6c:1::1"), key_of(1)));
  CHECK(value_of(f.metrics.scrape(f.registry, nullptr), "autowg_backend_errors_total") == 1);
}

TEST_CASE("the process series are read from /proc") {
  ProcessStats p = read_process_stats();
  CHECK(p.resident_bytes > 1e6);
  CHECK(p.open_fds >= 3);
  CHECK(p.start_time > 1.7e9);
  CHECK(p.cpu_seconds >= 0);
  Fixture f;
  std::string text = f.metrics.scrape(f.registry, nullptr);
  CHECK(value_of(text, "process_resident_memory_bytes") > 1e6);
  CHECK(value_of(text, "process_open_fds") >= 3);
  CHECK(value_of(text, "process_start_time_seconds") > 1.7e9);
  CHECK(value_of(text, "process_cpu_seconds_total") >= 0);
  CHECK(text.find("autowg_earliest_certificate_expiry_timestamp_seconds ") == std::string::npos);  // none known
}
