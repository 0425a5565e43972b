#include <catch2/catch.hpp>

#include "cert_params.h"
#include "certificate.h"
#include "dn.h"
#include "openssl_fixture.h"

#include <openssl/bio.h>
#include <openssl/pem.h>

using namespace autowg;
using namespace autowg::testing;

namespace {

std::string cn(std::string_view pem) {
  auto r = cn_from_certificate(pem);
  return r ? *r : "refused: " + r.error();
}

// The DER inside a PEM certificate, and DER armored as a PEM certificate
// (OpenSSL's own PEM functions, not the code under test).
std::string der_of(const std::string& pem) {
  BIO* in = BIO_new_mem_buf(pem.data(), int(pem.size()));
  char *name = nullptr, *header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  REQUIRE(PEM_read_bio(in, &name, &header, &data, &len) == 1);
  std::string der(reinterpret_cast<char*>(data), size_t(len));
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(data);
  BIO_free(in);
  return der;
}
std::string pem_of(const std::string& der) {
  BIO* out = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio(out, "CERTIFICATE", "", reinterpret_cast<const unsigned char*>(der.data()),
                        long(der.size())) > 0);
  char* text = nullptr;
  long n = BIO_get_mem_data(out, &text);
  std::string pem(text, size_t(n));
  BIO_free(out);
  return pem;
}

}  // namespace

TEST_CASE("the CN of real certificates, raw and as nginx escapes them") {
  OpenSslFixture certs;
  std::string device = certs.certificate("device", "/C=DE/O=Fleet/CN=1234");
  CHECK(cn(device) == "1234");
  CHECK(cn(nginx_escape(device)) == "1234");
  CHECK(nginx_escape(device).find('\n') == std::string::npos);
  std::string utf8 = certs.certificate("utf8", "/O=Fleet/CN=Gerät-7");
  CHECK(cn(utf8) == "Gerät-7");
  CHECK(cn(nginx_escape(utf8)) == "Gerät-7");
  CHECK(cn(certs.certificate("toilet", "/CN=smart-toilet-7")) == "smart-toilet-7");
}

TEST_CASE("certificates without exactly one plain CN are refused") {
  OpenSslFixture certs;
  CHECK(cn(certs.certificate("none", "/O=Fleet")).find("no CN") != std::string::npos);
  CHECK(cn(certs.certificate("two", "/CN=1234/CN=5678")).find("more than one CN") != std::string::npos);
  CHECK(cn(certs.certificate("multi", "/O=x+CN=1234", "-multivalue-rdn")).find("multi-valued") != std::string::npos);
  // A CN that merely contains "CN=" text is that text, never the smuggled value.
  CHECK(cn(certs.certificate("crafted", "/CN=x\\/CN=1234")) == "x/CN=1234");
}

TEST_CASE("anything but one PEM certificate is refused") {
  OpenSslFixture certs;
  std::string pem = certs.certificate("device", "/CN=1234");
  CHECK(cn("").rfind("refused", 0) == 0);
  CHECK(cn("garbage").rfind("refused", 0) == 0);
  CHECK(cn(pem.substr(0, pem.size() / 2)).rfind("refused", 0) == 0);
  CHECK(cn(pem + pem).find("after the certificate") != std::string::npos);
  CHECK(cn(pem + "\n\n") == "1234");
  CHECK(cn("%ZZ" + pem).find("%-escape") != std::string::npos);
  CHECK(cn(nginx_escape(pem).substr(0, 40)).rfind("refused", 0) == 0);
  CHECK(cn(std::string(20000, 'A')).find("too large") != std::string::npos);
}

TEST_CASE("the subject is read whatever the certificate's key type") {
  // autowg leaves the public key undecoded (see certificate.cpp).
  OpenSslFixture certs;
  CHECK(cn(certs.certificate("rsa", "/O=Fleet/CN=rsa-1", "", "rsa:2048")) == "rsa-1");
  CHECK(cn(certs.certificate("ed", "/O=Fleet/CN=ed-1", "", "ed25519")) == "ed-1");
  CHECK(cn(certs.certificate("p384", "/CN=p384-1", "", "ec -pkeyopt ec_paramgen_curve:P-384")) == "p384-1");
}

TEST_CASE("a PEM block that is not exactly one well-formed certificate is refused") {
  OpenSslFixture certs;
  std::string pem = certs.certificate("device", "/CN=1234");
  std::string der = der_of(pem);
  REQUIRE(cn(pem_of(der)) == "1234");  // the helpers round-trip

  CHECK(cn(certs.private_key("device")).find("found PRIVATE KEY") != std::string::npos);
  CHECK(cn(certs.private_key("device") + pem).find("found PRIVATE KEY") != std::string::npos);
  CHECK(cn(pem_of(der.substr(0, der.size() - 1))).find("malformed DER") != std::string::npos);
  CHECK(cn(pem_of(der + std::string(1, '\0'))).find("malformed DER") != std::string::npos);
  CHECK(cn(pem_of(der.substr(0, 40))).find("malformed DER") != std::string::npos);
  CHECK(cn(pem_of("not DER at all")).find("malformed DER") != std::string::npos);
  // The outer SEQUENCE's first byte changed to a SET.
  CHECK(cn(pem_of("\x31" + der.substr(1))).find("malformed DER") != std::string::npos);
}

TEST_CASE("the DN parser reads what openssl prints for real certificates") {
  OpenSslFixture certs;
  certs.certificate("device", "/C=DE/O=Fleet, Inc./CN=Gerät-7");
  certs.certificate("crafted", "/O=x\\,CN=1234/CN=real");
  certs.certificate("two", "/CN=a/CN=1234");
  certs.certificate("multi", "/O=x+CN=1234", "-multivalue-rdn");
  // nginx's $ssl_client_s_dn is RFC 2253 with non-ASCII escaped as hex.
  CHECK(certs.subject("device", "RFC2253") == "CN=Ger\\C3\\A4t-7,O=Fleet\\, Inc.,C=DE");
  CHECK(*cn_from_subject(certs.subject("device", "RFC2253")) == "Gerät-7");
  CHECK(*cn_from_subject(certs.subject("device", "RFC2253,-esc_msb")) == "Gerät-7");
  // lighttpd's SSL_CLIENT_S_DN is the legacy one-line form.
  CHECK(certs.subject("device", "compat") == "/C=DE/O=Fleet, Inc./CN=Ger\\xC3\\xA4t-7");
  CHECK(*cn_from_subject(certs.subject("device", "compat")) == "Gerät-7");
  CHECK(*cn_from_subject(certs.subject("crafted", "RFC2253")) == "real");
  CHECK_FALSE(cn_from_subject(certs.subject("two", "RFC2253")));
  CHECK_FALSE(cn_from_subject(certs.subject("two", "compat")));
  CHECK_FALSE(cn_from_subject(certs.subject("multi", "RFC2253")));
  CHECK_FALSE(cn_from_subject(certs.subject("multi", "compat")));
}

TEST_CASE("the facts of real certificates: serial, issuer and notAfter as openssl prints them") {
  OpenSslFixture certs;
  struct Case {
    const char* set_serial;
    const char* canonical;
  };
  for (auto [set_serial, canonical] : {Case{"0x0123", "123"}, Case{"0xDEADBEEF0011", "DEADBEEF0011"},
                                       Case{"0", "0"}, Case{"-5", "-5"}, Case{"0xFF", "FF"},
                                       Case{"0x7F0A1B2C3D4E5F60718293A4B5C6D7E8F9001122",
                                            "7F0A1B2C3D4E5F60718293A4B5C6D7E8F9001122"}}) {
    std::string pem = certs.certificate("s", "/CN=1234", std::string("-set_serial ") + set_serial);
    auto facts = read_certificate(pem);
    REQUIRE(facts);
    CHECK(facts->serial == canonical);
    CHECK(facts->serial == *normalise_serial(certs.field("s", "-serial")));
    CHECK(facts->cn == "1234");
  }
  // -days 1 gives a UTCTime, -days 10000 a GeneralizedTime (after 2049).
  for (const char* days : {"-days 1", "-days 10000"}) {
    std::string pem = certs.certificate("t", "/CN=1234", days);
    auto facts = read_certificate(pem);
    REQUIRE(facts);
    CHECK(facts->not_after == *parse_openssl_time(certs.field("t", "-enddate")));
    CHECK(facts->not_after > time(nullptr));
  }
  // Self-signed: the issuer is the subject, in RFC 2253 as nginx's
  // $ssl_client_i_dn has it (non-ASCII as \XX).
  std::string pem = certs.certificate("device", "/C=DE/O=Fleet, Inc./CN=Ger\xc3\xa4t-7");
  auto facts = read_certificate(nginx_escape(pem));
  REQUIRE(facts);
  CHECK(facts->issuer == "CN=Ger\\C3\\A4t-7,O=Fleet\\, Inc.,C=DE");
  CHECK(facts->issuer == certs.subject("device", "RFC2253"));
  CHECK(facts->cn == "Ger\xc3\xa4t-7");
  CHECK(cn(pem) == facts->cn);
}

TEST_CASE("a serial over 64 hex digits refuses the certificate") {
  OpenSslFixture certs;
  std::string pem = certs.certificate("long", "/CN=1234", "-set_serial 0x" + std::string(66, 'A'));
  CHECK(cn(pem).find("serial") != std::string::npos);
  CHECK(cn(certs.certificate("max", "/CN=1234", "-set_serial 0x" + std::string(64, 'A'))) == "1234");
}

TEST_CASE("only whitespace may surround the one certificate") {
  OpenSslFixture certs;
  std::string pem = certs.certificate("device", "/CN=1234");
  std::string other = certs.certificate("other", "/CN=5678");
  CHECK(cn(" \r\n\t" + pem + "\r\n \n") == "1234");
  CHECK(cn(nginx_escape("\n" + pem + "\n")) == "1234");
  // Once only 256 bytes past the first certificate were looked at.
  CHECK(cn(pem + std::string(300, '\n') + other).find("after the certificate") != std::string::npos);
  CHECK(cn(pem + std::string(300, ' ') + "x").find("after the certificate") != std::string::npos);
  CHECK(cn(pem + "garbage").find("after the certificate") != std::string::npos);
  CHECK(cn(pem + "\n-----BEGIN CERTIFICATE-----\n").find("after the certificate") != std::string::npos);
  // Text before the block is refused as well (PEM_read_bio would skip it).
  CHECK(cn("garbage\n" + pem).find("before the certificate") != std::string::npos);
  CHECK(cn("x" + pem).find("before the certificate") != std::string::npos);
  CHECK(cn(nginx_escape("Subject: CN=5678\n" + pem)).find("before the certificate") != std::string::npos);
  CHECK(cn("   ").find("not a PEM certificate") != std::string::npos);
}
