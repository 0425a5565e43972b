// Metrics: autowg's series for Prometheus (GET v1/metrics), built with
// prometheus-cpp's core library: families, a histogram, the text
// serializer. Events are counted as they happen; the pool's gauges are read
// at scrape time from what the registry keeps (O(1), never a read of the
// interface). Labels only ever take values from the fixed sets below: no
// name, key or free text reaches a label.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lifecycle.h"
#include "registry.h"

namespace autowg {

enum class Route { Register, Peers, Metrics, Other };
enum class Outcome { Registered, Replaced, Unchanged, Refused };
enum class RefusalReason {
  Unverified, NoIdentity, BadSubject, CnRefused, AddressRefused, BadBody, TooLarge, BadKey, OwnKey,
  KeyConflict, AddressConflict, Revoked, Denied, Expired, Unavailable, Backend,
};

class Metrics {
 public:
  // `pool_capacity`: addresses in the pool (direct-bcd); nullopt omits the series.
  Metrics(std::string_view version, std::optional<uint64_t> pool_capacity);
  ~Metrics();

  void request(Route route, int status);
  void registered(Outcome outcome);
  void refused(RefusalReason reason);
  void registration_took(double seconds);
  void evicted(EvictionReason reason, size_t count);

  // The exposition text (format 0.0.4), with the pool's gauges taken from
  // `registry` and the process's series from /proc.
  std::string scrape(const Registry& registry, const Lifecycle* lifecycle);

  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string_view route_label(Route route);
std::string_view refusal_label(RefusalReason reason);

// This process's CPU time (clock_gettime), resident memory (/proc/self/statm),
// open descriptors (/proc/self/fd) and start time (/proc/self/stat, read
// once), for the process_* series.
struct ProcessStats {
  double cpu_seconds = 0;
  double resident_bytes = 0;
  double open_fds = 0;
  double start_time = 0;  // Unix seconds
};
ProcessStats read_process_stats();

}  // namespace autowg
