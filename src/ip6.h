// IPv6 addresses and prefixes: parsing, RFC 5952 formatting, masking.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "result.h"

namespace autowg {

class Address {
 public:
  using Bytes = std::array<uint8_t, 16>;

  Address() = default;
  explicit Address(const Bytes& bytes) : bytes_(bytes) {}

  // Plain IPv6 text (no prefix length, no zone); nullopt when it is not one.
  static std::optional<Address> parse(std::string_view text);

  // RFC 5952 canonical text: lower case, no leading zeros, the longest run of
  // two or more zero groups compressed.
  std::string str() const;

  const Bytes& bytes() const { return bytes_; }
  Bytes& bytes() { return bytes_; }

  auto operator<=>(const Address&) const = default;

 private:
  Bytes bytes_{};
};

class Prefix {
 public:
  Prefix() = default;
  Prefix(const Address& network, int length);

  // "ADDR/LEN"; refuses host bits set below the length, with a hint.
  static Result<Prefix> parse(std::string_view text);

  const Address& network() const { return network_; }
  int length() const { return length_; }
  bool contains(const Address& address) const;
  bool contains(const Prefix& other) const;
  std::string str() const;

  // The network bits of this prefix with host bits taken from `host`.
  Address combine(const Address::Bytes& host) const;

  bool operator==(const Prefix&) const = default;

 private:
  Address network_;
  int length_ = 0;
};

// Clears every bit of `address` beyond the first `length` bits.
Address mask(const Address& address, int length);

// Keyed (keyed_hash.h): a metans address follows from a name a device's
// certificate carries.
struct AddressHash {
  size_t operator()(const Address& a) const;
};

}  // namespace autowg
