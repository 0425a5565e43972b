#include "http_api.h"

#include <openssl/crypto.h>
#include <cstdlib>
#include <openssl/evp.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "log.h"
#include "peers_json.h"
#include "text.h"

namespace autowg {
namespace {

const char kTextType[] = "text/plain; charset=utf-8";
const char kJsonType[] = "application/json";

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()), int(data.size()));
  out.resize(size_t(n));
  return out;
}

// Blanks around header values (RFC 9110 OWS).
constexpr std::string_view kOws = " \t";

// Whether the Accept header asks for application/json (and does not rule it
// out with q=0).
bool wants_json(std::optional<std::string_view> accept) {
  if (!accept) return false;
  std::string_view rest = *accept;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    auto semi = item.find(';');
    if (ascii_lower(trim(item.substr(0, semi), kOws)) != kJsonType) continue;
    std::string params = semi == std::string_view::npos ? "" : ascii_lower(item.substr(semi));
    auto q = params.find("q=");
    return q == std::string::npos || std::strtod(params.c_str() + q + 2, nullptr) > 0;
  }
  return false;
}

// The request path without the query string.
std::string request_path(const HttpRequest& request) {
  if (auto uri = request.param("REQUEST_URI")) return std::string(uri->substr(0, uri->find('?')));
  if (auto doc = request.param("DOCUMENT_URI")) return std::string(*doc);
  return std::string(request.param("SCRIPT_NAME").value_or("")) + std::string(request.param("PATH_INFO").value_or(""));
}

void reply(HttpResponse& response, int status, std::string_view text, HttpResponse::Headers extra = {}) {
  extra.insert(extra.begin(), {"Content-Type", kTextType});
  response.start(status, extra);
  response.write(text);
  response.write("\n");
}

LogLevel level_for(int status) { return status < 400 ? LogLevel::Info : status >= 500 ? LogLevel::Error : LogLevel::Warning; }

}  // namespace

std::string_view status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

int http_status(Refusal::Kind kind) {
  switch (kind) {
    case Refusal::Kind::BadRequest: return 400;
    case Refusal::Kind::Conflict: return 409;
    case Refusal::Kind::Unavailable: return 503;
    case Refusal::Kind::Internal: return 500;
  }
  return 500;
}

Api::Api(ApiSettings settings, const CnPattern& pattern, const Converter& converter, Registry& registry,
         const Lifecycle* lifecycle)
    : settings_(std::move(settings)), pattern_(pattern), converter_(converter), registry_(registry),
      lifecycle_(lifecycle) {
  if (settings_.monitoring_secret) expected_authorization_ = base64(*settings_.monitoring_secret);
}

Api::Route Api::route(const HttpRequest& request, HttpResponse& response) const {
  std::string path = request_path(request);
  std::string method(request.param("REQUEST_METHOD").value_or(""));
  const std::string& prefix = settings_.http_prefix;
  std::string route = path.rfind(prefix, 0) == 0 ? path.substr(prefix.size()) : std::string();
  struct Known {
    const char* path;
    const char* method;
    Route route;
  };
  static const Known kRoutes[] = {{"v1/register", "POST", Route::Register}, {"v1/peers.json", "GET", Route::Peers}};
  for (const auto& known : kRoutes) {
    if (route != known.path) continue;
    if (method == known.method) return known.route;
    log_event(LogLevel::Warning, "request", {{"status", "405"}, {"method", method}, {"path", path}});
    reply(response, 405, std::string("method not allowed: use ") + known.method, {{"Allow", known.method}});
    return Route::Answered;
  }
  log_event(LogLevel::Warning, "request", {{"status", "404"}, {"method", method}, {"path", path}});
  reply(response, 404, "not found");
  return Route::Answered;
}

bool Api::answer_early(HttpRequest& request, HttpResponse& response) {
  switch (route(request, response)) {
    case Route::Answered: return true;
    case Route::Register: return !identify_device(request, response) || refuse_declared_length(request, response);
    default: return false;
  }
}

void Api::handle(HttpRequest& request, HttpResponse& response) {
  switch (route(request, response)) {
    case Route::Register: return register_device(request, response);
    case Route::Peers: return peers(request, response);
    case Route::Answered: return;
  }
}

std::optional<Identity> Api::identify_device(const HttpRequest& request, HttpResponse& response) const {
  auto params = [&](std::string_view name) { return request.param(name); };
  auto identity = identify(settings_.identity, pattern_, params);
  if (!identity) {
    log_event(LogLevel::Warning, "register", {{"status", "403"}, {"reason", identity.error()}});
    reply(response, 403, "forbidden: " + identity.error());
    return std::nullopt;
  }
  if (lifecycle_) {
    if (auto refused = lifecycle_->refusal(identity->name, identity->cert)) {
      log_event(LogLevel::Warning, "register",
                {{"status", "403"}, {"name", identity->name.value},
                 {"serial", identity->cert.serial.empty() ? "-" : identity->cert.serial}, {"reason", *refused}});
      reply(response, 403, "forbidden: " + *refused);
      return std::nullopt;
    }
  }
  return std::move(*identity);
}

// A declared body over the limit is refused before any of it is read.
bool Api::refuse_declared_length(const HttpRequest& request, HttpResponse& response) const {
  auto length = request.param("CONTENT_LENGTH");
  if (!length || length->empty() || length->find_first_not_of("0123456789") != std::string_view::npos) return false;
  auto n = parse_number<size_t>(*length);
  if (n && *n <= kMaxBodySize) return false;
  log_event(LogLevel::Warning, "register", {{"status", "413"}, {"reason", "body over 1 KiB"}});
  reply(response, 413, "body over 1 KiB");
  return true;
}

void Api::register_device(HttpRequest& request, HttpResponse& response) {
  auto identity = identify_device(request, response);
  if (!identity) return;
  const std::string& name = identity->name.value;

  auto body = request.read_body(kMaxBodySize);
  if (!body) {
    bool large = body.error() == HttpRequest::BodyError::TooLarge;
    std::string reason = large ? "body over 1 KiB" : "the body ended early";
    log_event(LogLevel::Warning, "register", {{"status", large ? "413" : "400"}, {"name", name}, {"reason", reason}});
    return reply(response, large ? 413 : 400, reason);
  }
  auto key = WgKey::parse(*body);
  if (!key) {
    log_event(LogLevel::Warning, "register", {{"status", "400"}, {"name", name}, {"reason", key.error()}});
    return reply(response, 400, "bad key: " + key.error());
  }
  auto address = converter_.address_for(identity->name);
  if (!address) {
    log_event(LogLevel::Warning, "register",
              {{"status", "403"}, {"name", name}, {"key", key->fingerprint()}, {"reason", address.error()}});
    return reply(response, 403, "forbidden: " + address.error());
  }
  auto registration = registry_.register_peer(identity->name, *address, *key, identity->cert);
  if (!registration) {
    const Refusal& r = registration.error();
    int status = http_status(r.kind);
    log_event(level_for(status), "register",
              {{"status", std::to_string(status)}, {"name", name}, {"ip", address->str()},
               {"key", key->fingerprint()}, {"reason", r.reason}});
    return reply(response, status, r.reason);
  }
  log_event(LogLevel::Info, "register",
            {{"status", "200"}, {"name", name}, {"ip", address->str()}, {"key", key->fingerprint()},
             {"replaced", registration->replaced ? registration->replaced->fingerprint() : "-"}});

  std::string endpoint = settings_.endpoint_host + ":" + std::to_string(registration->listen_port);
  std::string server_key = registration->server_key.base64();
  std::string route = settings_.route.str();
  std::string ip = registration->address.str();
  if (wants_json(request.param("HTTP_ACCEPT"))) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    w.Key("endpoint");
    w.String(endpoint.c_str());
    w.Key("pubkey");
    w.String(server_key.c_str());
    w.Key("route");
    w.String(route.c_str());
    w.Key("ip");
    w.String(ip.c_str());
    w.Key("keepalive");
    w.Int(settings_.keepalive);
    w.EndObject();
    response.start(200, {{"Content-Type", kJsonType}});
    response.write(std::string_view(buffer.GetString(), buffer.GetSize()));
    response.write("\n");
    return;
  }
  reply(response, 200,
        "endpoint=" + endpoint + "\npubkey=" + server_key + "\nroute=" + route + "\nip=" + ip +
            "\nkeepalive=" + std::to_string(settings_.keepalive));
}

bool Api::authorized(const HttpRequest& request) const {
  auto header = request.param("HTTP_AUTHORIZATION");
  if (!header) return false;
  std::string_view value = trim(*header, kOws);
  auto space = value.find(' ');
  if (space == std::string_view::npos || ascii_lower(value.substr(0, space)) != "basic") return false;
  std::string_view credentials = trim(value.substr(space + 1), kOws);
  const std::string& expected = expected_authorization_;
  // Constant time over the expected length; a length mismatch fails anyway.
  std::string padded(credentials.substr(0, expected.size()));
  padded.resize(expected.size(), '\0');
  bool same = CRYPTO_memcmp(padded.data(), expected.data(), expected.size()) == 0;
  return same && credentials.size() == expected.size();
}

void Api::peers(HttpRequest& request, HttpResponse& response) {
  if (!settings_.monitoring_secret) {
    log_event(LogLevel::Warning, "peers", {{"status", "404"}, {"reason", "monitoring is off"}});
    return reply(response, 404, "not found");
  }
  if (!authorized(request)) {
    log_event(LogLevel::Warning, "peers", {{"status", "401"}, {"reason", "missing or wrong credentials"}});
    return reply(response, 401, "unauthorized", {{"WWW-Authenticate", "Basic realm=\"autowg\""}});
  }
  bool started = false;
  PeersJsonWriter writer([&](std::string_view block) { response.write(block); });
  auto start = [&] {
    if (started) return;
    response.start(200, {{"Content-Type", kJsonType}});
    writer.begin();
    started = true;
  };
  auto refused = registry_.visit_peers([&](const PeerStatus& p) {
    start();
    writer.peer(p);
  });
  if (refused) {
    int status = http_status(refused->kind);
    log_event(level_for(status), "peers", {{"status", std::to_string(status)}, {"reason", refused->reason}});
    return reply(response, status, refused->reason);
  }
  start();
  writer.end();
  log_event(LogLevel::Info, "peers", {{"status", "200"}, {"count", std::to_string(writer.count())}});
}

}  // namespace autowg
