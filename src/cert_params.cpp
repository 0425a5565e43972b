#include "cert_params.h"

#include <array>
#include <ctime>
#include <vector>

#include "text.h"

namespace autowg {
namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";
// 64 hex digits are 78 decimal ones; longer text is refused unread.
constexpr size_t kMaxSerialText = 3 * kMaxSerialDigits;

// The upper-case hex digits of `text`: plain digits, or pairs between colons.
Result<std::string> hex_digits(std::string_view text) {
  std::string digits;
  bool pairs = text.find(':') != std::string_view::npos;
  for (size_t i = 0; i < text.size(); ++i) {
    if (pairs && i % 3 == 2) {
      if (text[i] != ':' || i + 1 == text.size()) return fail("malformed serial (hex pairs between colons expected)");
      continue;
    }
    int v = hex_value(text[i]);
    if (v < 0) return fail("malformed serial (hex digits expected)");
    digits += kHexDigits[v];
  }
  if (pairs && text.size() % 3 != 2) return fail("malformed serial (hex pairs between colons expected)");
  return digits;
}

Result<std::string> decimal_to_hex(std::string_view text) {
  std::vector<uint8_t> bytes;  // big-endian magnitude
  for (char c : text) {
    if (c < '0' || c > '9') return fail("malformed serial (decimal digits expected)");
    unsigned carry = unsigned(c - '0');
    for (auto b = bytes.rbegin(); b != bytes.rend(); ++b) {
      unsigned v = unsigned(*b) * 10 + carry;
      *b = uint8_t(v & 0xff);
      carry = v >> 8;
    }
    if (carry) bytes.insert(bytes.begin(), uint8_t(carry));
  }
  std::string digits;
  for (uint8_t b : bytes) {
    digits += kHexDigits[b >> 4];
    digits += kHexDigits[b & 15];
  }
  return digits;
}

// Whole-field digits: parse_number would also take a sign.
bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

int days_in_month(int year, int month) {
  static constexpr std::array<int, 12> days = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[size_t(month - 1)];
}

}  // namespace

Result<std::string> normalise_serial(std::string_view text, SerialBase base) {
  text = trim(text);
  if (text.size() > kMaxSerialText) return fail("the serial is too long");
  bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  if (text.empty()) return fail("the serial is empty");
  auto digits = base == SerialBase::Hex ? hex_digits(text) : decimal_to_hex(text);
  if (!digits) return digits;
  std::string_view significant = *digits;
  while (!significant.empty() && significant.front() == '0') significant.remove_prefix(1);
  if (significant.empty()) {
    if (negative) return fail("malformed serial (-0)");
    return std::string("0");
  }
  if (significant.size() > kMaxSerialDigits)
    return fail("the serial is longer than " + std::to_string(kMaxSerialDigits) + " hex digits");
  return (negative ? "-" : "") + std::string(significant);
}

Result<int64_t> parse_openssl_time(std::string_view text) {
  static constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto refused = fail("not a time of the form 'Dec 31 23:59:59 2026 GMT'");
  // "Mmm DD HH:MM:SS YYYY GMT": fixed width, the day as %2d.
  if (text.size() != 24 || text[3] != ' ' || text[6] != ' ' || text[9] != ':' || text[12] != ':' || text[15] != ' ' ||
      text.substr(20) != " GMT")
    return refused;
  int month = 0;
  for (size_t i = 0; i < months.size(); ++i)
    if (text.substr(0, 3) == months[i]) month = int(i) + 1;
  std::string_view day_text = text[4] == ' ' ? text.substr(5, 1) : text.substr(4, 2);
  if (month == 0 || !all_digits(day_text) || day_text[0] == '0' || !all_digits(text.substr(7, 2)) ||
      !all_digits(text.substr(10, 2)) || !all_digits(text.substr(13, 2)) || !all_digits(text.substr(16, 4)))
    return refused;
  std::tm tm{};
  tm.tm_year = *parse_number<int>(text.substr(16, 4)) - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = *parse_number<int>(day_text);
  tm.tm_hour = *parse_number<int>(text.substr(7, 2));
  tm.tm_min = *parse_number<int>(text.substr(10, 2));
  tm.tm_sec = *parse_number<int>(text.substr(13, 2));
  if (tm.tm_mday > days_in_month(tm.tm_year + 1900, month) || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
    return refused;
  return int64_t(timegm(&tm));
}

}  // namespace autowg
