#include <catch2/catch.hpp>

#include <set>

#include "wgkey.h"

using namespace autowg;

namespace {
const char* kKey = "aqIUKESXUZSIXgqF9v7kSaEtwtu95jkVlFWrW0y7rUw=";
}

TEST_CASE("a canonical key round-trips") {
  auto key = WgKey::parse(kKey);
  REQUIRE(key);
  CHECK(key->base64() == kKey);
  CHECK(key->bytes()[0] == 0x6a);
  CHECK(key->fingerprint() == "aqIUKESX");
}

TEST_CASE("surrounding whitespace and a trailing newline are allowed") {
  CHECK(WgKey::parse(std::string(kKey) + "\n"));
  CHECK(WgKey::parse(std::string(" \t") + kKey + "\r\n"));
  CHECK(WgKey::parse(std::string(kKey) + "\n")->base64() == kKey);
}

TEST_CASE("anything but canonical base64 of 32 bytes is refused") {
  std::string k = kKey;
  CHECK_FALSE(WgKey::parse(""));
  CHECK_FALSE(WgKey::parse(k.substr(0, 43)));                  // no padding
  CHECK_FALSE(WgKey::parse(k + "="));                          // too long
  CHECK_FALSE(WgKey::parse(k.substr(0, 42) + "=="));           // 31 bytes
  CHECK_FALSE(WgKey::parse("aqIUKESXUZSIXgqF9v7kSaEtwtu95jkVlFWrW0y7rUx="));  // filler bits set
  CHECK_FALSE(WgKey::parse("aqIUKESXUZSIXgqF9v7kSaEtwtu95jkVlFWrW0y7rU-="));  // url-safe alphabet
  CHECK_FALSE(WgKey::parse("aqIUKESXUZSIXgqF9v7kSaEt tu95jkVlFWrW0y7rUw="));  // inner blank
  CHECK_FALSE(WgKey::parse(k + std::string(1, '\0')));                  // NUL after the key
  CHECK(WgKey::parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").error().find("zero") != std::string::npos);
  CHECK(WgKey::parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE="));
}

TEST_CASE("the filler-bit rule accepts exactly the four canonical last characters") {
  std::string base = std::string(kKey).substr(0, 42);
  int accepted = 0;
  for (char c : std::string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"))
    if (WgKey::parse(base + c + "=")) ++accepted;
  CHECK(accepted == 16);
}

TEST_CASE("the hex form round-trips and is strict") {
  auto key = WgKey::parse(kKey);
  REQUIRE(key);
  std::string hex = key->hex();
  CHECK(hex.size() == 64);
  CHECK(hex.substr(0, 4) == "6aa2");
  auto back = WgKey::parse_hex(hex);
  REQUIRE(back);
  CHECK(*back == *key);
  std::string upper = hex;
  for (char& c : upper) c = char(toupper(c));
  CHECK(*WgKey::parse_hex(upper) == *key);
  CHECK(WgKey::parse_hex(std::string(64, '0'))->is_zero());  // the uapi's "no private key"
  CHECK_FALSE(WgKey::parse_hex(hex.substr(0, 63)));
  CHECK_FALSE(WgKey::parse_hex(hex + "0"));
  CHECK_FALSE(WgKey::parse_hex("g" + hex.substr(1)));
}

TEST_CASE("the key index's hash is keyed: keys alike in their first bytes do not pile up") {
  // The old hash took the first 8 bytes: a device could choose many keys
  // that fall into one bucket. Keys that share 8, 16 or 31 bytes now hash apart.
  WgKey::Bytes a{}, b{};
  a.fill(0x42);
  b.fill(0x42);
  b[31] = 0x43;
  CHECK(WgKeyHash()(WgKey(a)) != WgKeyHash()(WgKey(b)));
  std::set<size_t> hashes;
  for (int i = 0; i < 1000; ++i) {
    WgKey::Bytes k{};
    k.fill(7);
    k[20] = uint8_t(i);
    k[21] = uint8_t(i >> 8);
    hashes.insert(WgKeyHash()(WgKey(k)) % 1024);
  }
  CHECK(hashes.size() > 500);  // spread over the buckets, as random keys are
}
