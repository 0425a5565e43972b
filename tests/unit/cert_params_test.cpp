#include <catch2/catch.hpp>

#include "cert_params.h"

using namespace autowg;

namespace {

std::string serial(std::string_view text, SerialBase base = SerialBase::Hex) {
  auto r = normalise_serial(text, base);
  return r ? *r : "refused: " + r.error();
}

bool refused(std::string_view text, SerialBase base = SerialBase::Hex) { return !normalise_serial(text, base); }

int64_t time_of(std::string_view text) {
  auto r = parse_openssl_time(text);
  REQUIRE(r);
  return *r;
}

}  // namespace

TEST_CASE("hex serials as nginx, Apache and lighttpd pass them become canonical hex") {
  CHECK(serial("0123") == "123");
  CHECK(serial("05") == "5");
  CHECK(serial("DEADBEEF0011") == "DEADBEEF0011");
  CHECK(serial("7F0A1B2C3D4E5F60718293A4B5C6D7E8F9001122") == "7F0A1B2C3D4E5F60718293A4B5C6D7E8F9001122");
  CHECK(serial("deadbeef") == "DEADBEEF");
  CHECK(serial("00") == "0");
  CHECK(serial("0") == "0");
  CHECK(serial("-05") == "-5");  // i2a_ASN1_INTEGER's negative form
  // openssl x509 -text writes colon-separated pairs.
  CHECK(serial("de:ad:be:ef:00:11") == "DEADBEEF0011");
  CHECK(serial("01:23") == "123");
  CHECK(serial("-01:23") == "-123");
  CHECK(serial(" 0123\n") == "123");
}

TEST_CASE("decimal serials as Caddy passes them become the same canonical hex") {
  CHECK(serial("291", SerialBase::Decimal) == "123");
  CHECK(serial("5", SerialBase::Decimal) == "5");
  CHECK(serial("244837814042641", SerialBase::Decimal) == "DEADBEEF0011");
  CHECK(serial("725267202432247069224767677669662900083734090018", SerialBase::Decimal) ==
        "7F0A1B2C3D4E5F60718293A4B5C6D7E8F9001122");
  CHECK(serial("0", SerialBase::Decimal) == "0");
  CHECK(serial("000255", SerialBase::Decimal) == "FF");
  CHECK(serial("-5", SerialBase::Decimal) == "-5");
  CHECK(serial("256", SerialBase::Decimal) == "100");
}

TEST_CASE("garbage serials are refused") {
  for (const char* bad : {"", "-", "-0", "-00", "0x12", "12 34", "1\t2", "+5", "g1", "12.5", "de:ad:", ":de:ad",
                          "d:ead", "de::ad", "dead:beef", "d:e", "--5", "5-", "de:ad:b"})
    CHECK(refused(bad));
  for (const char* bad : {"", "-", "-0", "FF", "0x1", "1.5", "1e5", "+1", "1 2", "12a"})
    CHECK(refused(bad, SerialBase::Decimal));
  CHECK(
      refused(std::string("12\0"
                          "34",
                          5)));
}

TEST_CASE("serials are bounded to 64 significant hex digits") {
  CHECK(serial(std::string(64, 'F')) == std::string(64, 'F'));
  CHECK(serial(std::string(10, '0') + std::string(64, 'A')) == std::string(64, 'A'));
  CHECK(serial(std::string(65, 'F')).find("longer than 64") != std::string::npos);
  CHECK(refused(std::string(100000, '0')));
  // 2^256 - 1 is the largest, 2^256 is one digit too many.
  CHECK(serial("115792089237316195423570985008687907853269984665640564039457584007913129639935", SerialBase::Decimal) ==
        std::string(64, 'F'));
  CHECK(refused("115792089237316195423570985008687907853269984665640564039457584007913129639936", SerialBase::Decimal));
  CHECK(refused(std::string(100000, '9'), SerialBase::Decimal));
}

TEST_CASE("notAfter as nginx $ssl_client_v_end and Apache SSL_CLIENT_V_END write it") {
  CHECK(time_of("Dec 31 23:59:59 2026 GMT") == 1798761599);
  CHECK(time_of("Jan  5 12:00:00 2051 GMT") == 2556532800);
  CHECK(time_of("Mar  9 08:07:06 2030 GMT") == 1899274026);
  CHECK(time_of("Feb 29 00:00:00 2024 GMT") == 1709164800);
  CHECK(time_of("Feb 29 00:00:00 2000 GMT") == 951782400);
  CHECK(time_of("Jan  1 00:00:00 1950 GMT") == -631152000);
  CHECK(time_of("Dec 31 23:59:59 9999 GMT") == 253402300799);
}

TEST_CASE("anything but ASN1_TIME_print's form is refused as notAfter") {
  for (const char* bad : {"",
                          "Dec 31 23:59:59 2026",
                          "Dec 31 23:59:59 2026 UTC",
                          "Dec 31 23:59:59 2026 GMT ",
                          " Dec 31 23:59:59 2026 GMT",
                          "Jan 05 12:00:00 2051 GMT",
                          "Jan 5 12:00:00 2051 GMT",
                          "dec 31 23:59:59 2026 GMT",
                          "DEC 31 23:59:59 2026 GMT",
                          "Dez 31 23:59:59 2026 GMT",
                          "Dec 32 23:59:59 2026 GMT",
                          "Apr 31 00:00:00 2026 GMT",
                          "Feb 29 00:00:00 2026 GMT",
                          "Feb 29 00:00:00 2100 GMT",
                          "Jan  0 00:00:00 2026 GMT",
                          "Dec 31 24:00:00 2026 GMT",
                          "Dec 31 23:60:00 2026 GMT",
                          "Dec 31 23:59:60 2026 GMT",
                          "Dec 31 23:59:59.5 2026 GMT",
                          "Dec 31 23:59:5x 2026 GMT",
                          "Dec 31 23:59:59 +026 GMT",
                          "Dec 31 -3:59:59 2026 GMT",
                          "2026-12-31T23:59:59Z",
                          "20261231235959Z",
                          "Dec 31 23:59:59 26 GMT",
                          "Dec 31 23.59.59 2026 GMT"})
    CHECK_FALSE(parse_openssl_time(bad));
}
