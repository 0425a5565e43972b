#include <catch2/catch.hpp>

#include "cn_pattern.h"

using namespace autowg;

namespace {

std::string name(const char* regex, std::string_view cn) {
  auto p = CnPattern::compile(regex);
  REQUIRE(p);
  auto n = p->name_for(cn);
  return n ? n->value : "refused: " + n.error();
}

}  // namespace

TEST_CASE("the default pattern takes a whole alphanumeric CN") {
  CHECK(name("([0-9a-zA-Z]+)", "1234") == "1234");
  CHECK(name("([0-9a-zA-Z]+)", "Sensor42") == "Sensor42");
  CHECK(name("([0-9a-zA-Z]+)", "smart-toilet-7").rfind("refused", 0) == 0);
  CHECK(name("([0-9a-zA-Z]+)", "1234 ").rfind("refused", 0) == 0);
  CHECK(name("([0-9a-zA-Z]+)", "").rfind("refused", 0) == 0);
}

TEST_CASE("Python-style patterns work") {
  CHECK(name("smart-toilet-(\\d+)", "smart-toilet-123") == "123");
  CHECK(name("smart-toilet-(?P<id>\\d+)", "smart-toilet-123") == "123");
  CHECK(name("(?i)SMART-(\\w+)", "smart-Toilet") == "Toilet");
  CHECK(name("(?:dev|node)-(\\d+)", "node-7") == "7");
  // \d is ASCII only: Arabic-Indic digits are not digits here.
  CHECK(name("(\\d+)", "\xd9\xa1\xd9\xa2").rfind("refused", 0) == 0);
}

TEST_CASE("the match must cover the whole CN") {
  CHECK(name("(\\d+)", "x1234").rfind("refused", 0) == 0);
  CHECK(name("(\\d+)", "1234x").rfind("refused", 0) == 0);
  CHECK(name("a|(b)", "ab").rfind("refused", 0) == 0);
  CHECK(name("(a)|b", "b").find("did not take part") != std::string::npos);
  CHECK(name("x(\\d*)", "x").find("matched nothing") != std::string::npos);
}

TEST_CASE("bad patterns are refused at compile time") {
  CHECK(CnPattern::compile("(").error().find("does not compile") != std::string::npos);
  CHECK(CnPattern::compile("(?P<x").error().find("offset") != std::string::npos);
  CHECK(CnPattern::compile("\\d+").error().find("no capture group") != std::string::npos);
  CHECK(CnPattern::compile("(?:x)").error().find("no capture group") != std::string::npos);
}

TEST_CASE("a pathological pattern cannot hang a request") {
  auto n = name("((a+)+)b", std::string(40, 'a'));
  CHECK(n.rfind("refused", 0) == 0);
}

TEST_CASE("a CN that is not valid UTF-8 is refused before matching") {
  // PCRE2_MATCH_INVALID_UTF let a match start after the invalid byte.
  CHECK(name("([0-9a-zA-Z]+)", "x,\xff" "1234").find("not valid UTF-8") != std::string::npos);
  CHECK(name("(.*)", "\xff").find("not valid UTF-8") != std::string::npos);
  CHECK(name("(\\d+)", "1234\xc3").find("not valid UTF-8") != std::string::npos);
  CHECK(name("(\\d+)", "\xc0\xb1").find("not valid UTF-8") != std::string::npos);  // overlong '1'
  CHECK(name("(\\d+)", "\xed\xa0\x80" "1").find("not valid UTF-8") != std::string::npos);  // a surrogate
  // Valid UTF-8 still matches as before.
  CHECK(name("Ger\xc3\xa4t-(\\d+)", "Ger\xc3\xa4t-7") == "7");
  CHECK(name("(.+)", "Ger\xc3\xa4t") == "Ger\xc3\xa4t");
}
