#include "wg_netlink.h"

#include <linux/wireguard.h>
#include <net/if.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "fd.h"
#include "netlink_ptr.h"

namespace autowg {
namespace {

// Room for ~1300 peer removals per message; well under the kernel's limit of
// the socket's send buffer.
constexpr size_t kMessageSize = 64 * 1024;

// Upper bounds of what goes into a message: the headers and the interface's
// name (all a dump request holds); in a WG_CMD_SET_DEVICE, a peer's nest,
// key and flags (and its allowed-ips' nest), and one allowed-ip's nest,
// family, address and mask.
constexpr size_t kHeaderBytes = 128;
constexpr size_t kPeerBytes = 64;
constexpr size_t kAllowedIpBytes = 48;

// The size of the messages a change is sent in: as much as it needs, up to
// kMessageSize. libnl zeroes the whole buffer of each message, so a change
// of one registration should not ask for 64 KiB.
size_t message_size_for(const Change& change) {
  size_t size = kHeaderBytes + change.remove.size() * kPeerBytes;
  for (const auto& set : change.sets) size += kPeerBytes + set.allowed_ips.size() * kAllowedIpBytes;
  return std::min(size, kMessageSize);
}

NetlinkCounters counters;

using nl::CallbackPtr;
using nl::MessagePtr;
using nl::SocketPtr;

WgError error_from_errno(int err, const std::string& interface, const char* what) {
  std::string where = std::string(what) + " " + interface + ": ";
  switch (err) {
    case ENODEV:
      return WgError(WgError::Kind::NoDevice, where + "no such interface");
    case EOPNOTSUPP:
      return WgError(WgError::Kind::NoDevice, where + "not a WireGuard interface");
    case EPERM:
    case EACCES:
      return WgError(WgError::Kind::NotPermitted, where + "not permitted (needs CAP_NET_ADMIN)");
    default:
      return WgError(WgError::Kind::Other, where + std::strerror(err));
  }
}

// One request and its replies: every valid message goes to `on_message`, the
// exchange ends at the ACK, at NLMSG_DONE or at an error (kept as errno).
struct Exchange {
  std::function<void(nlmsghdr*)> on_message;
  int error = 0;
  bool done = false;

  static int valid(nl_msg* msg, void* arg) {
    static_cast<Exchange*>(arg)->on_message(nlmsg_hdr(msg));
    return NL_OK;
  }
  static int finish(nl_msg*, void* arg) {
    static_cast<Exchange*>(arg)->done = true;
    return NL_STOP;
  }
  static int failed(sockaddr_nl*, nlmsgerr* err, void* arg) {
    auto* self = static_cast<Exchange*>(arg);
    self->error = -err->error;
    self->done = true;
    return NL_STOP;
  }
};

class PeerParser {
 public:
  explicit PeerParser(const Backend::PeerVisitor& visit) : visit_(visit) {}

  // The kernel may carry one peer's allowed-ips over several messages: a peer
  // that starts a message with the key of the peer that ended the previous one
  // is the same peer, continued.
  void add(Peer&& peer) {
    if (pending_ && pending_->public_key == peer.public_key) {
      for (auto& ip : peer.allowed_ips) pending_->allowed_ips.push_back(ip);
      return;
    }
    flush();
    pending_ = std::move(peer);
  }
  void flush() {
    if (pending_) visit_(std::move(*pending_));
    pending_.reset();
  }

 private:
  const Backend::PeerVisitor& visit_;
  std::optional<Peer> pending_;
};

bool parse_allowed_ip(nlattr* nest, AllowedIp& out) {
  nlattr* tb[WGALLOWEDIP_A_MAX + 1] = {};
  if (nla_parse_nested(tb, WGALLOWEDIP_A_MAX, nest, nullptr) < 0) return false;
  if (!tb[WGALLOWEDIP_A_FAMILY] || !tb[WGALLOWEDIP_A_IPADDR] || !tb[WGALLOWEDIP_A_CIDR_MASK]) return false;
  out.family = nla_get_u16(tb[WGALLOWEDIP_A_FAMILY]);
  size_t len = out.family == AF_INET6 ? 16 : out.family == AF_INET ? 4 : 0;
  if (len == 0 || size_t(nla_len(tb[WGALLOWEDIP_A_IPADDR])) != len) return false;
  std::memcpy(out.addr.data(), nla_data(tb[WGALLOWEDIP_A_IPADDR]), len);
  out.cidr = nla_get_u8(tb[WGALLOWEDIP_A_CIDR_MASK]);
  return true;
}

bool parse_peer(nlattr* nest, Peer& peer) {
  nlattr* tb[WGPEER_A_MAX + 1] = {};
  if (nla_parse_nested(tb, WGPEER_A_MAX, nest, nullptr) < 0) return false;
  if (!tb[WGPEER_A_PUBLIC_KEY] || nla_len(tb[WGPEER_A_PUBLIC_KEY]) != WG_KEY_LEN) return false;
  WgKey::Bytes key;
  std::memcpy(key.data(), nla_data(tb[WGPEER_A_PUBLIC_KEY]), WG_KEY_LEN);
  peer.public_key = WgKey(key);
  if (nlattr* t = tb[WGPEER_A_LAST_HANDSHAKE_TIME]; t && size_t(nla_len(t)) >= sizeof(int64_t)) {
    int64_t seconds;
    std::memcpy(&seconds, nla_data(t), sizeof seconds);
    peer.last_handshake = seconds;
  }
  if (tb[WGPEER_A_RX_BYTES]) peer.rx_bytes = nla_get_u64(tb[WGPEER_A_RX_BYTES]);
  if (tb[WGPEER_A_TX_BYTES]) peer.tx_bytes = nla_get_u64(tb[WGPEER_A_TX_BYTES]);
  if (nlattr* ips = tb[WGPEER_A_ALLOWEDIPS]) {
    nlattr* ip;
    int rem;
    nla_for_each_nested(ip, ips, rem) {
      AllowedIp parsed;
      if (!parse_allowed_ip(ip, parsed)) return false;
      peer.allowed_ips.push_back(parsed);
    }
  }
  return true;
}

class NetlinkBackend final : public Backend {
 public:
  explicit NetlinkBackend(std::string interface) : interface_(std::move(interface)) {}

  const std::string& interface() const override { return interface_; }
  const char* name() const override { return "netlink"; }

  // The interface's index: a new one means the interface was created anew.
  // Asked on every registration, so through one socket kept for it (as
  // if_nametoindex does, but without opening and closing a socket each time:
  // a tenth of autowg's CPU per registration in the mTLS profile).
  uint64_t instance() override {
    if (!index_socket_) index_socket_ = Fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!index_socket_) return if_nametoindex(interface_.c_str());
    ifreq request{};
    if (interface_.size() >= sizeof request.ifr_name) return 0;
    std::memcpy(request.ifr_name, interface_.c_str(), interface_.size() + 1);
    if (ioctl(index_socket_.get(), SIOCGIFINDEX, &request) != 0) return 0;
    return uint64_t(unsigned(request.ifr_ifindex));
  }

  std::string missing_reason() override {
    try {
      connect();
    } catch (const WgError& e) {
      return e.what();
    }
    return "interface " + interface_ + " does not exist";
  }

  DeviceInfo read(const PeerVisitor& on_peer) override {
    connect();
    MessagePtr msg = new_message(NLM_F_REQUEST | NLM_F_DUMP, WG_CMD_GET_DEVICE, kHeaderBytes);
    DeviceInfo info;
    PeerParser peers(on_peer);
    bool malformed = false;
    Exchange exchange;
    exchange.on_message = [&](nlmsghdr* nlh) {
      nlattr* tb[WGDEVICE_A_MAX + 1] = {};
      if (genlmsg_parse(nlh, 0, tb, WGDEVICE_A_MAX, nullptr) < 0) {
        malformed = true;
        return;
      }
      if (nlattr* k = tb[WGDEVICE_A_PUBLIC_KEY]; k && nla_len(k) == WG_KEY_LEN) {
        WgKey::Bytes key;
        std::memcpy(key.data(), nla_data(k), WG_KEY_LEN);
        if (!WgKey(key).is_zero()) info.public_key = WgKey(key);
      }
      if (tb[WGDEVICE_A_LISTEN_PORT]) info.listen_port = nla_get_u16(tb[WGDEVICE_A_LISTEN_PORT]);
      if (nlattr* list = tb[WGDEVICE_A_PEERS]) {
        nlattr* nest;
        int rem;
        nla_for_each_nested(nest, list, rem) {
          Peer peer;
          if (!parse_peer(nest, peer)) {
            malformed = true;
            return;
          }
          peers.add(std::move(peer));
        }
      }
    };
    run(msg.get(), exchange, "reading");
    if (malformed) throw WgError(WgError::Kind::Other, "reading " + interface_ + ": malformed netlink reply");
    peers.flush();
    return info;
  }

  void apply(const Change& change) override {
    connect();
    SetBuilder builder(*this, message_size_for(change));
    for (const auto& set : change.sets) builder.set_peer(set.key, set.allowed_ips);
    for (const auto& key : change.remove) builder.remove_peer(key);
    builder.finish();
  }

 private:
  // Builds WG_CMD_SET_DEVICE messages and sends each one that is full. When a
  // peer's allowed-ips do not fit, the message is sent and the next one goes
  // on with the same key, without the replace flag (as wireguard-tools does).
  class SetBuilder {
   public:
    SetBuilder(NetlinkBackend& backend, size_t message_size) : backend_(backend), message_size_(message_size) {
      start();
    }

    void remove_peer(const WgKey& key) {
      size_t added = 0;
      while (put_peer(key, WGPEER_F_REMOVE_ME, nullptr, 0, added) == Fit::None) flush_or_fail();
    }

    void set_peer(const WgKey& key, const std::vector<AllowedIp>& ips) {
      uint32_t flags = WGPEER_F_REPLACE_ALLOWEDIPS;
      size_t next = 0;
      for (;;) {
        size_t added = 0;
        Fit fit = put_peer(key, flags, &ips, next, added);
        if (fit == Fit::All) return;
        if (fit == Fit::None) {
          flush_or_fail();
          continue;
        }
        next += added;
        flags = 0;  // the continuation must not replace what the last message set
        flush_or_fail();
      }
    }

    void finish() {
      if (peers_in_message_ > 0) send();
    }

   private:
    enum class Fit { None, Partial, All };

    // Puts the peer and as many of its allowed-ips from `first` on as fit into
    // the current message; `added` says how many went in.
    Fit put_peer(const WgKey& key, uint32_t flags, const std::vector<AllowedIp>* ips, size_t first, size_t& added) {
      nl_msg* m = msg_.get();
      nlattr* peer = nla_nest_start(m, NLA_F_NESTED);
      if (!peer) return Fit::None;
      if (nla_put(m, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, key.bytes().data()) < 0 ||
          nla_put_u32(m, WGPEER_A_FLAGS, flags) < 0) {
        nla_nest_cancel(m, peer);
        return Fit::None;
      }
      added = 0;
      if (ips) {
        nlattr* list = nla_nest_start(m, NLA_F_NESTED | WGPEER_A_ALLOWEDIPS);
        if (!list) {
          nla_nest_cancel(m, peer);
          return Fit::None;
        }
        while (first + added < ips->size() && put_allowed_ip(m, (*ips)[first + added])) ++added;
        if (added == 0 && first < ips->size()) {
          nla_nest_cancel(m, peer);
          return Fit::None;
        }
        nla_nest_end(m, list);
      }
      nla_nest_end(m, peer);
      ++peers_in_message_;
      return ips && first + added < ips->size() ? Fit::Partial : Fit::All;
    }

    void flush_or_fail() {
      if (peers_in_message_ == 0) throw WgError(WgError::Kind::Other, "a single peer does not fit a netlink message");
      send();
      start();
    }

    static bool put_allowed_ip(nl_msg* m, const AllowedIp& ip) {
      nlattr* nest = nla_nest_start(m, NLA_F_NESTED);
      size_t len = ip.family == AF_INET6 ? 16 : 4;
      if (!nest || nla_put_u16(m, WGALLOWEDIP_A_FAMILY, uint16_t(ip.family)) < 0 ||
          nla_put(m, WGALLOWEDIP_A_IPADDR, int(len), ip.addr.data()) < 0 ||
          nla_put_u8(m, WGALLOWEDIP_A_CIDR_MASK, ip.cidr) < 0) {
        if (nest) nla_nest_cancel(m, nest);
        return false;
      }
      nla_nest_end(m, nest);
      return true;
    }

    void start() {
      msg_ = backend_.new_message(NLM_F_REQUEST | NLM_F_ACK, WG_CMD_SET_DEVICE, message_size_);
      peers_ = nla_nest_start(msg_.get(), NLA_F_NESTED | WGDEVICE_A_PEERS);
      if (!peers_) throw WgError(WgError::Kind::Other, "cannot build a netlink message");
      peers_in_message_ = 0;
    }

    void send() {
      nla_nest_end(msg_.get(), peers_);
      Exchange exchange;
      exchange.on_message = [](nlmsghdr*) {};
      backend_.run(msg_.get(), exchange, "changing");
    }

    NetlinkBackend& backend_;
    size_t message_size_;
    MessagePtr msg_;
    nlattr* peers_ = nullptr;
    size_t peers_in_message_ = 0;
  };

  void connect() {
    if (sock_) return;
    SocketPtr sock(nl_socket_alloc());
    if (!sock) throw WgError(WgError::Kind::Other, "cannot allocate a netlink socket");
    if (int err = genl_connect(sock.get()); err < 0)
      throw WgError(WgError::Kind::Other, std::string("cannot open a netlink socket: ") + nl_geterror(err));
    nl_socket_disable_auto_ack(sock.get());
    nl_socket_enable_msg_peek(sock.get());
    nl_socket_set_buffer_size(sock.get(), 1 << 20, 1 << 20);
    family_ = genl_ctrl_resolve(sock.get(), WG_GENL_NAME);
    if (family_ < 0)
      throw WgError(WgError::Kind::NoDevice,
                    "the kernel has no WireGuard (generic netlink family 'wireguard' not found): load the "
                    "wireguard module, or use --backend uapi (or auto) with a userspace WireGuard such as "
                    "wireguard-go");
    sock_ = std::move(sock);
  }

  MessagePtr new_message(int flags, uint8_t command, size_t size) {
    MessagePtr msg(nlmsg_alloc_size(size));
    if (!msg || !genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, flags, command, WG_GENL_VERSION) ||
        nla_put_string(msg.get(), WGDEVICE_A_IFNAME, interface_.c_str()) < 0)
      throw WgError(WgError::Kind::Other, "cannot build a netlink message");
    return msg;
  }

  void run(nl_msg* msg, Exchange& exchange, const char* what) {
    CallbackPtr cb(nl_cb_alloc(NL_CB_DEFAULT));
    if (!cb) throw WgError(WgError::Kind::Other, "cannot allocate a netlink callback");
    nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, &Exchange::valid, &exchange);
    nl_cb_set(cb.get(), NL_CB_FINISH, NL_CB_CUSTOM, &Exchange::finish, &exchange);
    nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, &Exchange::finish, &exchange);
    nl_cb_err(cb.get(), NL_CB_CUSTOM, &Exchange::failed, &exchange);
    ++(genlmsg_hdr(nlmsg_hdr(msg))->cmd == WG_CMD_GET_DEVICE ? counters.get_device : counters.set_device);
    if (int err = nl_send_auto(sock_.get(), msg); err < 0) {
      sock_.reset();
      throw WgError(WgError::Kind::Other, std::string(what) + " " + interface_ + ": " + nl_geterror(err));
    }
    while (!exchange.done) {
      int err = nl_recvmsgs(sock_.get(), cb.get());
      if (exchange.error) break;  // the kernel's own errno, reported below
      if (err < 0) {
        sock_.reset();  // the socket may hold the rest of a reply; start afresh next time
        throw WgError(err == -NLE_DUMP_INTR ? WgError::Kind::Interrupted : WgError::Kind::Other,
                      std::string(what) + " " + interface_ + ": " + nl_geterror(err));
      }
    }
    if (exchange.error) {
      sock_.reset();  // a dump cut short by an error may leave messages behind
      throw error_from_errno(exchange.error, interface_, what);
    }
  }

  std::string interface_;
  SocketPtr sock_;
  int family_ = -1;
  Fd index_socket_;  // for SIOCGIFINDEX
};

}  // namespace

NetlinkCounters netlink_counters() { return counters; }

std::unique_ptr<Backend> make_netlink_backend(const std::string& interface) {
  return std::make_unique<NetlinkBackend>(interface);
}

bool kernel_interface_exists(const std::string& interface) {
  try {
    NetlinkBackend probe(interface);
    probe.read([](Peer&&) {});
    return true;
  } catch (const WgError&) {
    return false;
  }
}

}  // namespace autowg
