// An in-memory WireGuard interface with the kernel's semantics for what
// autowg does: set a peer (created if missing, allowed-ips replaced and taken
// from any other peer that had them), remove peers (missing ones ignored).
#pragma once

#include <algorithm>
#include <utility>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "wireguard.h"

namespace autowg::testing {

inline WgKey key_of(int n) {
  WgKey::Bytes b{};
  b[0] = uint8_t(n);
  b[1] = uint8_t(n >> 8);
  b[2] = uint8_t(n >> 16);
  b[31] = 0x42;
  return WgKey(b);
}

inline AllowedIp ip_of(const char* text) {
  std::string s(text);
  auto slash = s.find('/');
  AllowedIp ip;
  ip.cidr = uint8_t(std::stoi(s.substr(slash + 1)));
  if (s.find(':') != std::string::npos) {
    ip.family = AF_INET6;
    ip.addr = Address::parse(s.substr(0, slash))->bytes();
  } else {
    ip.family = AF_INET;
    inet_pton(AF_INET, s.substr(0, slash).c_str(), ip.addr.data());
  }
  return ip;
}

class FakeBackend : public Backend {
 public:
  FakeBackend() { device.info = DeviceInfo{key_of(9999), 51820}; }

  Device device;
  bool exists = true;
  uint64_t instance_id = 1;
  int reads = 0;
  int applies = 0;
  bool fail_next_apply = false;
  int interrupt_reads = 0;  // the next reads stop half-way as interrupted dumps
  // The next change stops with an error after this many of its sets, as the
  // kernel stops part-way through a message (-1: off).
  int fail_after_sets = -1;
  std::vector<Change> changes;

  const std::string& interface() const override { return name_; }
  const char* name() const override { return "fake"; }
  uint64_t instance() override { return exists ? instance_id : 0; }
  std::string missing_reason() override { return "interface " + name_ + " does not exist"; }

  DeviceInfo read(const PeerVisitor& on_peer) override {
    ++reads;
    check_exists();
    size_t n = 0;
    for (Peer p : device.peers) {
      // As the kernel marks a dump that a change interrupted: some peers
      // were seen, then the error.
      if (interrupt_reads > 0 && ++n > device.peers.size() / 2) {
        --interrupt_reads;
        throw WgError(WgError::Kind::Interrupted, "reading wg0: Dump inconsistency detected, interrupted");
      }
      on_peer(std::move(p));
    }
    return device.info;
  }

  void apply(const Change& change) override {
    ++applies;
    check_exists();
    if (fail_next_apply) {
      fail_next_apply = false;
      throw WgError(WgError::Kind::Other, "changing wg0: Cannot allocate memory");
    }
    if (fail_after_sets >= 0) {
      int n = std::exchange(fail_after_sets, -1);
      for (int i = 0; i < n && i < int(change.sets.size()); ++i) set(change.sets[size_t(i)].key, change.sets[size_t(i)].allowed_ips);
      throw WgError(WgError::Kind::Other, "changing wg0: Cannot allocate memory");
    }
    changes.push_back(change);
    for (const auto& s : change.sets) set(s.key, s.allowed_ips);
    for (const auto& key : change.remove) remove(key);
  }

  void set(const WgKey& key, const std::vector<AllowedIp>& ips) {
    for (auto& p : device.peers)
      std::erase_if(p.allowed_ips, [&](const AllowedIp& a) { return std::find(ips.begin(), ips.end(), a) != ips.end(); });
    Peer* peer = find(key);
    if (!peer) {
      device.peers.push_back(Peer{key, {}, 0, 0, 0});
      peer = &device.peers.back();
    }
    peer->allowed_ips = ips;
  }

  void remove(const WgKey& key) {
    std::erase_if(device.peers, [&](const Peer& p) { return p.public_key == key; });
  }

  Peer* find(const WgKey& key) {
    for (auto& p : device.peers)
      if (p.public_key == key) return &p;
    return nullptr;
  }

  // Deletes the interface and makes a new, empty one with a new key.
  void recreate() {
    device.peers.clear();
    device.info.public_key = key_of(8888);
    device.info.listen_port = 51821;
    ++instance_id;
  }

 private:
  void check_exists() {
    if (!exists) throw WgError(WgError::Kind::NoDevice, "reading wg0: no such interface");
  }
  std::string name_ = "wg0";
};

}  // namespace autowg::testing
