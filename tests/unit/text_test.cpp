#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdint>

#include "text.h"

using namespace autowg;

TEST_CASE("hex digits of either case, nothing else") {
  CHECK(hex_value('0') == 0);
  CHECK(hex_value('9') == 9);
  CHECK(hex_value('a') == 10);
  CHECK(hex_value('F') == 15);
  for (char c : std::string("gG/:@`x -\0", 10)) CHECK(hex_value(c) == -1);
}

TEST_CASE("ASCII lower-casing leaves every other byte alone") {
  CHECK(ascii_lower("AbC-Z09") == "abc-z09");
  CHECK(ascii_lower("\xc3\x84X") == "\xc3\x84x");  // UTF-8 Ä stays
  CHECK(ascii_lower("") == "");
}

TEST_CASE("trim removes only the given characters at both ends") {
  CHECK(trim("  \t a b \r\n") == "a b");
  CHECK(trim(" \t\r\n") == "");
  CHECK(trim("") == "");
  CHECK(trim("\r\n x \r\n", " \t") == "\r\n x \r\n");
  CHECK(trim(" \tx\t ", " \t") == "x");
}

TEST_CASE("%XX decoding takes exactly two hex digits") {
  CHECK(*percent_decode("a%2Cb%2c%25") == "a,b,%");
  CHECK(*percent_decode("plain") == "plain");
  CHECK(*percent_decode("%00") == std::string(1, '\0'));
  CHECK(*percent_decode("%ff") == "\xff");
  CHECK_FALSE(percent_decode("%"));
  CHECK_FALSE(percent_decode("%4"));
  CHECK_FALSE(percent_decode("abc%4"));
  CHECK_FALSE(percent_decode("%4g"));
  CHECK_FALSE(percent_decode("%+1"));
  CHECK_FALSE(percent_decode("% 1"));
}

TEST_CASE("a number is the whole string, in range") {
  CHECK(*parse_number<int>("0") == 0);
  CHECK(*parse_number<int>("-12") == -12);
  CHECK(*parse_number<int>("65535") == 65535);
  CHECK(*parse_number<uint16_t>("65535") == 65535);
  CHECK_FALSE(parse_number<uint16_t>("65536"));
  CHECK_FALSE(parse_number<unsigned>("-1"));
  CHECK_FALSE(parse_number<int>(""));
  CHECK_FALSE(parse_number<int>(" 1"));
  CHECK_FALSE(parse_number<int>("1 "));
  CHECK_FALSE(parse_number<int>("+1"));
  CHECK_FALSE(parse_number<int>("12abc"));
  CHECK_FALSE(parse_number<int>("0x10"));
  CHECK_FALSE(parse_number<int64_t>("99999999999999999999"));
  CHECK(*parse_number<int64_t>("-9223372036854775808") == INT64_MIN);
  CHECK(*parse_number<unsigned>("ff", 16) == 255);
}

TEST_CASE("UTF-8 is strict") {
  CHECK(valid_utf8(""));
  CHECK(valid_utf8("plain"));
  CHECK(valid_utf8("\xc3\xa4\xe2\x82\xac\xf0\x9f\x98\x80"));  // ä € 😀
  CHECK_FALSE(valid_utf8("\xff"));
  CHECK_FALSE(valid_utf8("\xc3"));              // cut short
  CHECK_FALSE(valid_utf8("\xc3\x28"));          // bad continuation
  CHECK_FALSE(valid_utf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(valid_utf8("\xe0\x80\xaf"));      // overlong
  CHECK_FALSE(valid_utf8("\xed\xa0\x80"));      // surrogate
  CHECK_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(valid_utf8("\x80"));              // lone continuation
}

TEST_CASE("a CN must be non-empty UTF-8 without control characters") {
  CHECK(*checked_cn("1234") == "1234");
  CHECK(*checked_cn("M\xc3\xbcller") == "M\xc3\xbcller");
  CHECK(checked_cn("").error() == "the CN is empty");
  CHECK(checked_cn("a\xff").error() == "the CN is not valid UTF-8");
  CHECK(checked_cn("a\nb").error() == "the CN holds a control character");
  CHECK(checked_cn("a\x7f").error() == "the CN holds a control character");
  CHECK(checked_cn(std::string("a\0b", 3)).error() == "the CN holds a control character");
}

TEST_CASE("system call errors carry their errno text") {
  errno = ENOENT;
  CHECK(with_errno("open /x") == "open /x: No such file or directory");
}

TEST_CASE("fixed_decimals: a fixed count of decimals, rounded") {
  CHECK(fixed_decimals(0.0123456, 4) == "0.0123");
  CHECK(fixed_decimals(1.5, 3) == "1.500");
  CHECK(fixed_decimals(0.00005, 4) == "0.0001");
  CHECK(fixed_decimals(12, 0) == "12");
}
