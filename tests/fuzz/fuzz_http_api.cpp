// The HTTP API (src/http_api.h) over a Registry and the in-memory
// FakeBackend, checked against a model. The input is a sequence of
// operations; the model (name → key) is what must be on the interface,
// kept from what the API answers: 200 means the name now has that key,
// anything else means nothing changed. When the journal is lost, the
// registered peers become orphans (key → address, no name), which a
// registration for their address takes over (README "Operating notes").
// After every operation:
// - every pool peer on the interface is a model entry or an orphan, and
//   every one of those is on the interface (nothing lost, duplicated or
//   stale);
// - each has exactly its address/128;
// - the static peers put there at the start are untouched;
// and, where the API answers with a view, it agrees with the model: the
// address and server key of a 200, the names of peers.json, the evictions.
//
// Operations (first byte, then its arguments):
//   0-2 register   [subject] [body] [flags]   POST v1/register
//   3   evict      [n] [name]...               Registry::evict
//   4   reconcile                              Registry::reconcile
//   5   the interface is deleted and created again (statics put back)
//   6   [what] time passes / the interface goes / the next change fails
//   7   [what] GET peers.json / the responder restarts (same journal) /
//       the responder restarts with the journal lost
// A subject or name byte picks from a table, or (>= 0xe0) takes a counted
// string from the input; so does a body byte.
#include <rapidjson/document.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fake_backend.h"
#include "fuzz_check.h"
#include "http_api.h"
#include "identity.h"
#include "journal.h"
#include "log.h"

using namespace autowg;
using autowg::testing::FakeBackend;
using autowg::testing::ip_of;
using autowg::testing::key_of;

namespace {

const Prefix kPool = *Prefix::parse("fde3:25fb:7f6c:1::/64");

// AUTOWG_FUZZ_TRACE=1 prints each operation and its outcome (to read a crash).
const bool kTrace = std::getenv("AUTOWG_FUZZ_TRACE") != nullptr;
void trace(const std::string& line) {
  if (kTrace) std::fprintf(stderr, "%s\n", line.c_str());
}
constexpr const char* kSecret = "monitor:secret";

struct StaticPeer {
  WgKey key;
  std::vector<AllowedIp> allowed_ips;
};

// Operators' peers: outside the pool, holding an address and a range inside
// it, and with no allowed-ips at all.
const std::vector<StaticPeer>& static_peers() {
  static const std::vector<StaticPeer> peers{
      {key_of(1001), {ip_of("fde3:25fb:7f6c::2/128")}},
      {key_of(1002), {ip_of("10.0.0.0/24"), ip_of("fde3:25fb:7f6c:1::4242/128")}},
      {key_of(1003), {ip_of("fde3:25fb:7f6c:1::5500/120"), ip_of("fde3:25fb:7f6c:2::/64")}},
      {key_of(1004), {}},
  };
  return peers;
}

const char* const kSubjects[] = {
    "CN=1234",         "CN=0042",        "CN=42",         "CN=4242",         "CN=5512",
    "CN=1",            "CN=9999",        "CN=0000",       "CN=12345",        "CN=abc",
    "O=Fleet,CN=1234", "CN=1234,CN=42",  "/O=Fleet/CN=7", "CN=x\\,CN=1234",  "CN=7+O=x",
    "",
};
const char* const kNames[] = {"1234", "0042", "42", "7", "1", "9999", "0000", "4242", "nobody"};

std::string key_text(uint8_t pick) {
  switch (pick % 16) {
    case 0: case 1: case 2: case 3: case 4: case 5: return key_of(1 + pick % 16).base64();
    case 6: return key_of(1).base64() + "\n";
    case 7: return "  " + key_of(2).base64() + "\r\n";
    case 8: return key_of(1001).base64();  // a static peer's
    case 9: return key_of(9999).base64();  // the interface's own
    case 10: return key_of(8888).base64();  // the re-created interface's own
    case 11: return "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";  // all zeros
    case 12: return key_of(3).base64().substr(0, 42) + "B=";  // filler bits set
    case 13: return key_of(4).base64() + "\n" + key_of(5).base64();  // a psk line
    case 14: return std::string(2000, 'A');
    default: return "";
  }
}

struct Request : HttpRequest {
  std::map<std::string, std::string, std::less<>> params;
  std::string body;

  std::optional<std::string_view> param(std::string_view name) const override {
    auto it = params.find(name);
    if (it == params.end()) return std::nullopt;
    return std::string_view(it->second);
  }
  Result<std::string, BodyError> read_body(size_t limit) override {
    if (body.size() > limit) return Failure<BodyError>{BodyError::TooLarge};
    return body;
  }
};

struct Response : HttpResponse {
  int status = 0;
  int starts = 0;
  std::string body;
  void start(int s, const Headers&) override {
    status = s;
    ++starts;
  }
  void write(std::string_view data) override { body += data; }
};

Journal& journal() {
  static Journal* journal = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "autowg-fuzz-api.XXXXXX").string();
    if (!mkdtemp(tmpl.data())) fuzz::violated("mkdtemp", __FILE__, __LINE__, tmpl);
    static std::filesystem::path dir = tmpl;
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    });
    auto opened = Journal::open(tmpl, "wg0");
    if (!opened) fuzz::violated("the journal opens", __FILE__, __LINE__, opened.error());
    return new Journal(std::move(*opened));
  }();
  return *journal;
}

class World {
 public:
  World()
      : pattern_(*CnPattern::compile(CnPattern::kDefault)),
        converter_(make_converter(ConverterKind::DirectBcd, kPool).value()) {
    settings_.route = *Prefix::parse("fde3:25fb:7f6c::/48");
    settings_.endpoint_host = "vpn.example.com";
    settings_.monitoring.peers_secret = kSecret;
    put_statics();
    journal().clear();
    start_responder();
  }

  void step(fuzz::Reader& in) {
    clock_.mono += 1;
    clock_.unix += 1;
    switch (in.byte() % 8) {
      case 0: case 1: case 2: {
        std::string subject = pick_subject(in);
        uint8_t body = in.byte();
        std::string key = body >= 0xe0 ? std::string(in.counted()) : key_text(body);
        register_device(subject, key, in.byte());
        break;
      }
      case 3: {
        std::vector<std::string> names(1 + in.byte() % 3);
        for (auto& name : names) name = pick_name(in);
        evict(names);
        break;
      }
      case 4: reconcile(); break;
      case 5: recreate(); break;
      case 6:
        switch (in.byte() % 3) {
          case 0:  // the view is older than its bound
            trace("61 s later");
            clock_.mono += 61;
            clock_.unix += 61;
            break;
          case 1:  // until the next re-creation
            trace("the interface is gone");
            backend_.exists = false;
            break;
          case 2:
            trace("the next change fails");
            backend_.fail_next_apply = true;
            break;
        }
        break;
      case 7:
        switch (in.byte() % 3) {
          case 0: peers_json(); break;
          case 1:
            trace("the responder restarts");
            start_responder();
            break;
          case 2:
            trace("the responder restarts with the journal lost");
            journal().clear();
            start_responder();
            for (const auto& [name, key] : model_) orphans_.emplace(key.bytes(), address_of(name));
            model_.clear();
            break;
        }
        break;
    }
    check_interface();
  }

 private:
  struct FakeClock {
    int64_t unix = 1735689600;
    double mono = 1000;
  };

  std::string pick_subject(fuzz::Reader& in) {
    uint8_t pick = in.byte();
    if (pick >= 0xe0) return std::string(in.counted());
    return kSubjects[pick % std::size(kSubjects)];
  }
  std::string pick_name(fuzz::Reader& in) {
    uint8_t pick = in.byte();
    if (pick >= 0xe0) return std::string(in.counted());
    return kNames[pick % std::size(kNames)];
  }

  void put_statics() {
    for (const auto& s : static_peers()) backend_.device.peers.push_back(Peer{s.key, s.allowed_ips, 0, 0, 0});
  }

  // A new Registry and Api on the same interface and journal, as a restarted
  // responder has.
  void start_responder() {
    api_.reset();
    registry_ = std::make_unique<Registry>(
        backend_, kPool, &journal(),
        Clock{[this] { return clock_.unix; }, [this] { return clock_.mono; }}, 60.0);
    api_ = std::make_unique<Api>(settings_, pattern_, *converter_, *registry_);
  }

  Address address_of(const std::string& name) const {
    auto address = converter_->address_for(Name{name});
    FUZZ_CHECK(address, "model name " + name);
    return *address;
  }

  void register_device(const std::string& subject, const std::string& body, uint8_t flags) {
    Request request;
    request.params["REQUEST_METHOD"] = "POST";
    request.params["REQUEST_URI"] = "/v1/register";
    request.params[std::string(kDefaultSubjectParam)] = subject;
    if (flags & 1) request.params["CONTENT_LENGTH"] = std::to_string(body.size());
    if (flags & 2) request.params["HTTP_ACCEPT"] = "application/json";
    request.body = body;
    Response response;
    // The front end asks for an early answer before the body is there.
    if (!(flags & 4) || !api_->answer_early(request, response)) api_->handle(request, response);
    FUZZ_CHECK(response.starts == 1, std::to_string(response.starts));

    int s = response.status;
    trace("register subject=" + fuzz::printable(subject) + " body=" + fuzz::printable(body.substr(0, 60)) + " flags=" + std::to_string(flags) + " -> " +
          std::to_string(s) + " " + response.body.substr(0, response.body.find('\n')));
    FUZZ_CHECK(s == 200 || s == 400 || s == 403 || s == 409 || s == 413 || s == 500 || s == 503,
               std::to_string(s) + " " + response.body);
    if (s != 200) return;

    auto identity = identify(settings_.identity, pattern_, [&](std::string_view n) { return request.param(n); });
    FUZZ_CHECK(identity, subject);
    auto key = WgKey::parse(body);
    FUZZ_CHECK(key, body);
    const std::string& name = identity->name.value;
    std::string ip = address_of(name).str();
    std::string server_key = backend_.device.info.public_key->base64();
    if (flags & 2) {
      FUZZ_CHECK(response.body.find("\"ip\":\"" + ip + "\"") != std::string::npos, response.body);
      FUZZ_CHECK(response.body.find("\"pubkey\":\"" + server_key + "\"") != std::string::npos, response.body);
    } else {
      FUZZ_CHECK(response.body.find("\nip=" + ip + "\n") != std::string::npos, response.body);
      FUZZ_CHECK(response.body.find("\npubkey=" + server_key + "\n") != std::string::npos, response.body);
    }
    model_[name] = *key;
    // An orphan at the address was taken over; one with the key was the
    // device's own peer (its address is now the device's).
    std::erase_if(orphans_, [&](const auto& o) { return o.first == key->bytes() || o.second.str() == ip; });
  }

  void evict(const std::vector<std::string>& names) {
    auto evicted = registry_->evict(names);
    std::string list;
    for (const auto& n : names) list += " " + fuzz::printable(n);
    trace("evict" + list + " -> " + (evicted ? std::to_string(evicted->size()) + " evicted" : evicted.error().reason));
    if (!evicted) return;
    for (const auto& e : *evicted) {
      auto it = model_.find(e.name);
      FUZZ_CHECK(it != model_.end() && it->second == e.key, "evicted " + e.name + " which the model lacks");
      FUZZ_CHECK(e.address == address_of(e.name), e.name + " at " + e.address.str());
      model_.erase(it);
    }
    for (const auto& name : names) FUZZ_CHECK(!model_.count(name), "evict left " + name + " registered");
  }

  void reconcile() {
    auto refused = registry_->reconcile();
    trace("reconcile -> " + (refused ? refused->reason : "ok"));
    if (refused) return;
    FUZZ_CHECK(registry_->named_count() == model_.size(),
               std::to_string(registry_->named_count()) + " named after a reconcile, the model has " +
                   std::to_string(model_.size()));
  }

  void recreate() {
    trace("the interface is re-created");
    backend_.recreate();
    backend_.exists = true;
    put_statics();
    model_.clear();
    orphans_.clear();
  }

  void peers_json() {
    Request request;
    request.params["REQUEST_METHOD"] = "GET";
    request.params["REQUEST_URI"] = "/v1/peers.json";
    request.params["HTTP_AUTHORIZATION"] = "Basic bW9uaXRvcjpzZWNyZXQ=";  // base64 of kSecret
    Response response;
    api_->handle(request, response);
    trace("GET peers.json -> " + std::to_string(response.status) + " " + response.body);
    FUZZ_CHECK(response.starts == 1);
    if (response.status != 200) {
      FUZZ_CHECK(response.status == 500 || response.status == 503, std::to_string(response.status));
      return;
    }
    rapidjson::Document doc;
    doc.Parse(response.body.c_str(), response.body.size());
    FUZZ_CHECK(!doc.HasParseError() && doc.IsObject(), response.body);
    FUZZ_CHECK(doc.MemberCount() == model_.size(), response.body);
    for (const auto& [name, key] : model_) {
      FUZZ_CHECK(doc.HasMember(name.c_str()) && doc[name.c_str()].IsObject(), name + " missing from " + response.body);
      const auto& peer = doc[name.c_str()];
      FUZZ_CHECK(peer.HasMember("pubkey") && peer["pubkey"].IsString() && peer["pubkey"].GetString() == key.base64(),
                 response.body);
      FUZZ_CHECK(peer.HasMember("ip") && peer["ip"].IsString() && peer["ip"].GetString() == address_of(name).str(),
                 response.body);
    }
  }

  void check_interface() {
    std::map<WgKey::Bytes, std::string> name_by_key;
    for (const auto& [name, key] : model_) {
      auto [it, inserted] = name_by_key.emplace(key.bytes(), name);
      FUZZ_CHECK(inserted, "the model gives one key to " + it->second + " and " + name);
    }
    std::map<WgKey::Bytes, int> seen;
    size_t statics = 0, pool = 0;
    for (const Peer& peer : backend_.device.peers) {
      FUZZ_CHECK(++seen[peer.public_key.bytes()] == 1, "peer " + peer.public_key.base64() + " twice");
      auto s = std::find_if(static_peers().begin(), static_peers().end(),
                            [&](const StaticPeer& sp) { return sp.key == peer.public_key; });
      if (s != static_peers().end()) {
        FUZZ_CHECK(peer.allowed_ips == s->allowed_ips, "static peer " + peer.public_key.base64() + " changed");
        ++statics;
        continue;
      }
      ++pool;
      if (auto orphan = orphans_.find(peer.public_key.bytes()); orphan != orphans_.end()) {
        FUZZ_CHECK(!name_by_key.count(orphan->first), "key " + peer.public_key.base64() + " is named and an orphan");
        FUZZ_CHECK(peer.allowed_ips == std::vector<AllowedIp>{AllowedIp::host(orphan->second)},
                   "orphan " + peer.public_key.base64() + " does not have exactly its /128");
        continue;
      }
      auto named = name_by_key.find(peer.public_key.bytes());
      FUZZ_CHECK(named != name_by_key.end(), "peer " + peer.public_key.base64() + " is not in the model");
      FUZZ_CHECK(peer.allowed_ips == std::vector<AllowedIp>{AllowedIp::host(address_of(named->second))},
                 named->second + " does not have exactly its /128");
    }
    FUZZ_CHECK(statics == static_peers().size(), "a static peer is gone");
    FUZZ_CHECK(pool == model_.size() + orphans_.size(),
               std::to_string(pool) + " pool peers, the model has " + std::to_string(model_.size()) + " and " +
                   std::to_string(orphans_.size()) + " orphans");
  }

  FakeBackend backend_;
  FakeClock clock_;
  CnPattern pattern_;
  std::unique_ptr<Converter> converter_;
  ApiSettings settings_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<Api> api_;
  std::map<std::string, WgKey> model_;
  std::map<WgKey::Bytes, Address> orphans_;  // pool peers whose name was lost
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  set_log_sink([](const std::string&) {});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Reader in(data, size);
  World world;
  for (int steps = 0; !in.empty() && steps < 64; ++steps) world.step(in);
  return 0;
}
