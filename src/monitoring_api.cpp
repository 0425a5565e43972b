#include "monitoring_api.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "log.h"
#include "peers_json.h"
#include "text.h"

namespace autowg {
namespace {

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()), int(data.size()));
  out.resize(size_t(n));
  return out;
}

// Blanks around header values (RFC 9110 OWS).
constexpr std::string_view kOws = " \t";

}  // namespace

bool basic_auth_matches(std::optional<std::string_view> header, const std::string& expected) {
  if (!header || expected.empty()) return false;
  std::string_view value = trim(*header, kOws);
  auto space = value.find(' ');
  if (space == std::string_view::npos || ascii_lower(value.substr(0, space)) != "basic") return false;
  std::string_view credentials = trim(value.substr(space + 1), kOws);
  // Constant time over the expected length; a length mismatch fails anyway.
  std::string padded(credentials.substr(0, expected.size()));
  padded.resize(expected.size(), '\0');
  bool same = CRYPTO_memcmp(padded.data(), expected.data(), expected.size()) == 0;
  return same && credentials.size() == expected.size();
}

MonitoringApi::MonitoringApi(const MonitoringSettings& settings, Registry& registry, Metrics* metrics,
                             const Lifecycle* lifecycle)
    : registry_(registry), metrics_(metrics), lifecycle_(lifecycle) {
  if (settings.peers_secret) peers_authorization_ = base64(*settings.peers_secret);
  if (metrics_) {
    const auto& secret = settings.metrics_secret ? settings.metrics_secret : settings.peers_secret;
    if (secret) metrics_authorization_ = base64(*secret);
  }
}

bool MonitoringApi::admit(const HttpRequest& request, HttpResponse& response, const std::string& expected,
                          const char* event) {
  if (expected.empty()) {
    log_event(LogLevel::Warning, event, {{"status", "404"}, {"reason", "monitoring is off"}});
    reply(response, 404, "not found");
    return false;
  }
  if (!basic_auth_matches(request.param("HTTP_AUTHORIZATION"), expected)) {
    log_event(LogLevel::Warning, event, {{"status", "401"}, {"reason", "missing or wrong credentials"}});
    reply(response, 401, "unauthorized", {{"WWW-Authenticate", "Basic realm=\"autowg\""}});
    return false;
  }
  return true;
}

void MonitoringApi::peers(const HttpRequest& request, HttpResponse& response) {
  if (!admit(request, response, peers_authorization_, "peers")) return;
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
    log_event(LogLevel::Error, "peers", {{"status", std::to_string(status)}, {"reason", refused->reason}});
    return reply(response, status, refused->reason);
  }
  start();
  writer.end();
  log_event(LogLevel::Info, "peers", {{"status", "200"}, {"count", std::to_string(writer.count())}});
}

void MonitoringApi::metrics(const HttpRequest& request, HttpResponse& response) {
  if (!admit(request, response, metrics_authorization_, "metrics")) return;
  std::string text = metrics_->scrape(registry_, lifecycle_);
  response.start(200, {{"Content-Type", std::string(Metrics::kContentType)}});
  // No log line: a scrape every few seconds is not news (it is counted in
  // autowg_requests_total).
  response.write(text);
}

}  // namespace autowg
