#include <catch2/catch.hpp>

#include <fastcgi.h>

#include "fcgi_guard.h"

using namespace autowg;

namespace {

std::string begin_request(uint16_t id = 1, bool keep = false, uint16_t role = FCGI_RESPONDER) {
  std::string out;
  fcgi::append_begin_request(out, id, role, keep);
  return out;
}

std::string params(const FcgiParams& pairs, uint16_t id = 1) {
  std::string content, out;
  for (const auto& [n, v] : pairs) fcgi::append_name_value(content, n, v);
  fcgi::append_stream(out, FCGI_PARAMS, id, content);
  return out;
}

std::string body(std::string_view data, uint16_t id = 1) {
  std::string out;
  fcgi::append_stream(out, FCGI_STDIN, id, data);
  return out;
}

std::string whole(const FcgiParams& pairs = {{"REQUEST_METHOD", "GET"}}, std::string_view data = "") {
  return begin_request() + params(pairs) + body(data);
}

}  // namespace

TEST_CASE("a whole request: params, then the body") {
  FcgiGuard g{FcgiLimits{}};
  std::string reply;
  std::string request = whole({{"REQUEST_METHOD", "POST"}, {"CONTENT_LENGTH", "4"}}, "abcd");
  // Byte by byte: records split anywhere are put together.
  for (size_t i = 0; i < request.size(); ++i) {
    CHECK_FALSE(g.feed(request.substr(i, 1), reply));
    if (i + 1 < request.size()) CHECK_FALSE(g.body_complete());
  }
  REQUIRE(g.body_complete());
  CHECK(g.params() == FcgiParams{{"REQUEST_METHOD", "POST"}, {"CONTENT_LENGTH", "4"}});
  CHECK(g.body() == "abcd");
  CHECK_FALSE(g.body_too_large());
  CHECK(reply.empty());
}

TEST_CASE("params are complete before the body arrives") {
  FcgiGuard g{FcgiLimits{}};
  std::string reply;
  CHECK_FALSE(g.feed(begin_request() + params({{"A", "b"}}), reply));
  CHECK(g.params_complete());
  CHECK_FALSE(g.body_complete());
  CHECK_FALSE(g.feed(body("x"), reply));
  CHECK(g.body_complete());
}

TEST_CASE("a kept connection carries the next request after the answer") {
  FcgiGuard g{FcgiLimits{}};
  std::string reply;
  std::string two = begin_request(1, true) + params({{"N", "1"}}) + body("") + begin_request(2, true) +
                    params({{"N", "2"}}, 2) + body("", 2);
  CHECK_FALSE(g.feed(two, reply));
  REQUIRE(g.body_complete());
  CHECK(g.keep_connection());
  CHECK(g.params()[0].second == "1");
  CHECK(g.pending() > 0);  // the second waits for the first's answer
  CHECK_FALSE(g.finish_request(reply));
  REQUIRE(g.body_complete());
  CHECK(g.request_id() == 2);
  CHECK(g.params()[0].second == "2");
}

TEST_CASE("a body over the limit is cut and marked") {
  FcgiLimits limits;
  limits.max_body = 8;
  FcgiGuard g{limits};
  std::string reply;
  CHECK_FALSE(g.feed(whole({{"A", "b"}}, std::string(100, 'x')), reply));
  CHECK(g.body_too_large());
  CHECK(g.body().size() == 8);
}

TEST_CASE("protocol violations drop the connection") {
  auto error = [](const std::string& bytes, FcgiLimits limits = {}) {
    FcgiGuard g{limits};
    std::string reply;
    auto e = g.feed(bytes, reply);
    return e ? *e : std::string();
  };
  std::string v2 = begin_request();
  v2[0] = 2;
  CHECK(error(v2).find("version 2") != std::string::npos);
  std::string stdout_record;
  fcgi::append_record(stdout_record, FCGI_STDOUT, 1, "x");
  CHECK(error(begin_request() + stdout_record).find("type 6") != std::string::npos);
  CHECK(error(begin_request() + body("x")).find("STDIN before") != std::string::npos);
  std::string short_begin;
  fcgi::append_record(short_begin, FCGI_BEGIN_REQUEST, 1, "abc");
  CHECK(!error(short_begin).empty());
  // libfcgi's ReadParams allocates the sum of these lengths (2 GiB) and aborts.
  std::string bomb = std::string("\xc0\x00\x00\x00\xc0\x00\x00\x00", 8) + "xxxx";
  std::string bomb_records;
  fcgi::append_stream(bomb_records, FCGI_PARAMS, 1, bomb);
  CHECK(error(begin_request() + bomb_records).find("malformed params") != std::string::npos);
  FcgiLimits small;
  small.max_params_bytes = 100;
  CHECK(error(begin_request() + params({{"A", std::string(200, 'v')}}), small).find("larger than") !=
        std::string::npos);
  small.max_params = 2;
  small.max_params_bytes = 1000;
  CHECK(!error(begin_request() + params({{"A", "1"}, {"B", "2"}, {"C", "3"}}), small).empty());
  CHECK(error(begin_request() + params({{std::string("A\0B", 3), "1"}})).find("NUL") != std::string::npos);
  CHECK(error(begin_request() + params({{"", "1"}})).find("empty name") != std::string::npos);
}

TEST_CASE("management records are answered by the guard, and bounded") {
  FcgiGuard g{FcgiLimits{}};
  std::string reply;
  // FCGI_MAX_CONNS five times overflowed libfcgi's 64-byte buffer.
  std::string asked;
  for (int i = 0; i < 5; ++i) fcgi::append_name_value(asked, FCGI_MAX_CONNS, "");
  fcgi::append_name_value(asked, FCGI_MPXS_CONNS, "");
  std::string get;
  fcgi::append_record(get, FCGI_GET_VALUES, 0, asked);
  CHECK_FALSE(g.feed(get, reply));
  REQUIRE(reply.size() > 8);
  CHECK(uint8_t(reply[1]) == FCGI_GET_VALUES_RESULT);
  auto answered = fcgi::parse_name_values(std::string_view(reply).substr(8, size_t(uint8_t(reply[5]))), 10);
  REQUIRE(answered);
  CHECK(*answered == FcgiParams{{FCGI_MAX_CONNS, "1024"}, {FCGI_MPXS_CONNS, "0"}});

  reply.clear();
  std::string unknown;
  fcgi::append_record(unknown, 42, 0, "");
  CHECK_FALSE(g.feed(unknown, reply));
  CHECK(uint8_t(reply[1]) == FCGI_UNKNOWN_TYPE);
  CHECK(uint8_t(reply[8]) == 42);
  std::optional<std::string> error;
  for (int i = 0; i < 100 && !error; ++i) error = g.feed(unknown, reply);
  REQUIRE(error);
  CHECK(error->find("too many management records") != std::string::npos);
}

TEST_CASE("a second request on the same connection is refused, not mixed in") {
  FcgiGuard g{FcgiLimits{}};
  std::string reply;
  CHECK_FALSE(g.feed(begin_request(1) + begin_request(2), reply));
  REQUIRE(reply.size() == 16);
  CHECK(uint8_t(reply[1]) == FCGI_END_REQUEST);
  CHECK(uint8_t(reply[3]) == 2);
  CHECK(uint8_t(reply[12]) == FCGI_CANT_MPX_CONN);
  CHECK(g.request_id() == 1);
  // A role other than responder.
  FcgiGuard h{FcgiLimits{}};
  reply.clear();
  CHECK_FALSE(h.feed(begin_request(3, false, FCGI_AUTHORIZER), reply));
  CHECK(uint8_t(reply[12]) == FCGI_UNKNOWN_ROLE);
  CHECK_FALSE(h.has_request());
}

TEST_CASE("an aborted request is reported") {
  FcgiGuard g{FcgiLimits{}};
  std::string reply, abort;
  fcgi::append_record(abort, FCGI_ABORT_REQUEST, 1, "");
  CHECK_FALSE(g.feed(begin_request() + params({{"A", "b"}}) + abort, reply));
  CHECK(g.aborted());
}

TEST_CASE("nothing piles up ahead of the answer") {
  FcgiGuard g{FcgiLimits{}};
  std::string reply;
  CHECK_FALSE(g.feed(whole(), reply));
  std::string more = body(std::string(200000, 'x'), 7);
  CHECK(g.feed(more, reply));
}

TEST_CASE("name-value lengths are checked against what is left") {
  CHECK(fcgi::parse_name_values(std::string("\x01\x01" "ab", 4), 10)->size() == 1);
  CHECK_FALSE(fcgi::parse_name_values(std::string("\x02\x01" "ab", 4), 10));
  CHECK_FALSE(fcgi::parse_name_values(std::string("\x80\x00\x00", 3), 10));
  CHECK_FALSE(fcgi::parse_name_values(std::string("\xff\xff\xff\xff\xff\xff\xff\xff", 8), 10));
  std::string long_name(300, 'n'), encoded;
  fcgi::append_name_value(encoded, long_name, "v");
  CHECK((*fcgi::parse_name_values(encoded, 10))[0].first == long_name);
}
