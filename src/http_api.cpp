#include "http_api.h"

#include <openssl/crypto.h>
#include <cstdlib>
#include <openssl/evp.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "log.h"
#include "peers_json.h"

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

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

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
    if (lower(trim(item.substr(0, semi))) != kJsonType) continue;
    std::string params = semi == std::string_view::npos ? "" : lower(item.substr(semi));
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

Api::Api(const Config& config, Registry& registry) : config_(config), registry_(registry) {
  identity_.subject_param = config.subject_param;
  identity_.verify_param = config.verify_param;
  identity_.cert_param = config.cert_param;
  if (config.monitoring_secret) expected_authorization_ = base64(*config.monitoring_secret);
}

void Api::handle(HttpRequest& request, HttpResponse& response) {
  std::string path = request_path(request);
  std::string method(request.param("REQUEST_METHOD").value_or(""));
  const std::string& prefix = config_.http_prefix;
  std::string route = path.rfind(prefix, 0) == 0 ? path.substr(prefix.size()) : std::string();
  if (route == "v1/register") {
    if (method == "POST") return register_device(request, response);
    log_event(LogLevel::Warning, "request", {{"status", "405"}, {"method", method}, {"path", path}});
    return reply(response, 405, "method not allowed: use POST", {{"Allow", "POST"}});
  }
  if (route == "v1/peers.json") {
    if (method == "GET") return peers(request, response);
    log_event(LogLevel::Warning, "request", {{"status", "405"}, {"method", method}, {"path", path}});
    return reply(response, 405, "method not allowed: use GET", {{"Allow", "GET"}});
  }
  log_event(LogLevel::Warning, "request", {{"status", "404"}, {"method", method}, {"path", path}});
  reply(response, 404, "not found");
}

void Api::register_device(HttpRequest& request, HttpResponse& response) {
  auto params = [&](std::string_view name) { return request.param(name); };
  auto identity = identify(identity_, *config_.cn_pattern, params);
  if (!identity) {
    log_event(LogLevel::Warning, "register", {{"status", "403"}, {"reason", identity.error()}});
    return reply(response, 403, "forbidden: " + identity.error());
  }
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
  auto address = config_.converter->address_for(identity->name);
  if (!address) {
    log_event(LogLevel::Warning, "register",
              {{"status", "403"}, {"name", name}, {"key", key->fingerprint()}, {"reason", address.error()}});
    return reply(response, 403, "forbidden: " + address.error());
  }
  auto registration = registry_.register_peer(identity->name, *address, *key);
  if (!registration) {
    const Refusal& r = registration.error();
    log_event(level_for(r.status), "register",
              {{"status", std::to_string(r.status)}, {"name", name}, {"ip", address->str()},
               {"key", key->fingerprint()}, {"reason", r.reason}});
    return reply(response, r.status, r.reason);
  }
  log_event(LogLevel::Info, "register",
            {{"status", "200"}, {"name", name}, {"ip", address->str()}, {"key", key->fingerprint()},
             {"replaced", registration->replaced ? registration->replaced->fingerprint() : "-"}});

  std::string endpoint = config_.endpoint_host + ":" + std::to_string(registration->listen_port);
  std::string server_key = registration->server_key.base64();
  std::string route = config_.route.str();
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
    w.Int(config_.keepalive);
    w.EndObject();
    response.start(200, {{"Content-Type", kJsonType}});
    response.write(std::string_view(buffer.GetString(), buffer.GetSize()));
    response.write("\n");
    return;
  }
  reply(response, 200,
        "endpoint=" + endpoint + "\npubkey=" + server_key + "\nroute=" + route + "\nip=" + ip +
            "\nkeepalive=" + std::to_string(config_.keepalive));
}

bool Api::authorized(const HttpRequest& request) const {
  auto header = request.param("HTTP_AUTHORIZATION");
  if (!header) return false;
  std::string_view value = trim(*header);
  auto space = value.find(' ');
  if (space == std::string_view::npos || lower(value.substr(0, space)) != "basic") return false;
  std::string_view credentials = trim(value.substr(space + 1));
  const std::string& expected = expected_authorization_;
  // Constant time over the expected length; a length mismatch fails anyway.
  std::string padded(credentials.substr(0, expected.size()));
  padded.resize(expected.size(), '\0');
  bool same = CRYPTO_memcmp(padded.data(), expected.data(), expected.size()) == 0;
  return same && credentials.size() == expected.size();
}

void Api::peers(HttpRequest& request, HttpResponse& response) {
  if (!config_.monitoring_secret) {
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
    log_event(level_for(refused->status), "peers", {{"status", std::to_string(refused->status)}, {"reason", refused->reason}});
    return reply(response, refused->status, refused->reason);
  }
  start();
  writer.end();
  log_event(LogLevel::Info, "peers", {{"status", "200"}, {"count", std::to_string(writer.count())}});
}

}  // namespace autowg
