#include "metrics.h"

#include <dirent.h>
#include <fcntl.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>

#include "exposition.h"
#include "fd.h"

namespace autowg {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;

constexpr std::array kRoutes = {Route::Register, Route::Peers, Route::Metrics, Route::Other};
constexpr std::array kOutcomes = {Outcome::Registered, Outcome::Replaced, Outcome::Unchanged, Outcome::Refused};
constexpr std::array kEvictions = {EvictionReason::Revoked, EvictionReason::Denied, EvictionReason::Expired,
                                   EvictionReason::Idle,    EvictionReason::Operator, EvictionReason::Cleanup};
constexpr size_t kRefusalReasons = size_t(RefusalReason::Backend) + 1;
// The statuses autowg answers with; anything else is counted as "other".
constexpr std::array kStatuses = {200, 400, 401, 403, 404, 405, 409, 413, 500, 503};

std::string_view outcome_label(Outcome o) {
  switch (o) {
    case Outcome::Registered: return "registered";
    case Outcome::Replaced: return "replaced";
    case Outcome::Unchanged: return "unchanged";
    case Outcome::Refused: return "refused";
  }
  return "?";
}

// When the system booted (Unix seconds), from /proc/stat: it does not change,
// so it is read once (scanning /proc/stat was a third of a scrape's cost).
double boot_time() {
  static const double btime = [] {
    std::ifstream in("/proc/stat");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
    return 0.0;
  }();
  return btime;
}

}  // namespace

std::string_view route_label(Route route) {
  switch (route) {
    case Route::Register: return "register";
    case Route::Peers: return "peers";
    case Route::Metrics: return "metrics";
    case Route::Other: return "other";
  }
  return "?";
}

std::string_view refusal_label(RefusalReason reason) {
  static constexpr std::array<std::string_view, kRefusalReasons> kLabels = {
      "unverified", "no_identity", "bad_subject", "cn_refused",       "address_refused", "bad_body",
      "too_large",  "bad_key",     "own_key",     "key_conflict",     "address_conflict", "revoked",
      "denied",     "expired",     "unavailable", "backend"};
  return kLabels[size_t(reason)];
}

// A small /proc file (its first KiB), read with one read(2): iostreams made
// the process series a third of a scrape's cost.
std::string read_proc_file(const char* path) {
  char text[1024];
  ssize_t n = -1;
  if (Fd fd(::open(path, O_RDONLY | O_CLOEXEC)); fd) n = ::read(fd.get(), text, sizeof text);
  return n > 0 ? std::string(text, size_t(n)) : std::string();
}

// When this process started (Unix seconds): field 22 of /proc/self/stat, in
// ticks since boot. The fields after the command name, which is in
// parentheses and may hold blanks, start with the state, field 3.
double process_start_time() {
  static const double start = [] {
    std::string text = read_proc_file("/proc/self/stat");
    auto close = text.rfind(") ");
    if (close == std::string::npos) return 0.0;
    const char* at = text.c_str() + close + 2;
    for (int field = 3; field < 22; ++field) {
      at = std::strchr(at, ' ');
      if (!at) return 0.0;
      ++at;
    }
    return boot_time() + double(std::strtoull(at, nullptr, 10)) / double(sysconf(_SC_CLK_TCK));
  }();
  return start;
}

ProcessStats read_process_stats() {
  ProcessStats stats;
  timespec cpu{};
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0)
    stats.cpu_seconds = double(cpu.tv_sec) + double(cpu.tv_nsec) / 1e9;
  // statm: size, then resident, in pages.
  std::string statm = read_proc_file("/proc/self/statm");
  if (auto blank = statm.find(' '); blank != std::string::npos) {
    double pages = double(std::strtoull(statm.c_str() + blank + 1, nullptr, 10));
    stats.resident_bytes = pages * double(sysconf(_SC_PAGESIZE));
  }
  stats.start_time = process_start_time();
  if (DIR* dir = opendir("/proc/self/fd")) {
    size_t count = 0;
    while (dirent* e = readdir(dir))
      if (e->d_name[0] != '.') ++count;
    closedir(dir);
    stats.open_fds = double(count) - 1;  // not the one this read holds
  }
  return stats;
}

struct Metrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();

  Family<Counter>& requests = prometheus::BuildCounter()
                                  .Name("autowg_requests_total")
                                  .Help("HTTP requests answered, by route and status")
                                  .Register(*registry);
  Family<Counter>& registrations = prometheus::BuildCounter()
                                       .Name("autowg_registrations_total")
                                       .Help("Registrations, by outcome")
                                       .Register(*registry);
  Family<Counter>& refusals = prometheus::BuildCounter()
                                  .Name("autowg_refusals_total")
                                  .Help("Refused registrations, by reason")
                                  .Register(*registry);
  Family<Counter>& evictions = prometheus::BuildCounter()
                                   .Name("autowg_evictions_total")
                                   .Help("Pool peers removed before the next reboot, by reason")
                                   .Register(*registry);
  prometheus::Histogram& duration =
      prometheus::BuildHistogram()
          .Name("autowg_registration_duration_seconds")
          .Help("Time from a registration request to the kernel's answer")
          .Register(*registry)
          .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                           0.25, 0.5, 1, 2.5});
  Family<Gauge>& pool_peers_family =
      prometheus::BuildGauge().Name("autowg_pool_peers").Help("Pool peers on the interface").Register(*registry);
  Gauge& pool_peers = pool_peers_family.Add({});
  Gauge& static_peers = prometheus::BuildGauge()
                            .Name("autowg_static_peers")
                            .Help("Peers outside the pool (never touched)")
                            .Register(*registry)
                            .Add({});
  Family<Gauge>& ages = prometheus::BuildGauge()
                            .Name("autowg_peers_by_handshake_age")
                            .Help("Named pool peers by the age of their last handshake, as of the last read")
                            .Register(*registry);
  Counter& backend_errors = prometheus::BuildCounter()
                                .Name("autowg_backend_errors_total")
                                .Help("Errors from the WireGuard backend")
                                .Register(*registry)
                                .Add({});
  Counter& reconciles = prometheus::BuildCounter()
                            .Name("autowg_reconciles_total")
                            .Help("Full reads of the interface")
                            .Register(*registry)
                            .Add({});
  Gauge& last_reconcile = prometheus::BuildGauge()
                              .Name("autowg_last_reconcile_timestamp_seconds")
                              .Help("When the interface was last read whole")
                              .Register(*registry)
                              .Add({});
  Family<Gauge>& expiry = prometheus::BuildGauge()
                              .Name("autowg_earliest_certificate_expiry_timestamp_seconds")
                              .Help("The earliest recorded certificate notAfter of the pool peers")
                              .Register(*registry);
  Family<Gauge>& build = prometheus::BuildGauge().Name("autowg_build_info").Help("autowg's version").Register(*registry);
  Counter& cpu = prometheus::BuildCounter()
                     .Name("process_cpu_seconds_total")
                     .Help("User and system CPU time spent in seconds")
                     .Register(*registry)
                     .Add({});
  Gauge& rss = prometheus::BuildGauge()
                   .Name("process_resident_memory_bytes")
                   .Help("Resident memory size in bytes")
                   .Register(*registry)
                   .Add({});
  Gauge& fds = prometheus::BuildGauge()
                   .Name("process_open_fds")
                   .Help("Number of open file descriptors")
                   .Register(*registry)
                   .Add({});
  Gauge& start = prometheus::BuildGauge()
                     .Name("process_start_time_seconds")
                     .Help("Start time of the process since the Unix epoch in seconds")
                     .Register(*registry)
                     .Add({});

  std::array<Counter*, kRefusalReasons> refusal_counters{};
  std::array<Counter*, kOutcomes.size()> outcome_counters{};
  std::array<Counter*, kEvictions.size()> eviction_counters{};
  std::array<std::array<Counter*, kStatuses.size() + 1>, kRoutes.size()> request_counters{};
  Gauge* age_gauges[4] = {};
  Gauge* expiry_gauge = nullptr;
  uint64_t seen_backend_errors = 0, seen_reconciles = 0;
  double seen_cpu = 0;
};

Metrics::Metrics(std::string_view version, std::optional<uint64_t> pool_capacity) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  // Every series of a fixed label set exists from the start, at 0, so that
  // rates and alerts see the first event.
  for (size_t i = 0; i < kRefusalReasons; ++i)
    m.refusal_counters[i] = &m.refusals.Add({{"reason", std::string(refusal_label(RefusalReason(i)))}});
  for (size_t i = 0; i < kOutcomes.size(); ++i)
    m.outcome_counters[i] = &m.registrations.Add({{"outcome", std::string(outcome_label(kOutcomes[i]))}});
  for (size_t i = 0; i < kEvictions.size(); ++i)
    m.eviction_counters[i] = &m.evictions.Add({{"reason", std::string(reason_name(kEvictions[i]))}});
  const char* ages[] = {"never", "lt_3m", "lt_1h", "older"};
  for (int i = 0; i < 4; ++i) m.age_gauges[i] = &m.ages.Add({{"age", ages[i]}});
  m.build.Add({{"version", std::string(version)}}).Set(1);
  if (pool_capacity)
    prometheus::BuildGauge()
        .Name("autowg_pool_capacity")
        .Help("Addresses in the pool")
        .Register(*m.registry)
        .Add({})
        .Set(double(*pool_capacity));
  m.start.Set(read_process_stats().start_time);
}

Metrics::~Metrics() = default;

void Metrics::request(Route route, int status) {
  size_t s = 0;
  while (s < kStatuses.size() && kStatuses[s] != status) ++s;
  Counter*& counter = impl_->request_counters[size_t(route)][s];
  if (!counter)
    counter = &impl_->requests.Add({{"route", std::string(route_label(route))},
                                    {"status", s < kStatuses.size() ? std::to_string(status) : "other"}});
  counter->Increment();
}

void Metrics::registered(Outcome outcome) { impl_->outcome_counters[size_t(outcome)]->Increment(); }

void Metrics::refused(RefusalReason reason) {
  impl_->refusal_counters[size_t(reason)]->Increment();
  registered(Outcome::Refused);
}

void Metrics::registration_took(double seconds) { impl_->duration.Observe(seconds); }

void Metrics::evicted(EvictionReason reason, size_t count) {
  for (size_t i = 0; i < kEvictions.size(); ++i)
    if (kEvictions[i] == reason) impl_->eviction_counters[i]->Increment(double(count));
}

std::string Metrics::scrape(const Registry& registry, const Lifecycle* lifecycle) {
  Impl& m = *impl_;
  const Registry::Stats& stats = registry.stats();
  m.pool_peers.Set(double(registry.pool_count()));
  m.static_peers.Set(double(registry.static_count()));
  m.age_gauges[0]->Set(double(stats.ages.never));
  m.age_gauges[1]->Set(double(stats.ages.under_3m));
  m.age_gauges[2]->Set(double(stats.ages.under_1h));
  m.age_gauges[3]->Set(double(stats.ages.older));
  m.backend_errors.Increment(double(stats.backend_errors - m.seen_backend_errors));
  m.seen_backend_errors = stats.backend_errors;
  m.reconciles.Increment(double(stats.reconciles - m.seen_reconciles));
  m.seen_reconciles = stats.reconciles;
  m.last_reconcile.Set(double(stats.last_reconcile));
  int64_t expiry = lifecycle ? registry.earliest_expiry() : 0;
  if (expiry && !m.expiry_gauge) m.expiry_gauge = &m.expiry.Add({});
  if (!expiry && m.expiry_gauge) {
    m.expiry.Remove(m.expiry_gauge);
    m.expiry_gauge = nullptr;
  }
  if (m.expiry_gauge) m.expiry_gauge->Set(double(expiry));
  ProcessStats process = read_process_stats();
  if (process.cpu_seconds > m.seen_cpu) m.cpu.Increment(process.cpu_seconds - m.seen_cpu);
  m.seen_cpu = std::max(m.seen_cpu, process.cpu_seconds);
  m.rss.Set(process.resident_bytes);
  m.fds.Set(process.open_fds);
  return expose(m.registry->Collect());
}

}  // namespace autowg
