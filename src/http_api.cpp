#include "http_api.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <cstdlib>

#include "log.h"
#include "text.h"

namespace autowg {
namespace {

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
    if (ascii_lower(trim(item.substr(0, semi), " \t")) != kJsonType) continue;
    std::string params = semi == std::string_view::npos ? "" : ascii_lower(item.substr(semi));
    auto q = params.find("q=");
    return q == std::string::npos || std::strtod(params.c_str() + q + 2, nullptr) > 0;
  }
  return false;
}

LogLevel level_for(int status) {
  return status < 400 ? LogLevel::Info : status >= 500 ? LogLevel::Error : LogLevel::Warning;
}

RefusalReason reason_for(IdentityError::Kind kind) {
  switch (kind) {
    case IdentityError::Kind::Unverified: return RefusalReason::Unverified;
    case IdentityError::Kind::Missing: return RefusalReason::NoIdentity;
    case IdentityError::Kind::BadSubject: return RefusalReason::BadSubject;
    case IdentityError::Kind::CnRefused: return RefusalReason::CnRefused;
  }
  return RefusalReason::BadSubject;
}

RefusalReason reason_for(EvictionReason reason) {
  switch (reason) {
    case EvictionReason::Revoked: return RefusalReason::Revoked;
    case EvictionReason::Denied: return RefusalReason::Denied;
    default: return RefusalReason::Expired;
  }
}

RefusalReason reason_for(const Refusal& r) {
  switch (r.kind) {
    case Refusal::Kind::BadRequest: return RefusalReason::OwnKey;
    case Refusal::Kind::Conflict:
      return r.about == Refusal::About::Address ? RefusalReason::AddressConflict : RefusalReason::KeyConflict;
    case Refusal::Kind::Unavailable: return RefusalReason::Unavailable;
    case Refusal::Kind::Internal: return RefusalReason::Backend;
  }
  return RefusalReason::Backend;
}

double since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

// One registration request as it goes: what is known of it so far, for the
// one audit line and the metrics at the end. Nothing secret is kept: keys
// appear as fingerprints.
struct Api::Attempt {
  Attempt(HttpRequest& request, HttpResponse& response, Metrics* metrics)
      : request(request), response(response), metrics(metrics) {}
  HttpRequest& request;
  HttpResponse& response;
  Metrics* metrics;
  std::optional<Identity> identity;
  std::optional<WgKey> key;
  std::optional<Address> address;

  std::string client() const { return std::string(request.param("REMOTE_ADDR").value_or("-")); }

  // The audit line: every field that is known, "-" for the rest.
  void log(int status, std::string_view outcome, std::string_view refusal, const std::string& reason,
           const std::optional<WgKey>& previous = std::nullopt) {
    const CertRecord* cert = identity ? &identity->cert : nullptr;
    auto or_dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
    log_event(level_for(status), "register",
              {{"status", std::to_string(status)},
               {"outcome", std::string(outcome)},
               {"refusal", refusal.empty() ? "-" : std::string(refusal)},
               {"name", identity ? identity->name.value : "-"},
               {"ip", address ? address->str() : "-"},
               {"key", key ? key->fingerprint() : "-"},
               {"replaced", previous ? previous->fingerprint() : "-"},
               {"serial", cert ? or_dash(cert->serial) : "-"},
               {"issuer", cert ? or_dash(cert->issuer) : "-"},
               {"not_after", cert && cert->not_after ? std::to_string(cert->not_after) : "-"},
               {"client", client()},
               {"reason", reason.empty() ? "-" : reason}});
  }

  void refuse(int status, RefusalReason reason, const std::string& text) {
    log(status, "refused", refusal_label(reason), text);
    if (metrics) metrics->refused(reason);
    reply(response, status, status == 403 ? "forbidden: " + text : text);
  }
};

Api::Api(ApiSettings settings, const CnPattern& pattern, const Converter& converter, Registry& registry,
         const Lifecycle* lifecycle, Metrics* metrics)
    : settings_(std::move(settings)),
      pattern_(pattern),
      converter_(converter),
      registry_(registry),
      lifecycle_(lifecycle),
      metrics_(metrics),
      monitoring_(settings_.monitoring, registry, metrics, lifecycle) {}

std::optional<Route> Api::route(const HttpRequest& request, HttpResponse& response) {
  std::string path = request_path(request);
  std::string method(request.param("REQUEST_METHOD").value_or(""));
  const std::string& prefix = settings_.http_prefix;
  std::string route = path.rfind(prefix, 0) == 0 ? path.substr(prefix.size()) : std::string();
  struct Known {
    const char* path;
    const char* method;
    Route route;
  };
  static const Known kRoutes[] = {{"v1/register", "POST", Route::Register},
                                  {"v1/peers.json", "GET", Route::Peers},
                                  {"v1/metrics", "GET", Route::Metrics}};
  for (const auto& known : kRoutes) {
    if (route != known.path) continue;
    if (method == known.method) return known.route;
    log_event(LogLevel::Warning, "request",
              {{"status", "405"}, {"method", escape_controls(method)}, {"path", path}});
    reply(response, 405, std::string("method not allowed: use ") + known.method, {{"Allow", known.method}});
    if (metrics_) metrics_->request(known.route, 405);
    return std::nullopt;
  }
  log_event(LogLevel::Warning, "request", {{"status", "404"}, {"method", method}, {"path", path}});
  reply(response, 404, "not found");
  if (metrics_) metrics_->request(Route::Other, 404);
  return std::nullopt;
}

namespace {
// Notes the status a route answered with, for autowg_requests_total.
class StatusTap final : public HttpResponse {
 public:
  explicit StatusTap(HttpResponse& inner) : inner_(inner) {}
  void start(int status, const Headers& headers) override {
    status_ = status;
    inner_.start(status, headers);
  }
  void write(std::string_view data) override { inner_.write(data); }
  int status() const { return status_; }

 private:
  HttpResponse& inner_;
  int status_ = 0;
};
}  // namespace

bool Api::answer_early(HttpRequest& request, HttpResponse& response) {
  auto r = route(request, response);
  if (!r) return true;
  if (*r != Route::Register) return false;
  StatusTap tap(response);
  Attempt attempt(request, tap, metrics_);
  bool answered = !identify_device(attempt) || refuse_declared_length(attempt);
  if (answered && metrics_) metrics_->request(Route::Register, tap.status());
  return answered;
}

void Api::handle(HttpRequest& request, HttpResponse& response) {
  std::vector<Exchange> one{{request, response}};
  handle_all(one);
}

void Api::handle_all(std::vector<Exchange>& exchanges) {
  auto start = std::chrono::steady_clock::now();
  struct Registering {
    std::unique_ptr<StatusTap> tap;
    std::unique_ptr<Attempt> attempt;
  };
  std::vector<Registering> registering;
  std::vector<Registry::Intent> intents;
  for (auto& [request, response] : exchanges) {
    auto r = route(request, response);
    if (!r) continue;
    auto tap = std::make_unique<StatusTap>(response);
    if (*r == Route::Register) {
      auto attempt = std::make_unique<Attempt>(request, *tap, metrics_);
      if (prepare_registration(*attempt)) {
        intents.push_back(Registry::Intent{attempt->identity->name, *attempt->address, *attempt->key,
                                           attempt->identity->cert});
        registering.push_back({std::move(tap), std::move(attempt)});
        continue;
      }
    } else if (*r == Route::Peers) {
      monitoring_.peers(request, *tap);
    } else if (*r == Route::Metrics) {
      monitoring_.metrics(request, *tap);
    }
    if (metrics_) metrics_->request(*r, tap->status());
  }
  if (intents.empty()) return;
  // The registrations that passed their checks go to the interface together.
  auto results = registry_.register_batch(std::move(intents));
  double took = since(start);
  for (size_t i = 0; i < registering.size(); ++i) {
    if (metrics_) metrics_->registration_took(took);
    finish_registration(*registering[i].attempt, results[i]);
    if (metrics_) metrics_->request(Route::Register, registering[i].tap->status());
  }
}

bool Api::identify_device(Attempt& a) {
  auto params = [&](std::string_view name) { return a.request.param(name); };
  auto identity = identify(settings_.identity, pattern_, params);
  if (!identity) {
    a.refuse(403, reason_for(identity.error().kind), identity.error().reason);
    return false;
  }
  a.identity = std::move(*identity);
  if (lifecycle_) {
    if (auto refused = lifecycle_->refusal(a.identity->name, a.identity->cert)) {
      a.refuse(403, reason_for(refused->reason), refused->text);
      return false;
    }
  }
  return true;
}

// A declared body over the limit (or a malformed length) is refused before
// any of the body is read.
bool Api::refuse_declared_length(Attempt& a) {
  auto length = declared_length(a.request);
  if (length && (!*length || **length <= kMaxBodySize)) return false;
  auto error = length ? HttpRequest::BodyError::TooLarge : length.error();
  auto [status, text] = body_error(error);
  a.refuse(status, error == HttpRequest::BodyError::TooLarge ? RefusalReason::TooLarge : RefusalReason::BadBody,
           text);
  return true;
}

bool Api::prepare_registration(Attempt& a) {
  if (!identify_device(a) || refuse_declared_length(a)) return false;
  auto body = a.request.read_body(kMaxBodySize);
  if (!body) {
    auto [status, text] = body_error(body.error());
    a.refuse(status, status == 413 ? RefusalReason::TooLarge : RefusalReason::BadBody, text);
    return false;
  }
  auto key = WgKey::parse(*body);
  if (!key) {
    a.refuse(400, RefusalReason::BadKey, "bad key: " + key.error());
    return false;
  }
  a.key = *key;
  auto address = converter_.address_for(a.identity->name);
  if (!address) {
    a.refuse(403, RefusalReason::AddressRefused, address.error());
    return false;
  }
  a.address = *address;
  return true;
}

void Api::finish_registration(Attempt& a, const Result<Registration, Refusal>& registration) {
  if (!registration) {
    const Refusal& r = registration.error();
    a.refuse(http_status(r.kind), reason_for(r), r.reason);
    return;
  }
  Outcome outcome = registration->replaced ? Outcome::Replaced
                    : registration->unchanged ? Outcome::Unchanged
                                              : Outcome::Registered;
  static constexpr std::string_view kOutcome[] = {"registered", "replaced", "unchanged"};
  a.log(200, kOutcome[size_t(outcome)], "", "", registration->replaced);
  if (metrics_) metrics_->registered(outcome);
  answer_registration(a, *registration);
}

void Api::answer_registration(Attempt& a, const Registration& registration) {
  std::string endpoint = settings_.endpoint_host + ":" + std::to_string(registration.listen_port);
  std::string server_key = registration.server_key.base64();
  std::string route = settings_.route.str();
  std::string ip = registration.address.str();
  if (wants_json(a.request.param("HTTP_ACCEPT"))) {
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
    a.response.start(200, {{"Content-Type", kJsonType}});
    a.response.write(std::string_view(buffer.GetString(), buffer.GetSize()));
    a.response.write("\n");
    return;
  }
  a.response.start(200, {{"Content-Type", kTextType}});
  a.response.write("endpoint=" + endpoint + "\npubkey=" + server_key + "\nroute=" + route + "\nip=" + ip +
                   "\nkeepalive=" + std::to_string(settings_.keepalive) + "\n");
}

}  // namespace autowg
