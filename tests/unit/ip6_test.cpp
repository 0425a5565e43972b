#include <catch2/catch.hpp>

#include "ip6.h"

using namespace autowg;

TEST_CASE("addresses print in RFC 5952 canonical form") {
  auto text = [](const char* in) { return Address::parse(in)->str(); };
  CHECK(text("FDE3:25FB:7F6C:0001:0000:0000:0000:1234") == "fde3:25fb:7f6c:1::1234");
  CHECK(text("::") == "::");
  CHECK(text("::1") == "::1");
  CHECK(text("fe80::") == "fe80::");
  // A single zero group is not compressed; the longest run wins, the first on a tie.
  CHECK(text("2001:db8:0:1:1:1:1:1") == "2001:db8:0:1:1:1:1:1");
  CHECK(text("2001:0:0:1:0:0:0:1") == "2001:0:0:1::1");
  CHECK(text("2001:db8:0:0:1:0:0:1") == "2001:db8::1:0:0:1");
}

TEST_CASE("address parsing refuses what is not a plain IPv6 address") {
  for (const char* bad : {"", "1.2.3.4", "fe80::1%eth0", "fd00::/64", "fd00:::1", "g::1", " ::1", "::1 "})
    CHECK_FALSE(Address::parse(bad));
}

TEST_CASE("prefixes parse, mask and contain") {
  auto pool = Prefix::parse("fde3:25fb:7f6c:1::/64");
  REQUIRE(pool);
  CHECK(pool->str() == "fde3:25fb:7f6c:1::/64");
  CHECK(pool->contains(*Address::parse("fde3:25fb:7f6c:1::1234")));
  CHECK(pool->contains(*Address::parse("fde3:25fb:7f6c:1:ffff:ffff:ffff:ffff")));
  CHECK_FALSE(pool->contains(*Address::parse("fde3:25fb:7f6c:2::1")));
  CHECK(pool->contains(*Prefix::parse("fde3:25fb:7f6c:1:8000::/65")));
  CHECK_FALSE(pool->contains(*Prefix::parse("fde3:25fb:7f6c::/48")));
  CHECK(Prefix::parse("::/0")->contains(*Address::parse("2001:db8::1")));
  CHECK(Prefix::parse("fd00::1/128")->contains(*Address::parse("fd00::1")));
  CHECK(Prefix::parse("fd00:1:2:3:4:5:6:6/127")->contains(*Address::parse("fd00:1:2:3:4:5:6:7")));
}

TEST_CASE("prefix parsing refuses bad input with a reason") {
  CHECK(Prefix::parse("fd00::1/64").error().find("host bits") != std::string::npos);
  CHECK(Prefix::parse("fd00::1/64").error().find("fd00::/64") != std::string::npos);
  for (const char* bad : {"fd00::", "fd00::/", "fd00::/129", "fd00::/-1", "fd00::/6x", "10.0.0.0/8", "/64", "fd00::/ 64"})
    CHECK_FALSE(Prefix::parse(bad));
}

TEST_CASE("combine keeps network bits and takes host bits") {
  auto pool = *Prefix::parse("fd00:1:2:10::/60");
  Address::Bytes ones;
  ones.fill(0xff);
  CHECK(pool.combine(ones).str() == "fd00:1:2:1f:ffff:ffff:ffff:ffff");
}
