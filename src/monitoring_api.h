// The monitoring routes, behind HTTP Basic authentication:
//   GET {prefix}v1/peers.json  the named pool peers (peers_json.h)
//   GET {prefix}v1/metrics     Prometheus text format (metrics.h)
// Each is 404 when no credential enables it. The credential is compared in
// constant time and never read from a request parameter.
#pragma once

#include <optional>
#include <string>

#include "http.h"
#include "lifecycle.h"
#include "metrics.h"
#include "registry.h"

namespace autowg {

struct MonitoringSettings {
  std::optional<std::string> peers_secret;    // "user:password" (--auth-file, HTTP_AUTH)
  std::optional<std::string> metrics_secret;  // --metrics-auth; unset: the same as peers.json
};

class MonitoringApi {
 public:
  // `metrics` is null when metrics are off.
  MonitoringApi(const MonitoringSettings& settings, Registry& registry, Metrics* metrics, const Lifecycle* lifecycle);

  void peers(const HttpRequest& request, HttpResponse& response);
  void metrics(const HttpRequest& request, HttpResponse& response);

 private:
  // False after answering 404 or 401.
  bool admit(const HttpRequest& request, HttpResponse& response, const std::string& expected, const char* event);

  Registry& registry_;
  Metrics* metrics_;
  const Lifecycle* lifecycle_;
  std::string peers_authorization_;    // base64(user:password); empty: off
  std::string metrics_authorization_;  // likewise
};

// Whether an Authorization header carries exactly `expected` (base64 of
// user:password), compared in constant time.
bool basic_auth_matches(std::optional<std::string_view> header, const std::string& expected);

}  // namespace autowg
