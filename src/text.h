// Small text helpers shared by the parsers: hex digits, ASCII case, %XX
// decoding, trimming, whole-string numbers, UTF-8 validity and the checks
// every certificate CN must pass.
#pragma once

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "result.h"

namespace autowg {

// 0-15 for a hex digit (either case), -1 otherwise.
int hex_value(char c);

// Only A-Z change; every other byte (UTF-8 included) stays as it is.
std::string ascii_lower(std::string_view s);

// Removes the characters of `blanks` from both ends.
inline constexpr std::string_view kBlanks = " \t\r\n";
std::string_view trim(std::string_view s, std::string_view blanks = kBlanks);

// Decodes %XX escapes (two hex digits, either case); a '%' not followed by
// two hex digits is refused. Other bytes pass through.
std::optional<std::string> percent_decode(std::string_view text);

// %XX for every byte but A-Z a-z 0-9 - . _ (upper-case hex), so that the
// result splits cleanly on blanks.
std::string percent_encode(std::string_view text);

// The whole of `text` as a number in `base`: no sign for unsigned types, no
// blanks, no trailing characters, no overflow.
template <typename T>
std::optional<T> parse_number(std::string_view text, int base = 10) {
  T value{};
  if (text.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Control characters (below 0x20, and 0x7f) as \xNN; every other byte as is.
std::string escape_controls(std::string_view text);

// "WHAT: <strerror(errno)>", for errors of system calls.
std::string with_errno(std::string_view what);

// A number with a fixed count of decimals (durations in log lines: 0.012).
std::string fixed_decimals(double value, int decimals);

// Strict UTF-8: no overlong forms, surrogates or values past U+10FFFF.
bool valid_utf8(std::string_view s);

// The checks every CN passes before it is used, whatever it came from: not
// empty, valid UTF-8, no control characters. The error is a short reason.
Result<std::string> checked_cn(std::string cn);

}  // namespace autowg
