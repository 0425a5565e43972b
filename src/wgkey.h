// A WireGuard key (32 bytes) with strict base64 in and out, and the hex form
// of the uapi protocol beside it (as wireguard-tools keeps key_to_hex beside
// key_to_base64).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "result.h"

namespace autowg {

class WgKey {
 public:
  static constexpr size_t kSize = 32;
  using Bytes = std::array<uint8_t, kSize>;

  WgKey() = default;
  explicit WgKey(const Bytes& bytes) : bytes_(bytes) {}

  // Canonical base64 of exactly 32 bytes (44 characters, one '=' of padding,
  // zero filler bits), with surrounding whitespace allowed. The all-zero key
  // is refused: the kernel treats it as "no key".
  static Result<WgKey> parse(std::string_view text);

  std::string base64() const;
  // 64 lower-case hex digits, as the uapi protocol writes keys.
  std::string hex() const;
  // Exactly 64 hex digits (either case); the all-zero key is allowed here,
  // since the uapi reports a missing private key that way.
  static Result<WgKey> parse_hex(std::string_view text);
  // A short, non-secret tag for log lines: the first 8 base64 characters, as
  // `wg show` prints them at the start of a peer line.
  std::string fingerprint() const { return base64().substr(0, 8); }
  bool is_zero() const;

  const Bytes& bytes() const { return bytes_; }
  bool operator==(const WgKey&) const = default;

 private:
  Bytes bytes_{};
};

// Keyed (keyed_hash.h): devices choose their keys.
struct WgKeyHash {
  size_t operator()(const WgKey& key) const;
};

}  // namespace autowg
