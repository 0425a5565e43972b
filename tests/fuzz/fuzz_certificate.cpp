// cn_from_certificate (src/certificate.h) on any text, and on any bytes as
// the DER inside a PEM envelope (so that mutations reach the ASN.1 decoder
// and not only the base64). An accepted CN passes the CN checks, and the
// %XX-escaped form of a PEM text (as nginx passes it) gives the same answer.
#include <cstdint>
#include <string>

#include "certificate.h"
#include "fuzz_check.h"
#include "text.h"

using namespace autowg;

namespace {

constexpr size_t kMaxText = 16 * 1024;  // certificate.cpp's limit

std::string base64(std::string_view data) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < data.size(); i += 3) {
    uint32_t n = uint32_t(uint8_t(data[i])) << 16;
    if (i + 1 < data.size()) n |= uint32_t(uint8_t(data[i + 1])) << 8;
    if (i + 2 < data.size()) n |= uint8_t(data[i + 2]);
    out += alphabet[n >> 18 & 63];
    out += alphabet[n >> 12 & 63];
    out += i + 1 < data.size() ? alphabet[n >> 6 & 63] : '=';
    out += i + 2 < data.size() ? alphabet[n & 63] : '=';
  }
  return out;
}

std::string pem(std::string_view der) {
  std::string b64 = base64(der), out = "-----BEGIN CERTIFICATE-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  return out + "-----END CERTIFICATE-----\n";
}

Result<std::string> checked(std::string_view text) {
  auto cn = cn_from_certificate(text);
  if (cn) {
    auto again = checked_cn(*cn);
    FUZZ_CHECK(again && *again == *cn, fuzz::printable(*cn));
  }
  return cn;
}

// A text without '%' and its escaped form are the same certificate.
void check_escaped(std::string_view text, const Result<std::string>& raw) {
  if (text.find('%') != std::string_view::npos) return;
  std::string escaped = percent_encode(text);
  if (escaped.size() > kMaxText) return;
  auto cn = checked(escaped);
  std::string what = "raw: " + (raw ? fuzz::printable(*raw) : raw.error()) +
                     "; escaped: " + (cn ? fuzz::printable(*cn) : cn.error());
  FUZZ_CHECK(cn.ok() == raw.ok(), what);
  if (cn) FUZZ_CHECK(*cn == *raw, what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = fuzz::as_text(data, size);
  auto raw = checked(input);
  if (raw) check_escaped(input, raw);
  if (size <= 8 * 1024) {
    std::string wrapped = pem(input);
    check_escaped(wrapped, checked(wrapped));
  }
  return 0;
}
