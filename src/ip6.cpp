#include "ip6.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "keyed_hash.h"
#include "text.h"

namespace autowg {

std::optional<Address> Address::parse(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  std::string copy(text);
  Address a;
  if (inet_pton(AF_INET6, copy.c_str(), a.bytes_.data()) != 1) return std::nullopt;
  return a;
}

std::string Address::str() const {
  uint16_t groups[8];
  for (int i = 0; i < 8; ++i) groups[i] = uint16_t(bytes_[2 * i] << 8 | bytes_[2 * i + 1]);

  int best_start = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_len) best_start = i, best_len = j - i;
    i = j;
  }
  if (best_len < 2) best_start = -1;

  std::string out;
  char buf[8];
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    auto r = std::to_chars(buf, buf + sizeof buf, groups[i], 16);
    out.append(buf, r.ptr);
  }
  return out;
}

Address mask(const Address& address, int length) {
  Address out = address;
  for (int i = 0; i < 16; ++i) {
    int bits = length - 8 * i;
    if (bits >= 8) continue;
    out.bytes()[i] &= bits <= 0 ? 0 : uint8_t(0xff << (8 - bits));
  }
  return out;
}

Prefix::Prefix(const Address& network, int length) : network_(mask(network, length)), length_(length) {}

Result<Prefix> Prefix::parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos)
    return fail("'" + std::string(text) + "' is not an IPv6 prefix (expected ADDRESS/LENGTH)");
  auto address = Address::parse(text.substr(0, slash));
  if (!address) return fail("'" + std::string(text) + "' is not an IPv6 prefix: bad address");
  auto len_text = text.substr(slash + 1);
  auto length = parse_number<int>(len_text);
  if (!length || *length < 0 || *length > 128)
    return fail("'" + std::string(text) + "' is not an IPv6 prefix: length must be 0-128");
  Prefix prefix(*address, *length);
  if (prefix.network_ != *address)
    return fail("'" + std::string(text) + "' has host bits set; did you mean " + prefix.str() + "?");
  return prefix;
}

bool Prefix::contains(const Address& address) const { return mask(address, length_) == network_; }

bool Prefix::contains(const Prefix& other) const {
  return other.length_ >= length_ && contains(other.network_);
}

std::string Prefix::str() const { return network_.str() + "/" + std::to_string(length_); }

Address Prefix::combine(const Address::Bytes& host) const {
  Address out;
  Address netmask = mask(Address(Address::Bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                 0xff, 0xff, 0xff, 0xff, 0xff}),
                         length_);
  for (int i = 0; i < 16; ++i)
    out.bytes()[i] = uint8_t((network_.bytes()[i] & netmask.bytes()[i]) | (host[i] & ~netmask.bytes()[i]));
  return out;
}

size_t AddressHash::operator()(const Address& a) const { return keyed_hash(a.bytes().data(), a.bytes().size()); }

}  // namespace autowg
