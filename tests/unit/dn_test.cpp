#include <catch2/catch.hpp>

#include "dn.h"

using namespace autowg;

namespace {

std::string cn(std::string_view subject) {
  auto r = cn_from_subject(subject);
  return r ? *r : "refused: " + r.error();
}

bool refused(std::string_view subject) { return !cn_from_subject(subject); }

}  // namespace

TEST_CASE("RFC 4514 subjects as nginx, Apache and Go write them") {
  CHECK(cn("CN=1234,O=Fleet,C=DE") == "1234");
  CHECK(cn("C=DE,O=Fleet,CN=1234") == "1234");
  CHECK(cn("CN=1234") == "1234");
  CHECK(cn("cn=1234") == "1234");
  CHECK(cn("commonName=1234") == "1234");
  CHECK(cn("2.5.4.3=1234") == "1234");
  CHECK(cn("OID.2.5.4.3=1234") == "1234");
  CHECK(cn("CN=1234; O=Fleet") == "1234");  // RFC 2253 separators and spaces
  CHECK(cn("CN = smart-toilet-7 , O = Fleet") == "smart-toilet-7");
  CHECK(cn("O=Fleet+OU=Ops,CN=1234") == "1234");  // a multi-valued RDN without the CN
  CHECK(cn("CN=a=b") == "a=b");
  CHECK(cn("CN=x/CN=1234") == "x/CN=1234");  // one CN whose value holds a slash
}

TEST_CASE("every RFC 4514 escape") {
  CHECK(cn("CN=a\\,b") == "a,b");
  CHECK(cn("CN=a\\+b") == "a+b");
  CHECK(cn("CN=a\\\"b") == "a\"b");
  CHECK(cn("CN=a\\\\b") == "a\\b");
  CHECK(cn("CN=a\\<b\\>") == "a<b>");
  CHECK(cn("CN=a\\;b") == "a;b");
  CHECK(cn("CN=a\\=b") == "a=b");
  CHECK(cn("CN=\\#1") == "#1");
  CHECK(cn("CN=\\ lead") == " lead");
  CHECK(cn("CN=trail\\ ") == "trail ");
  CHECK(cn("CN=trail  ,O=x") == "trail");
  CHECK(cn("CN=a\\2Cb") == "a,b");
  CHECK(cn("CN=Ger\\C3\\A4t-7") == "Gerät-7");
  CHECK(cn("CN=Gerät-7") == "Gerät-7");
}

TEST_CASE("crafted subjects never yield the smuggled CN") {
  for (const char* s : {"CN=x\\,CN=1234", "O=x\\,CN=1234", "CN=x\\2CCN=1234", "OU=a\\+CN=1234"}) {
    INFO(s);
    CHECK(cn(s) != "1234");
  }
  CHECK(cn("CN=x\\,CN=1234") == "x,CN=1234");
  CHECK(refused("O=x\\,CN=1234"));  // no CN at all
  CHECK(refused("CN=x,CN=1234"));
  CHECK(refused("CN=1234+O=x"));
  CHECK(refused("O=x+CN=1234"));
  CHECK(refused("/CN=x/CN=1234"));
  CHECK(refused("/O=x+CN=1234"));
}

TEST_CASE("malformed RFC 4514 subjects are refused") {
  for (const char* s : {"", "CN", "CN=", "=1234", "CN=#04043132", "CN=a\\", "CN=a\\x", "CN=a\\4", "CN=a\"b",
                        "CN=<1>", "1CN=x", "C N=x", "CN=1234,", "CN=1234,,O=x", "CN=a\\00b", "CN=a\\0Ab",
                        "CN=\\C3", "CN=\\C0\\AF", "CN=\\ED\\A0\\80"}) {
    INFO(s);
    CHECK(refused(s));
  }
  CHECK(refused(std::string(kMaxSubjectLength + 1, 'x')));
  CHECK(cn("CN=" + std::string(kMaxSubjectLength - 3, 'x')).size() == kMaxSubjectLength - 3);
}

TEST_CASE("OpenSSL's legacy one-line form, as lighttpd passes it") {
  CHECK(cn("/C=DE/O=Fleet/CN=1234") == "1234");
  CHECK(cn("/CN=1234") == "1234");
  CHECK(cn("/CN=1234/emailAddress=ops@example.com") == "1234");
  CHECK(cn("/O=Fleet+OU=Ops/CN=1234") == "1234");
  CHECK(cn("/CN=Ger\\xC3\\xA4t") == "Gerät");
  CHECK(refused("/"));
  CHECK(refused("/O=Fleet"));
  CHECK(refused("/O=a/b/CN=1234"));  // a piece that is not TYPE=VALUE
  CHECK(refused("/CN=1234+O=x"));
  CHECK(refused("/CN=a/CN=b"));
  CHECK(refused("/CN=\\x01"));
}
