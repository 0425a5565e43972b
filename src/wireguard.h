// The WireGuard data model (device → peers → allowed-ips), the one change
// autowg makes, and the Backend interface that netlink and uapi implement.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ip6.h"
#include "wgkey.h"

namespace autowg {

struct AllowedIp {
  int family = 0;                 // AF_INET or AF_INET6
  std::array<uint8_t, 16> addr{};  // IPv4 in the first 4 bytes
  uint8_t cidr = 0;

  static AllowedIp host(const Address& address);  // ADDRESS/128
  // An IPv6 allowed-ip that lies wholly inside `pool`.
  bool inside(const Prefix& pool) const;
  std::optional<Prefix> as_prefix() const;  // nullopt for IPv4
  std::string str() const;
  bool operator==(const AllowedIp&) const = default;
};

struct Peer {
  WgKey public_key;
  std::vector<AllowedIp> allowed_ips;
  int64_t last_handshake = 0;  // Unix seconds; 0: never
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
};

// What a device says about itself; peers are reported one by one.
struct DeviceInfo {
  std::optional<WgKey> public_key;  // unset: the interface has no private key
  uint16_t listen_port = 0;
};

struct Device {
  DeviceInfo info;
  std::vector<Peer> peers;
};

// One change to an interface. The sets are applied first, in order (each key
// with exactly these allowed-ips, replacing its old ones), then the
// removals, so a refused set leaves every old peer in place. No key is both
// set and removed in one change.
struct Change {
  struct Set {
    WgKey key;
    std::vector<AllowedIp> allowed_ips;
  };
  std::vector<Set> sets;
  std::vector<WgKey> remove;
  bool empty() const { return sets.empty() && remove.empty(); }
};

// Whether a peer belongs to the pool: it has allowed-ips and every one of
// them lies inside the pool. Anything else is a static peer, never touched.
bool is_pool_peer(const Peer& peer, const Prefix& pool);

enum class BackendKind { Netlink, Uapi, Auto };

class WgError : public std::runtime_error {
 public:
  // Interrupted: the interface changed while it was being read (the kernel
  // marks such a dump); reading again gives a consistent one.
  enum class Kind { NoDevice, NotPermitted, Interrupted, Other };
  WgError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// How autowg reaches one WireGuard interface. Errors throw WgError.
class Backend {
 public:
  using PeerVisitor = std::function<void(Peer&&)>;

  virtual ~Backend() = default;
  // Reads the device; `on_peer` sees every peer once, complete.
  virtual DeviceInfo read(const PeerVisitor& on_peer) = 0;
  // Applies `change`; the registration path always fits one message.
  virtual void apply(const Change& change) = 0;
  // A cheap token that changes when the interface is deleted and re-created;
  // 0 while it does not exist.
  virtual uint64_t instance() = 0;
  // Why the interface cannot be reached while instance() is 0, with what to
  // do about it (the same words for the log and the 503 answer).
  virtual std::string missing_reason() = 0;
  virtual const std::string& interface() const = 0;
  // "netlink" or "uapi", for log lines.
  virtual const char* name() const = 0;

  Device read_all();
};

// The backend for `interface`; `auto` picks netlink when the kernel has the
// interface and uapi when its socket exists, at the first moment one of them
// does (and again if it goes away).
std::unique_ptr<Backend> make_backend(BackendKind kind, const std::string& interface);

}  // namespace autowg
