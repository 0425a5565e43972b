// The HTTP API (README "HTTP API"): routes, statuses and bodies.
//
//   POST {prefix}v1/register    body: the device's WireGuard public key
//   GET  {prefix}v1/peers.json  Basic auth; 404 when monitoring is off
//   GET  {prefix}v1/metrics     Basic auth; 404 when metrics are off
//
// Every registration, whatever its outcome, is one audit line in the log
// (event=register) and counted in the metrics.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cn_pattern.h"
#include "http.h"
#include "identity.h"
#include "ip6.h"
#include "lifecycle.h"
#include "metrics.h"
#include "monitoring_api.h"
#include "naming.h"
#include "registry.h"

namespace autowg {

// What the API needs from the command line.
struct ApiSettings {
  std::string http_prefix = "/";  // ends in '/'
  Prefix route;
  std::string endpoint_host;  // IPv6 literals already in brackets
  int keepalive = 25;
  IdentitySettings identity;
  MonitoringSettings monitoring;
};

class Api {
 public:
  // `lifecycle` may be null (no revocation, deny list or expiry checks),
  // `metrics` too (metrics off).
  Api(ApiSettings settings, const CnPattern& pattern, const Converter& converter, Registry& registry,
      const Lifecycle* lifecycle = nullptr, Metrics* metrics = nullptr);
  // The whole request. The body is read only after the route and the
  // identity have passed.
  void handle(HttpRequest& request, HttpResponse& response);
  // Requests that are complete at the same moment: the registrations among
  // them go to the interface together (Registry::register_batch), each
  // answered as if alone.
  struct Exchange {
    HttpRequest& request;
    HttpResponse& response;
  };
  void handle_all(std::vector<Exchange>& exchanges);
  // What can be answered before the body has arrived: an unknown route, a
  // wrong method, a refused identity, a declared body over the limit. False
  // when the request needs its body (then handle() it once that is there).
  bool answer_early(HttpRequest& request, HttpResponse& response);

 private:
  struct Attempt;
  // The route; a wrong path or method is answered here (nullopt).
  std::optional<Route> route(const HttpRequest& request, HttpResponse& response);
  bool identify_device(Attempt& attempt);
  bool refuse_declared_length(Attempt& attempt);
  bool prepare_registration(Attempt& attempt);
  void finish_registration(Attempt& attempt, const Result<Registration, Refusal>& registration);
  void answer_registration(Attempt& attempt, const Registration& registration);

  ApiSettings settings_;
  const CnPattern& pattern_;
  const Converter& converter_;
  Registry& registry_;
  const Lifecycle* lifecycle_;
  Metrics* metrics_;
  MonitoringApi monitoring_;
};

}  // namespace autowg
