#include "wireguard.h"

#include <arpa/inet.h>
#include <sys/socket.h>

namespace autowg {

AllowedIp AllowedIp::host(const Address& address) {
  AllowedIp ip;
  ip.family = AF_INET6;
  ip.addr = address.bytes();
  ip.cidr = 128;
  return ip;
}

std::optional<Prefix> AllowedIp::as_prefix() const {
  if (family != AF_INET6 || cidr > 128) return std::nullopt;
  return Prefix(Address(addr), cidr);
}

bool AllowedIp::inside(const Prefix& pool) const {
  auto prefix = as_prefix();
  return prefix && pool.contains(*prefix);
}

std::string AllowedIp::str() const {
  if (family == AF_INET6) return Address(addr).str() + "/" + std::to_string(cidr);
  char buf[INET_ADDRSTRLEN] = "?";
  inet_ntop(AF_INET, addr.data(), buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(cidr);
}

bool is_pool_peer(const Peer& peer, const Prefix& pool) {
  if (peer.allowed_ips.empty()) return false;
  for (const auto& ip : peer.allowed_ips)
    if (!ip.inside(pool)) return false;
  return true;
}

Device Backend::read_all() {
  Device device;
  device.info = read([&](Peer&& peer) { device.peers.push_back(std::move(peer)); });
  return device;
}

}  // namespace autowg
