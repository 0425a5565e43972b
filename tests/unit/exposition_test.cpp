#include <catch2/catch.hpp>

#include <prometheus/counter.h>
#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "exposition.h"
#include "fake_backend.h"
#include "metrics.h"

using namespace autowg;
using namespace autowg::testing;

namespace {

// Each sample line as series text → value; comment lines as themselves.
std::map<std::string, double> samples(const std::string& text, std::vector<std::string>* comments) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("#", 0) == 0) {
      comments->push_back(line);
      continue;
    }
    auto blank = line.rfind(' ');
    REQUIRE(blank != std::string::npos);
    std::string value = line.substr(blank + 1);
    double v = value == "+Inf" ? std::numeric_limits<double>::infinity()
               : value == "-Inf" ? -std::numeric_limits<double>::infinity()
               : value == "NaN"  ? std::nan("")
                                 : std::stod(value);
    REQUIRE(out.emplace(line.substr(0, blank), v).second);
  }
  return out;
}

}  // namespace

TEST_CASE("exposition: counters, gauges and histograms, with escapes, exactly as the format wants") {
  using prometheus::ClientMetric;
  using prometheus::MetricFamily;
  using prometheus::MetricType;
  const double inf = std::numeric_limits<double>::infinity();
  auto gauge = [](std::string k, double v) {
    ClientMetric m;
    m.label = {{"k", std::move(k)}};
    m.gauge.value = v;
    return m;
  };
  ClientMetric counter;
  counter.label = {{"route", "a\"b\\c\nd"}, {"status", "200"}};
  counter.counter.value = 3;
  ClientMetric histogram;  // as prometheus-cpp collects one: the +Inf bucket included
  histogram.histogram = {3, 7.1001, {{1, 0.0005}, {2, 0.25}, {3, inf}}};  // le="0.0005", not "5e-04"
  ClientMetric bare;  // without a +Inf bucket: one is written
  bare.label = {{"r", "x"}};
  bare.histogram = {2, 0.5, {{2, 1}}};
  std::vector<MetricFamily> families = {
      {"t_requests_total", "Requests\\ by\nroute", MetricType::Counter, {counter}},
      {"t_gauge", "A gauge", MetricType::Gauge,
       {gauge("half", 0.5), gauge("time", 1764130000), gauge("big", 1e21), gauge("inf", inf),
        gauge("nan", std::nan(""))}},
      {"t_empty", "No series", MetricType::Gauge, {}},
      {"t_seconds", "Durations", MetricType::Histogram, {histogram, bare}},
  };
  CHECK(expose(families) ==
        "# HELP t_requests_total Requests\\\\ by\\nroute\n"
        "# TYPE t_requests_total counter\n"
        "t_requests_total{route=\"a\\\"b\\\\c\\nd\",status=\"200\"} 3\n"
        "# HELP t_gauge A gauge\n"
        "# TYPE t_gauge gauge\n"
        "t_gauge{k=\"half\"} 0.5\n"
        "t_gauge{k=\"time\"} 1764130000\n"
        "t_gauge{k=\"big\"} 1e+21\n"
        "t_gauge{k=\"inf\"} +Inf\n"
        "t_gauge{k=\"nan\"} NaN\n"
        "# HELP t_seconds Durations\n"
        "# TYPE t_seconds histogram\n"
        "t_seconds_bucket{le=\"0.0005\"} 1\n"
        "t_seconds_bucket{le=\"0.25\"} 2\n"
        "t_seconds_bucket{le=\"+Inf\"} 3\n"
        "t_seconds_sum 7.1001\n"
        "t_seconds_count 3\n"
        "t_seconds_bucket{r=\"x\",le=\"1\"} 2\n"
        "t_seconds_bucket{r=\"x\",le=\"+Inf\"} 2\n"
        "t_seconds_sum{r=\"x\"} 0.5\n"
        "t_seconds_count{r=\"x\"} 2\n");
}

TEST_CASE("exposition: the same samples as prometheus-cpp's own TextSerializer") {
  prometheus::Registry reference;
  auto& family = prometheus::BuildCounter().Name("x_total").Help("x").Register(reference);
  family.Add({{"a", "1"}}).Increment(1e6);
  family.Add({{"a", "2"}}).Increment(123456789);
  prometheus::BuildGauge().Name("g").Help("g").Register(reference).Add({{"q", "\"\n"}}).Set(0.1);
  auto& h = prometheus::BuildHistogram().Name("y").Help("y").Register(reference).Add(
      {{"r", "q"}}, prometheus::Histogram::BucketBoundaries{0.001, 0.01, 1});
  for (int i = 0; i < 1000; ++i) h.Observe(i / 500.0);
  auto collected = reference.Collect();
  std::vector<std::string> ours_comments, theirs_comments;
  auto ours = samples(expose(collected), &ours_comments);
  auto theirs = samples(prometheus::TextSerializer().Serialize(collected), &theirs_comments);
  CHECK(ours_comments == theirs_comments);
  CHECK(ours.size() == theirs.size());
  for (const auto& [series, value] : theirs) {
    INFO(series);
    REQUIRE(ours.count(series));
    CHECK(ours.at(series) == Approx(value).epsilon(1e-12));
  }
}

TEST_CASE("exposition: autowg's scrape, sample by sample") {
  FakeBackend backend;
  Registry registry{backend, *Prefix::parse("fde3:25fb:7f6c:1::/64"), nullptr, Clock::system(), 60.0};
  Metrics metrics{"1.2.3", 10000};
  REQUIRE(registry.register_peer(Name{"1"}, *Address::parse("fde3:25fb:7f6c:1::1"), key_of(1)));
  metrics.registration_took(0.003);
  metrics.evicted(EvictionReason::Idle, 2);
  std::vector<std::string> comments;
  auto series = samples(metrics.scrape(registry, nullptr), &comments);
  CHECK(series.at("autowg_pool_peers") == 1);
  CHECK(series.at("autowg_evictions_total{reason=\"idle\"}") == 2);
  CHECK(series.at("autowg_registration_duration_seconds_bucket{le=\"+Inf\"}") == 1);
  CHECK(series.at("autowg_registration_duration_seconds_count") == 1);
  CHECK(std::count(comments.begin(), comments.end(), "# TYPE autowg_pool_peers gauge") == 1);
}
