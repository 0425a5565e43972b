// The HTTP API (README "HTTP API"): routes, statuses and bodies. It sees a request
// through a small interface, so the FastCGI loop is a thin adapter and the
// API is unit-tested without a web server.
//
//   POST {prefix}v1/register    body: the device's WireGuard public key
//   GET  {prefix}v1/peers.json  Basic auth; 404 when monitoring is off
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cn_pattern.h"
#include "identity.h"
#include "lifecycle.h"
#include "ip6.h"
#include "naming.h"
#include "registry.h"

namespace autowg {

constexpr size_t kMaxBodySize = 1024;

class HttpRequest {
 public:
  virtual ~HttpRequest() = default;
  virtual std::optional<std::string_view> param(std::string_view name) const = 0;
  // Reads the body, at most `limit` bytes. An error when there is more
  // (413) or the client stopped sending (400).
  enum class BodyError { TooLarge, Incomplete };
  virtual Result<std::string, BodyError> read_body(size_t limit) = 0;
};

class HttpResponse {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;
  virtual ~HttpResponse() = default;
  virtual void start(int status, const Headers& headers) = 0;
  virtual void write(std::string_view data) = 0;
};

// What the API needs from the command line.
struct ApiSettings {
  std::string http_prefix = "/";  // ends in '/'
  Prefix route;
  std::string endpoint_host;  // IPv6 literals already in brackets
  int keepalive = 25;
  IdentitySettings identity;
  std::optional<std::string> monitoring_secret;  // "user:password"; unset: peers.json is off
};

class Api {
 public:
  // `lifecycle` may be null (no revocation, deny list or expiry checks).
  Api(ApiSettings settings, const CnPattern& pattern, const Converter& converter, Registry& registry,
      const Lifecycle* lifecycle = nullptr);
  // The whole request. The body is read only after the route and the
  // identity have passed.
  void handle(HttpRequest& request, HttpResponse& response);
  // What can be answered before the body has arrived: an unknown route, a
  // wrong method, a refused identity, a declared body over the limit. False
  // when the request needs its body (then handle() it once that is there).
  bool answer_early(HttpRequest& request, HttpResponse& response);

 private:
  enum class Route { Register, Peers, Answered };
  // The route; a wrong path or method is answered here (Answered).
  Route route(const HttpRequest& request, HttpResponse& response) const;
  std::optional<Identity> identify_device(const HttpRequest& request, HttpResponse& response) const;
  bool refuse_declared_length(const HttpRequest& request, HttpResponse& response) const;
  void register_device(HttpRequest& request, HttpResponse& response);
  void peers(HttpRequest& request, HttpResponse& response);
  bool authorized(const HttpRequest& request) const;

  ApiSettings settings_;
  const CnPattern& pattern_;
  const Converter& converter_;
  Registry& registry_;
  const Lifecycle* lifecycle_;
  std::string expected_authorization_;  // "Basic base64(secret)"
};

// "Not Found" for 404.
std::string_view status_text(int status);

// The HTTP status that answers a refusal of each kind.
int http_status(Refusal::Kind kind);

}  // namespace autowg
