// What the harnesses share: a check that aborts (so that libFuzzer reports
// the input), and a reader that turns the fuzz input into decisions.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace autowg::fuzz {

[[noreturn]] inline void violated(const char* what, const char* file, int line, const std::string& detail) {
  std::fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line, what);
  if (!detail.empty()) std::fprintf(stderr, "  %s\n", detail.c_str());
  std::abort();
}

// FUZZ_CHECK(cond) or FUZZ_CHECK(cond, detail-string).
#define FUZZ_CHECK(cond, ...)                                                              \
  do {                                                                                     \
    if (!(cond)) ::autowg::fuzz::violated(#cond, __FILE__, __LINE__, std::string(__VA_ARGS__)); \
  } while (0)

// Bytes as C-style text (\xHH for what is not printable ASCII), for messages.
inline std::string printable(std::string_view s) {
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += char(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Hands out the input byte by byte; zeros once it is used up, so every
// input decodes to something.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return at_ >= size_; }
  uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  // Up to `n` bytes (fewer at the end of the input).
  std::string_view take(size_t n) {
    n = std::min(n, size_ - std::min(at_, size_));
    std::string_view out(reinterpret_cast<const char*>(data_) + at_, n);
    at_ += n;
    return out;
  }
  // A string of up to 255 bytes, its length in the first byte.
  std::string_view counted() { return take(byte()); }
  std::string_view rest() { return take(size_); }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

}  // namespace autowg::fuzz
