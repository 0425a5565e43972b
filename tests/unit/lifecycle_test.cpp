#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>

#include "fake_backend.h"
#include "lifecycle.h"
#include "log.h"
#include "pki_fixture.h"

using namespace autowg;
using namespace autowg::testing;

namespace {

const Prefix kPool = *Prefix::parse("fde3:25fb:7f6c:1::/64");

struct Fixture {
  FakeBackend backend;
  int64_t unix_now = 1735689600;
  double now = 1000;
  Registry registry{backend, kPool, nullptr, Clock{[this] { return unix_now; }, [this] { return now; }}, 60.0};
  TempFiles files;
  LifecycleSettings settings;
  std::vector<std::string> log;

  Fixture() {
    backend.device.peers.push_back(Peer{key_of(500), {ip_of("fde3:25fb:7f6c::2/128"), ip_of("10.0.0.2/32")}});
    set_log_sink([this](const std::string& line) { log.push_back(line); });
  }
  ~Fixture() { set_log_sink(nullptr); }

  void reg(int n, const std::string& serial, int64_t not_after) {
    std::string name = std::to_string(n);
    Address address = *Address::parse("fde3:25fb:7f6c:1::" + name);
    REQUIRE(registry.register_peer(Name{name}, address, key_of(n), CertRecord{serial, "", not_after}));
  }
  bool present(int n) const {
    for (const auto& p : backend.device.peers)
      if (p.public_key == key_of(n)) return true;
    return false;
  }
  std::unique_ptr<Lifecycle> lifecycle() {
    auto lc = std::make_unique<Lifecycle>(settings, registry, [this] { return unix_now; });
    REQUIRE_FALSE(lc->load());
    return lc;
  }
  bool logged(const std::string& fragment) const {
    for (const auto& l : log)
      if (l.find(fragment) != std::string::npos) return true;
    return false;
  }
};

struct Ca {
  Key key = new_key();
  Cert cert = make_certificate(key.get(), "Fleet CA", "01", nullptr, nullptr, true);
  std::string crl(const std::vector<std::string>& serials) { return pem(make_crl(cert.get(), key.get(), serials).get()); }
};

}  // namespace

TEST_CASE("a new CRL evicts exactly the peers whose serials it revokes, in one change") {
  Fixture f;
  Ca ca;
  f.settings.crl_path = f.files.write("crl.pem", ca.crl({}));
  f.settings.crl_ca_path = f.files.write("ca.pem", pem(ca.cert.get()));
  auto lc = f.lifecycle();
  f.reg(1, "1001", 0);
  f.reg(2, "1002", 0);
  f.reg(3, "", 0);  // serial unknown
  int applies = f.backend.applies;
  f.files.write("crl.pem", ca.crl({"1002", "9999"}));
  lc->reload_crl();
  CHECK(f.present(1));
  CHECK_FALSE(f.present(2));
  CHECK(f.present(3));
  CHECK(f.present(500));  // the static peer
  CHECK(f.backend.applies == applies + 1);
  CHECK(f.logged("event=evict reason=revoked name=2 ip=fde3:25fb:7f6c:1::2"));
  CHECK(f.logged("serial=1002"));
  bool timed = std::any_of(f.log.begin(), f.log.end(), [](const std::string& l) {
    return std::regex_search(l, std::regex("event=crl file=\\S+ revoked=2 evicted=1 load_seconds=[0-9]+\\.[0-9]{4}"));
  });
  CHECK(timed);
  CHECK(lc->refusal(Name{"2"}, CertRecord{"1002", "", 0})->text == "the certificate (serial 1002) is revoked");
  CHECK_FALSE(lc->refusal(Name{"2"}, CertRecord{"1003", "", 0}));
}

TEST_CASE("a CRL that does not load or verify evicts nobody and keeps the previous list") {
  Fixture f;
  Ca ca, other;
  f.settings.crl_path = f.files.write("crl.pem", ca.crl({"1001"}));
  f.settings.crl_ca_path = f.files.write("ca.pem", pem(ca.cert.get()));
  auto lc = f.lifecycle();
  f.reg(2, "1002", 0);
  f.files.write("crl.pem", other.crl({"1002"}));  // signed by another key
  lc->reload_crl();
  CHECK(f.present(2));
  f.files.write("crl.pem", ca.crl({"1002"}).substr(0, 120));  // truncated
  lc->reload_crl();
  CHECK(f.present(2));
  CHECK(f.logged("event=crl"));
  CHECK(f.logged("ignored; the previous list (1 revoked) stays"));
  CHECK(lc->refusal(Name{"1"}, CertRecord{"1001", "", 0}));  // still revoked
}

TEST_CASE("the deny list evicts and refuses by name; an empty one nobody") {
  Fixture f;
  f.settings.deny_path = f.files.write("deny", "# none\n");
  auto lc = f.lifecycle();
  f.reg(1, "", 0);
  f.reg(2, "", 0);
  lc->reload_deny_list();
  CHECK(f.present(1));
  CHECK(f.present(2));
  f.files.write("deny", "2\n# and 7, which never came\n7\n");
  lc->reload_deny_list();
  CHECK(f.present(1));
  CHECK_FALSE(f.present(2));
  CHECK(lc->refusal(Name{"2"}, CertRecord{})->text == "the device is denied (--deny-file)");
  CHECK_FALSE(lc->refusal(Name{"1"}, CertRecord{}));
}

TEST_CASE("expiry: the peer goes when notAfter plus the grace has passed") {
  Fixture f;
  f.settings.expiry_grace = 30;
  auto lc = f.lifecycle();
  f.reg(1, "", f.unix_now + 100);
  f.reg(2, "", f.unix_now + 200);
  f.reg(3, "", 0);
  CHECK(lc->next_expiry() == f.unix_now + 130);
  f.unix_now += 129;
  lc->sweep_expired();
  CHECK(f.present(1));
  f.unix_now += 1;
  lc->sweep_expired();
  CHECK_FALSE(f.present(1));
  CHECK(f.present(2));
  CHECK(f.present(3));
  CHECK(lc->next_expiry() == f.unix_now - 130 + 230);
  CHECK(lc->refusal(Name{"4"}, CertRecord{"", "", f.unix_now - 30})->text == "the certificate expired");
  CHECK_FALSE(lc->refusal(Name{"4"}, CertRecord{"", "", f.unix_now - 29}));
}

TEST_CASE("idleness: no handshake for --idle-timeout as of the last read") {
  Fixture f;
  f.settings.idle_timeout = 600;
  auto lc = f.lifecycle();
  f.reg(1, "", 0);
  f.reg(2, "", 0);
  f.unix_now += 700;
  f.backend.find(key_of(2))->last_handshake = f.unix_now - 10;
  REQUIRE_FALSE(f.registry.reconcile());
  lc->sweep_idle();
  CHECK_FALSE(f.present(1));
  CHECK(f.present(2));
  CHECK(f.present(500));
  CHECK(f.logged("event=evict reason=idle name=1"));
}

TEST_CASE("a re-registration with a new serial replaces the recorded one") {
  Fixture f;
  Ca ca;
  f.settings.crl_path = f.files.write("crl.pem", ca.crl({}));
  auto lc = f.lifecycle();
  f.reg(1, "1001", 0);
  REQUIRE(f.registry.register_peer(Name{"1"}, *Address::parse("fde3:25fb:7f6c:1::1"), key_of(11),
                                   CertRecord{"2001", "", 0}));
  f.files.write("crl.pem", ca.crl({"1001"}));
  lc->reload_crl();
  CHECK(f.present(11));  // the old certificate's serial no longer belongs to the device
  f.files.write("crl.pem", ca.crl({"2001"}));
  lc->reload_crl();
  CHECK_FALSE(f.present(11));
}
