#include <catch2/catch.hpp>

#include <map>

#include "fake_backend.h"
#include "http_api.h"
#include "log.h"
#include "options.h"

using namespace autowg;
using namespace autowg::testing;

namespace {

const std::string kKey1 = key_of(1).base64();
const std::string kKey2 = key_of(2).base64();

struct Request : HttpRequest {
  std::map<std::string, std::string, std::less<>> params;
  std::string body;
  bool stalls = false;

  std::optional<std::string_view> param(std::string_view name) const override {
    auto it = params.find(name);
    if (it == params.end()) return std::nullopt;
    return std::string_view(it->second);
  }
  Result<std::string, BodyError> read_body(size_t limit) override {
    if (stalls) return Failure<BodyError>{BodyError::Incomplete};
    if (body.size() > limit) return Failure<BodyError>{BodyError::TooLarge};
    return body;
  }
};

struct Response : HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;
  int starts = 0;
  void start(int s, const Headers& h) override {
    status = s;
    headers = h;
    ++starts;
  }
  void write(std::string_view data) override { body += data; }
  std::string header(const std::string& name) const {
    for (const auto& [n, v] : headers)
      if (n == name) return v;
    return "";
  }
};

struct Fixture {
  FakeBackend backend;
  Config config;
  std::unique_ptr<Registry> registry;
  std::unique_ptr<Api> api;

  explicit Fixture(std::vector<std::string> extra = {}, std::optional<std::string> auth = std::nullopt,
                   const char* endpoint = "vpn.example.com") {
    std::vector<std::string> args{"serve", "--pool", "fde3:25fb:7f6c:1::/64", "--route", "fde3:25fb:7f6c::/48",
                                  "--endpoint", endpoint, "--http-prefix", "/vpn/"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("wg0");
    config = parse_command_line(args, auth);
    registry = std::make_unique<Registry>(backend, config.pool, nullptr, Clock::system(), 60);
    api = std::make_unique<Api>(config.api, *config.cn_pattern, *config.converter, *registry);
  }

  Response run(const std::string& method, const std::string& uri, const std::string& body = "",
               std::map<std::string, std::string, std::less<>> params = {}) {
    Request req;
    req.params = std::move(params);
    req.params["REQUEST_METHOD"] = method;
    req.params["REQUEST_URI"] = uri;
    req.body = body;
    Response res;
    api->handle(req, res);
    CHECK(res.starts == 1);
    return res;
  }

  Response register_as(const std::string& subject, const std::string& body,
                       std::map<std::string, std::string, std::less<>> params = {}) {
    params["HTTP_X_CLIENT_SUBJECT"] = subject;
    return run("POST", "/vpn/v1/register", body, params);
  }
};

}  // namespace

TEST_CASE("a registration answers the config lines of the original protocol") {
  Fixture f;
  Response r = f.register_as("CN=1234,O=Fleet", kKey1 + "\n");
  CHECK(r.status == 200);
  CHECK(r.header("Content-Type") == "text/plain; charset=utf-8");
  CHECK(r.body == "endpoint=vpn.example.com:51820\npubkey=" + key_of(9999).base64() +
                      "\nroute=fde3:25fb:7f6c::/48\nip=fde3:25fb:7f6c:1::1234\nkeepalive=25\n");
  CHECK(f.backend.find(key_of(1)));
}

TEST_CASE("Accept: application/json gets the same fields as JSON") {
  Fixture f({"--keepalive", "0"}, std::nullopt, "2001:db8::1");
  Response r = f.register_as("CN=1234", kKey1, {{"HTTP_ACCEPT", "text/html, application/json;q=0.9"}});
  CHECK(r.status == 200);
  CHECK(r.header("Content-Type") == "application/json");
  CHECK(r.body == "{\"endpoint\":\"[2001:db8::1]:51820\",\"pubkey\":\"" + key_of(9999).base64() +
                      "\",\"route\":\"fde3:25fb:7f6c::/48\",\"ip\":\"fde3:25fb:7f6c:1::1234\",\"keepalive\":0}\n");
  CHECK(f.register_as("CN=1234", kKey1, {{"HTTP_ACCEPT", "application/json;q=0"}}).header("Content-Type") ==
        "text/plain; charset=utf-8");
}

TEST_CASE("identity refusals are 403 and change nothing") {
  Fixture f;
  CHECK(f.run("POST", "/vpn/v1/register", kKey1).status == 403);
  CHECK(f.register_as("", kKey1).status == 403);
  CHECK(f.register_as("O=Fleet", kKey1).status == 403);
  CHECK(f.register_as("CN=x\\,CN=1234", kKey1).status == 403);
  CHECK(f.register_as("CN=12345", kKey1).status == 403);  // not 1-4 digits for direct-bcd
  Response r = f.register_as("CN=1234,CN=5678", kKey1);
  CHECK(r.status == 403);
  CHECK(r.body.rfind("forbidden: ", 0) == 0);
  CHECK(f.backend.applies == 0);
}

TEST_CASE("a configured verification param must say SUCCESS") {
  Fixture f({"--verify-param", "SSL_CLIENT_VERIFY"});
  CHECK(f.register_as("CN=1234", kKey1).status == 403);
  CHECK(f.register_as("CN=1234", kKey1, {{"SSL_CLIENT_VERIFY", "FAILED:unable to get issuer"}}).status == 403);
  CHECK(f.register_as("CN=1234", kKey1, {{"SSL_CLIENT_VERIFY", "NONE"}}).status == 403);
  CHECK(f.register_as("CN=1234", kKey1, {{"SSL_CLIENT_VERIFY", "SUCCESS"}}).status == 200);
}

TEST_CASE("a configured subject param replaces the header") {
  Fixture f({"--subject-param", "SSL_CLIENT_S_DN"});
  CHECK(f.register_as("CN=1234", kKey1).status == 403);  // the header alone is not trusted
  CHECK(f.run("POST", "/vpn/v1/register", kKey1, {{"SSL_CLIENT_S_DN", "/C=DE/O=Fleet/CN=1234"}}).status == 200);
}

TEST_CASE("bad bodies are 400 or 413 and change nothing") {
  Fixture f;
  CHECK(f.register_as("CN=1", "").status == 400);
  CHECK(f.register_as("CN=1", "hello").status == 400);
  CHECK(f.register_as("CN=1", kKey1.substr(0, 43)).status == 400);
  CHECK(f.register_as("CN=1", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").status == 400);
  CHECK(f.register_as("CN=1", key_of(9999).base64()).status == 400);  // the server's own key
  CHECK(f.register_as("CN=1", std::string(2000, 'A')).status == 413);
  Request stalled;
  stalled.params = {{"REQUEST_METHOD", "POST"}, {"REQUEST_URI", "/vpn/v1/register"}, {"HTTP_X_CLIENT_SUBJECT", "CN=1"}};
  stalled.stalls = true;
  Response r;
  f.api->handle(stalled, r);
  CHECK(r.status == 400);
  CHECK(f.backend.applies == 0);
}

TEST_CASE("conflicts are 409, a missing interface 503") {
  Fixture f;
  REQUIRE(f.register_as("CN=1", kKey1).status == 200);
  Response r = f.register_as("CN=2", kKey1);
  CHECK(r.status == 409);
  CHECK(r.body == "the key is already registered by another device\n");
  f.backend.exists = false;
  CHECK(f.register_as("CN=2", kKey2).status == 503);
}

TEST_CASE("routing: unknown paths 404, wrong methods 405 with Allow") {
  Fixture f;
  CHECK(f.run("POST", "/v1/register", kKey1).status == 404);  // outside the prefix
  CHECK(f.run("GET", "/vpn/v1/registerx").status == 404);
  CHECK(f.run("GET", "/vpn/").status == 404);
  Response r = f.run("GET", "/vpn/v1/register");
  CHECK(r.status == 405);
  CHECK(r.header("Allow") == "POST");
  r = f.run("POST", "/vpn/v1/peers.json");
  CHECK(r.status == 405);
  CHECK(r.header("Allow") == "GET");
  CHECK(f.register_as("CN=1234", kKey1, {{"REQUEST_URI", "/vpn/v1/register?x=1"}}).status == 200);
}

TEST_CASE("peers.json is off without a secret") {
  Fixture f;
  CHECK(f.run("GET", "/vpn/v1/peers.json", "", {{"HTTP_AUTHORIZATION", "Basic YTpi"}}).status == 404);
}

TEST_CASE("peers.json needs the right Basic credential") {
  Fixture f({}, std::string("mon:s3cret"));
  Response r = f.run("GET", "/vpn/v1/peers.json");
  CHECK(r.status == 401);
  CHECK(r.header("WWW-Authenticate") == "Basic realm=\"autowg\"");
  CHECK(f.run("GET", "/vpn/v1/peers.json", "", {{"HTTP_AUTHORIZATION", "Basic bW9uOndyb25n"}}).status == 401);
  CHECK(f.run("GET", "/vpn/v1/peers.json", "", {{"HTTP_AUTHORIZATION", "Basic bW9uOnMzY3JldA=="}}).status == 200);
  CHECK(f.run("GET", "/vpn/v1/peers.json", "", {{"HTTP_AUTHORIZATION", "basic  bW9uOnMzY3JldA=="}}).status == 200);
  CHECK(f.run("GET", "/vpn/v1/peers.json", "", {{"HTTP_AUTHORIZATION", "Basic bW9uOnMzY3JldA==x"}}).status == 401);
  CHECK(f.run("GET", "/vpn/v1/peers.json", "", {{"HTTP_AUTHORIZATION", "Bearer bW9uOnMzY3JldA=="}}).status == 401);
  // The secret is the process's, never a request's.
  CHECK(f.run("GET", "/vpn/v1/peers.json", "", {{"HTTP_AUTH", "a:b"}, {"HTTP_AUTHORIZATION", "Basic YTpi"}}).status ==
        401);
}

TEST_CASE("peers.json lists named peers sorted, with every field") {
  Fixture f({}, std::string("mon:s3cret"));
  REQUIRE(f.register_as("CN=20", kKey2).status == 200);
  REQUIRE(f.register_as("CN=3", kKey1).status == 200);
  f.backend.find(key_of(1))->tx_bytes = 99;
  Response r = f.run("GET", "/vpn/v1/peers.json", "", {{"HTTP_AUTHORIZATION", "Basic bW9uOnMzY3JldA=="}});
  REQUIRE(r.status == 200);
  CHECK(r.header("Content-Type") == "application/json");
  auto p20 = r.body.find("\"20\":{\"created\":");
  auto p3 = r.body.find("\"3\":{\"created\":");
  CHECK(p20 != std::string::npos);
  CHECK(p3 != std::string::npos);
  CHECK(p20 < p3);
  CHECK(r.body.find("\"ip\":\"fde3:25fb:7f6c:1::3\",\"last_handshake\":0,\"pubkey\":\"" + kKey1 +
                    "\",\"rx_bytes\":0,\"tx_bytes\":99}") != std::string::npos);
  CHECK(r.body.back() == '\n');
  f.backend.device.peers.clear();
  r = f.run("GET", "/vpn/v1/peers.json", "", {{"HTTP_AUTHORIZATION", "Basic bW9uOnMzY3JldA=="}});
  CHECK(r.body == "{}\n");
}

TEST_CASE("one audit line per registration, with the outcome, the refusal and the client address") {
  Fixture f;
  std::vector<std::string> lines;
  set_log_sink([&](const std::string& l) { lines.push_back(l); });
  f.register_as("CN=1234", kKey1, {{"REMOTE_ADDR", "192.0.2.7"}});
  f.register_as("CN=1234", kKey2, {{"REMOTE_ADDR", "192.0.2.7"}});
  f.register_as("CN=99", kKey2, {{"REMOTE_ADDR", "192.0.2.8"}});
  f.register_as("CN=x\ny", kKey1);
  set_log_sink(nullptr);
  std::vector<std::string> register_lines;
  for (const auto& l : lines)
    if (l.find("event=register") != std::string::npos) register_lines.push_back(l);
  REQUIRE(register_lines.size() == 4);
  CHECK(register_lines[0].find("status=200 outcome=registered refusal=- name=1234 ip=fde3:25fb:7f6c:1::1234 key=" +
                               kKey1.substr(0, 8) + " replaced=- serial=- issuer=- not_after=- client=192.0.2.7") !=
        std::string::npos);
  CHECK(register_lines[1].find("outcome=replaced") != std::string::npos);
  CHECK(register_lines[1].find("replaced=" + kKey1.substr(0, 8)) != std::string::npos);
  CHECK(register_lines[2].find("status=409 outcome=refused refusal=key_conflict name=99") != std::string::npos);
  CHECK(register_lines[2].find("client=192.0.2.8") != std::string::npos);
  CHECK(register_lines[3].find("status=403 outcome=refused refusal=bad_subject") != std::string::npos);
  for (const auto& l : register_lines) CHECK(l.find('\n') == std::string::npos);
}

TEST_CASE("a 403 body escapes control characters from the subject") {
  Fixture f({"--cn-pattern", "(.*)"});
  auto r = f.register_as("CN=a\\1bb\\0dc", kKey1);  // RFC 4514 hex escapes: ESC, CR
  CHECK(r.status == 403);
  CHECK(r.body.find('\x1b') == std::string::npos);
  CHECK(r.body.find('\r') == std::string::npos);
}

TEST_CASE("GET v1/metrics: Prometheus text behind the monitoring credential") {
  Metrics metrics("0.1.0", 10000);
  Fixture f({}, std::string("mon:s3cret"));
  Api api(f.config.api, *f.config.cn_pattern, *f.config.converter, *f.registry, nullptr, &metrics);
  auto get = [&](std::map<std::string, std::string, std::less<>> params) {
    Request req;
    req.params = std::move(params);
    req.params["REQUEST_METHOD"] = "GET";
    req.params["REQUEST_URI"] = "/vpn/v1/metrics";
    Response res;
    api.handle(req, res);
    return res;
  };
  CHECK(get({}).status == 401);
  auto ok = get({{"HTTP_AUTHORIZATION", "Basic bW9uOnMzY3JldA=="}});
  CHECK(ok.status == 200);
  CHECK(ok.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(ok.body.find("autowg_requests_total{route=\"metrics\",status=\"401\"} 1\n") != std::string::npos);
  // A scrape is counted once answered: the next one shows it.
  auto next = get({{"HTTP_AUTHORIZATION", "Basic bW9uOnMzY3JldA=="}});
  CHECK(next.body.find("autowg_requests_total{route=\"metrics\",status=\"200\"} 1\n") != std::string::npos);
  // Without a credential (and without metrics) it is 404.
  Fixture off;
  CHECK(off.run("GET", "/vpn/v1/metrics").status == 404);
}
