#include <catch2/catch.hpp>

#include <sstream>

#include "cleanup.h"
#include "fake_backend.h"

using namespace autowg;
using namespace autowg::testing;

TEST_CASE("cleanup removes pool peers and keeps every other peer") {
  FakeBackend b;
  auto pool = *Prefix::parse("fde3:25fb:7f6c:1::/64");
  b.device.peers.push_back(Peer{key_of(1), {ip_of("fde3:25fb:7f6c:1::1/128")}});
  b.device.peers.push_back(Peer{key_of(2), {ip_of("fde3:25fb:7f6c:1::2/128"), ip_of("fde3:25fb:7f6c:1:8000::/65")}});
  b.device.peers.push_back(Peer{key_of(3), {ip_of("fde3:25fb:7f6c::3/128")}});                                // static
  b.device.peers.push_back(Peer{key_of(4), {ip_of("fde3:25fb:7f6c:1::4/128"), ip_of("fde3:25fb:7f6c:2::/64")}});  // mixed
  b.device.peers.push_back(Peer{key_of(5), {ip_of("fde3:25fb:7f6c:1::5/128"), ip_of("10.1.0.0/16")}});          // mixed v4
  b.device.peers.push_back(Peer{key_of(6), {}});                                                              // none
  b.device.peers.push_back(Peer{key_of(7), {ip_of("fde3:25fb:7f6c::/48")}});                                   // wider
  std::ostringstream out;
  auto report = remove_pool_peers(b, pool, out);
  REQUIRE(report);
  CHECK(report->removed == 2);
  CHECK(report->kept == 5);
  CHECK_FALSE(b.find(key_of(1)));
  CHECK_FALSE(b.find(key_of(2)));
  for (int k : {3, 4, 5, 6, 7}) CHECK(b.find(key_of(k)));
  CHECK(out.str() == "removed " + key_of(1).base64() + " fde3:25fb:7f6c:1::1/128\nremoved " + key_of(2).base64() +
                         " fde3:25fb:7f6c:1::2/128 fde3:25fb:7f6c:1:8000::/65\n");
}

TEST_CASE("cleanup fails clearly on a missing or unconfigured interface") {
  FakeBackend b;
  auto pool = *Prefix::parse("fde3:25fb:7f6c:1::/64");
  std::ostringstream out;
  b.device.info.public_key.reset();
  b.device.peers.push_back(Peer{key_of(1), {ip_of("fde3:25fb:7f6c:1::1/128")}});
  auto r = remove_pool_peers(b, pool, out);
  REQUIRE_FALSE(r);
  CHECK(r.error().find("no private key") != std::string::npos);
  CHECK(b.find(key_of(1)));
  b.exists = false;
  r = remove_pool_peers(b, pool, out);
  REQUIRE_FALSE(r);
  CHECK(r.error().find("no such interface") != std::string::npos);
  CHECK(out.str().empty());
}
