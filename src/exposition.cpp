#include "exposition.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string_view>

namespace autowg {
namespace {

void append_number(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buffer[32];
    auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, error == std::errc() ? end : buffer);
  }
}

// HELP: backslash and newline. Label values: also the double quote.
void append_escaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (quote && c == '"')
      out += "\\\"";
    else
      out += c;
  }
}

// NAME{a="1",b="2"[,EXTRA="VALUE"]} VALUE
void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                   const std::vector<prometheus::ClientMetric::Label>& labels, std::string_view extra_name,
                   const std::string& extra_value, double value) {
  out += name;
  out += suffix;
  if (!labels.empty() || !extra_name.empty()) {
    out += '{';
    bool first = true;
    auto label = [&](std::string_view label_name, std::string_view label_value) {
      if (!first) out += ',';
      first = false;
      out += label_name;
      out += "=\"";
      append_escaped(out, label_value, true);
      out += '"';
    };
    for (const auto& l : labels) label(l.name, l.value);
    if (!extra_name.empty()) label(extra_name, extra_value);
    out += '}';
  }
  out += ' ';
  append_number(out, value);
  out += '\n';
}

// A number in a label (a bucket's le, a quantile): as prometheus-cpp's own
// serializer writes it (%.16g: le="0.0005", never "5e-04"), since a label's
// text is part of the series' identity that queries and dashboards name.
std::string label_number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  char buffer[32];
  int n = std::snprintf(buffer, sizeof buffer, "%.16g", value);
  return std::string(buffer, n > 0 ? size_t(n) : 0);
}

std::string_view type_name(prometheus::MetricType type) {
  switch (type) {
    case prometheus::MetricType::Counter: return "counter";
    case prometheus::MetricType::Gauge: return "gauge";
    case prometheus::MetricType::Summary: return "summary";
    case prometheus::MetricType::Histogram: return "histogram";
    case prometheus::MetricType::Untyped: break;
  }
  return "untyped";
}

}  // namespace

std::string expose(const std::vector<prometheus::MetricFamily>& families) {
  std::string out;
  out.reserve(8192);
  for (const auto& family : families) {
    if (family.metric.empty()) continue;
    out += "# HELP ";
    out += family.name;
    out += ' ';
    append_escaped(out, family.help, false);
    out += "\n# TYPE ";
    out += family.name;
    out += ' ';
    out += type_name(family.type);
    out += '\n';
    const std::string& name = family.name;
    for (const auto& m : family.metric) {
      switch (family.type) {
        case prometheus::MetricType::Counter:
          append_sample(out, name, "", m.label, "", "", m.counter.value);
          break;
        case prometheus::MetricType::Gauge:
          append_sample(out, name, "", m.label, "", "", m.gauge.value);
          break;
        case prometheus::MetricType::Untyped:
          append_sample(out, name, "", m.label, "", "", m.untyped.value);
          break;
        case prometheus::MetricType::Summary:
          for (const auto& q : m.summary.quantile)
            append_sample(out, name, "", m.label, "quantile", label_number(q.quantile), q.value);
          append_sample(out, name, "_sum", m.label, "", "", m.summary.sample_sum);
          append_sample(out, name, "_count", m.label, "", "", double(m.summary.sample_count));
          break;
        case prometheus::MetricType::Histogram: {
          bool has_inf = false;
          for (const auto& b : m.histogram.bucket) {
            has_inf = has_inf || std::isinf(b.upper_bound);
            append_sample(out, name, "_bucket", m.label, "le", label_number(b.upper_bound), double(b.cumulative_count));
          }
          if (!has_inf)
            append_sample(out, name, "_bucket", m.label, "le", "+Inf", double(m.histogram.sample_count));
          append_sample(out, name, "_sum", m.label, "", "", m.histogram.sample_sum);
          append_sample(out, name, "_count", m.label, "", "", double(m.histogram.sample_count));
          break;
        }
      }
    }
  }
  return out;
}

}  // namespace autowg
