#include <catch2/catch.hpp>

#include <map>

#include "identity.h"
#include "openssl_fixture.h"

using namespace autowg;
using namespace autowg::testing;

namespace {

using Params = std::map<std::string, std::string, std::less<>>;

Result<Identity> run(const IdentitySettings& settings, const Params& params, const char* regex = "([0-9a-zA-Z]+)") {
  auto pattern = CnPattern::compile(regex);
  REQUIRE(pattern);
  auto identity = identify(settings, *pattern, [&](std::string_view name) -> std::optional<std::string_view> {
    auto it = params.find(name);
    if (it == params.end()) return std::nullopt;
    return std::string_view(it->second);
  });
  if (!identity) return fail(identity.error().reason);
  return *identity;
}

IdentityError::Kind kind_of(const IdentitySettings& settings, const Params& params) {
  auto pattern = CnPattern::compile("([0-9]+)");
  auto identity = identify(settings, *pattern, [&](std::string_view name) -> std::optional<std::string_view> {
    auto it = params.find(name);
    if (it == params.end()) return std::nullopt;
    return std::string_view(it->second);
  });
  REQUIRE_FALSE(identity);
  return identity.error().kind;
}

}  // namespace

TEST_CASE("the default identity is the X-Client-Subject header of the original") {
  IdentitySettings s;
  auto id = run(s, {{"HTTP_X_CLIENT_SUBJECT", "CN=1234,O=Fleet"}});
  REQUIRE(id);
  CHECK(id->cn == "1234");
  CHECK(id->name.value == "1234");
  CHECK(run(s, {}).error().find("no client certificate subject") != std::string::npos);
  CHECK(run(s, {{"HTTP_X_CLIENT_SUBJECT", ""}}).error().find("no client certificate subject") != std::string::npos);
}

TEST_CASE("with a certificate param the header is ignored entirely") {
  OpenSslFixture certs;
  std::string pem = certs.certificate("d", "/O=Fleet/CN=smart-toilet-7");
  IdentitySettings s;
  s.cert_param = "SSL_CLIENT_CERT";
  s.verify_param = "SSL_CLIENT_VERIFY";
  auto id = run(s, {{"SSL_CLIENT_CERT", nginx_escape(pem)}, {"SSL_CLIENT_VERIFY", "SUCCESS"},
                    {"HTTP_X_CLIENT_SUBJECT", "CN=9999"}}, "smart-toilet-(\\d+)");
  REQUIRE(id);
  CHECK(id->name.value == "7");
  // A forged header without a certificate gets nothing.
  auto forged = run(s, {{"SSL_CLIENT_CERT", ""}, {"SSL_CLIENT_VERIFY", "NONE"}, {"HTTP_X_CLIENT_SUBJECT", "CN=7"}});
  CHECK_FALSE(forged);
  CHECK(forged.error().find("not verified") != std::string::npos);
  s.verify_param.clear();
  forged = run(s, {{"HTTP_X_CLIENT_SUBJECT", "CN=7"}});
  CHECK(forged.error().find("no client certificate") != std::string::npos);
}

TEST_CASE("refusals name their reason") {
  IdentitySettings s;
  s.verify_param = "SSL_CLIENT_VERIFY";
  CHECK(run(s, {{"HTTP_X_CLIENT_SUBJECT", "CN=1"}, {"SSL_CLIENT_VERIFY", "FAILED:certificate revoked"}}).error() ==
        "client certificate not verified (SSL_CLIENT_VERIFY=FAILED:certificate revoked)");
  s.verify_param.clear();
  CHECK(run(s, {{"HTTP_X_CLIENT_SUBJECT", "O=x"}}).error() == "bad certificate subject: the subject has no CN");
  CHECK(run(s, {{"HTTP_X_CLIENT_SUBJECT", "CN=a-b"}}).error().find("CN 'a-b' refused") != std::string::npos);
}

TEST_CASE("each refusal says what kind it is") {
  using Kind = IdentityError::Kind;
  IdentitySettings s;
  CHECK(kind_of(s, {}) == Kind::Missing);
  CHECK(kind_of(s, {{"HTTP_X_CLIENT_SUBJECT", "CN=a,CN=b"}}) == Kind::BadSubject);
  CHECK(kind_of(s, {{"HTTP_X_CLIENT_SUBJECT", "CN=abc"}}) == Kind::CnRefused);
  s.verify_param = "SSL_CLIENT_VERIFY";
  CHECK(kind_of(s, {{"HTTP_X_CLIENT_SUBJECT", "CN=1"}, {"SSL_CLIENT_VERIFY", "NONE"}}) == Kind::Unverified);
  s.verify_param.clear();
  s.serial_param = "SSL_CLIENT_M_SERIAL";
  CHECK(kind_of(s, {{"HTTP_X_CLIENT_SUBJECT", "CN=1"}, {"SSL_CLIENT_M_SERIAL", "xyz"}}) == Kind::BadSubject);
}

TEST_CASE("serial, notAfter and issuer come from params where only the subject is passed") {
  IdentitySettings s;
  s.serial_param = "SSL_CLIENT_M_SERIAL";
  s.not_after_param = "SSL_CLIENT_V_END";
  s.issuer_param = "SSL_CLIENT_I_DN";
  auto id = run(s, {{"HTTP_X_CLIENT_SUBJECT", "CN=1"},
                    {"SSL_CLIENT_M_SERIAL", "0123"},
                    {"SSL_CLIENT_V_END", "Dec 31 23:59:59 2030 GMT"},
                    {"SSL_CLIENT_I_DN", "CN=Fleet CA,O=Fleet"}});
  REQUIRE(id);
  CHECK(id->cert.serial == "123");
  CHECK(id->cert.not_after == 1924991999);
  CHECK(id->cert.issuer == "CN=Fleet CA,O=Fleet");
  auto none = run(s, {{"HTTP_X_CLIENT_SUBJECT", "CN=1"}});
  REQUIRE(none);
  CHECK(none->cert.empty());
  s.serial_base = SerialBase::Decimal;
  CHECK(run(s, {{"HTTP_X_CLIENT_SUBJECT", "CN=1"}, {"SSL_CLIENT_M_SERIAL", "291"}})->cert.serial == "123");
}
