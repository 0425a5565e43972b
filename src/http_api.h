// The HTTP API (SPEC §4, §6): routes, statuses and bodies. It sees a request
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

#include "identity.h"
#include "options.h"
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

class Api {
 public:
  Api(const Config& config, Registry& registry);
  void handle(HttpRequest& request, HttpResponse& response);

 private:
  void register_device(HttpRequest& request, HttpResponse& response);
  void peers(HttpRequest& request, HttpResponse& response);
  bool authorized(const HttpRequest& request) const;

  const Config& config_;
  Registry& registry_;
  IdentitySettings identity_;
  std::string expected_authorization_;  // "Basic base64(secret)"
};

// "Status: 404 Not Found" text for a status code.
std::string_view status_text(int status);

}  // namespace autowg
