// The Prometheus text exposition format (version 0.0.4) of prometheus-cpp's
// collected families, written directly: prometheus-cpp's TextSerializer
// formats every number through an ostream, which was half of a scrape's CPU.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace autowg {

// HELP and TYPE lines, then one line per sample (histograms: _bucket lines
// with cumulative counts and le="+Inf", _sum, _count; summaries: quantile
// lines, _sum, _count). HELP text and label values are escaped as the
// format says; sample values are the shortest text that reads back the
// same double, or +Inf, -Inf, NaN; numbers in labels (le, quantile) are
// written as prometheus-cpp writes them (%.16g), so that series keep their
// names.
std::string expose(const std::vector<prometheus::MetricFamily>& families);

}  // namespace autowg
