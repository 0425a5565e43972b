#include "wgkey.h"

#include <cstring>

#include "keyed_hash.h"
#include "text.h"

namespace autowg {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr size_t kEncodedSize = 44;

int decode_char(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

Result<WgKey> WgKey::parse(std::string_view text) {
  text = trim(text);
  if (text.size() != kEncodedSize || text[43] != '=')
    return fail("a key is 44 base64 characters ending in '=' (got " + std::to_string(text.size()) +
                " characters)");
  WgKey key;
  uint32_t acc = 0;
  int bits = 0;
  size_t out = 0;
  for (size_t i = 0; i < 43; ++i) {
    int v = decode_char(text[i]);
    if (v < 0) return fail("a key may only hold base64 characters A-Z a-z 0-9 + /");
    acc = acc << 6 | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      key.bytes_[out++] = uint8_t(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  // 43 characters carry 258 bits: the last 2 must be zero in canonical base64.
  if (acc != 0) return fail("the key's base64 is not canonical (non-zero filler bits)");
  if (key.is_zero()) return fail("the all-zero key is not a valid key");
  return key;
}

std::string WgKey::base64() const {
  std::string out;
  out.reserve(kEncodedSize);
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t b : bytes_) {
    acc = acc << 8 | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  out += kAlphabet[(acc << (6 - bits)) & 63];
  out += '=';
  return out;
}

std::string WgKey::hex() const {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * kSize);
  for (uint8_t b : bytes_) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

Result<WgKey> WgKey::parse_hex(std::string_view text) {
  if (text.size() != 2 * kSize) return fail("a hex key is 64 hex digits");
  WgKey key;
  for (size_t i = 0; i < kSize; ++i) {
    int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return fail("a hex key may only hold hex digits");
    key.bytes_[i] = uint8_t(hi << 4 | lo);
  }
  return key;
}

bool WgKey::is_zero() const {
  uint8_t any = 0;
  for (uint8_t b : bytes_) any |= b;
  return any == 0;
}

size_t WgKeyHash::operator()(const WgKey& key) const { return keyed_hash(key.bytes().data(), WgKey::kSize); }

}  // namespace autowg
