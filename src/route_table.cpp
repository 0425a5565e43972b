#include "route_table.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include "free_with.h"
#include "netlink_ptr.h"

namespace autowg {
namespace {

// Messages per batch. Only the last one asks for an acknowledgement, and
// failures come back as one small error each (NETLINK_CAP_ACK): a batch in
// which every message fails still fits the socket's receive buffer.
constexpr size_t kBatch = 256;
constexpr int kReceiveTimeoutSeconds = 30;

using nl::CallbackPtr;
using nl::MessagePtr;
using nl::SocketPtr;
using RoutePtr = std::unique_ptr<rtnl_route, FreeWith<rtnl_route_put>>;
using AddressPtr = std::unique_ptr<nl_addr, FreeWith<nl_addr_put>>;

std::string errno_text(int err) { return std::strerror(err); }

// Replies to one batch or one dump: the errors by sequence number, until the
// message that ends it (the batch's last, or the dump's NLMSG_DONE).
struct Replies {
  uint32_t first = 0, last = 0;
  std::vector<int> errors;  // by seq - first; 0: no error
  std::function<void(nlmsghdr*)> on_route;
  bool done = false;
  int dump_error = 0;

  static int valid(nl_msg* msg, void* arg) {
    auto* self = static_cast<Replies*>(arg);
    if (self->on_route) self->on_route(nlmsg_hdr(msg));
    return NL_OK;
  }
  // A dump that fails after it started ends with NLMSG_DONE carrying the
  // negative errno.
  static int finish(nl_msg* msg, void* arg) {
    auto* self = static_cast<Replies*>(arg);
    nlmsghdr* hdr = nlmsg_hdr(msg);
    if (hdr->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
      int error;
      std::memcpy(&error, nlmsg_data(hdr), sizeof error);
      if (error < 0) self->dump_error = -error;
    }
    self->done = true;
    return NL_STOP;
  }
  static int any_sequence(nl_msg*, void*) { return NL_OK; }
  static int ack(nl_msg* msg, void* arg) {
    auto* self = static_cast<Replies*>(arg);
    if (nlmsg_hdr(msg)->nlmsg_seq == self->last) self->done = true;
    return self->done ? NL_STOP : NL_OK;
  }
  static int failed(sockaddr_nl*, nlmsgerr* err, void* arg) {
    auto* self = static_cast<Replies*>(arg);
    uint32_t seq = err->msg.nlmsg_seq;
    if (self->on_route) {
      self->dump_error = -err->error;
      self->done = true;
      return NL_STOP;
    }
    // An answer to an earlier batch that timed out is not this batch's.
    if (seq < self->first || seq > self->last) return NL_SKIP;
    self->errors[seq - self->first] = -err->error;
    if (seq == self->last) {
      self->done = true;
      return NL_STOP;
    }
    return NL_SKIP;
  }
};

class NetlinkRouteTable : public RouteTable {
 public:
  NetlinkRouteTable(std::string interface, const RouteSettings& settings)
      : interface_(std::move(interface)), settings_(settings) {}

  Result<std::vector<Prefix>> list() override {
    auto index = ifindex();
    if (!index) return fail(index.error());
    if (auto error = connect()) return fail(*error);
    std::vector<Prefix> found;
    rtmsg request{};
    request.rtm_family = AF_INET6;
    request.rtm_protocol = settings_.protocol;
    MessagePtr msg(nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP));
    if (!msg || nlmsg_append(msg.get(), &request, sizeof request, NLMSG_ALIGNTO) < 0 ||
        nla_put_u32(msg.get(), RTA_TABLE, settings_.table) < 0 || nla_put_u32(msg.get(), RTA_OIF, *index) < 0)
      return fail("routes: cannot build a dump request");
    Replies replies;
    replies.on_route = [&](nlmsghdr* hdr) {
      if (auto prefix = ours(hdr, *index)) found.push_back(*prefix);
    };
    int sent = nl_send_auto(socket_.get(), msg.get());
    if (sent < 0) return fail(describe() + ": sending the dump request: " + nl_geterror(sent));
    if (auto error = receive(replies)) {
      socket_.reset();
      return fail(describe() + ": reading the routes: " + *error);
    }
    // With strict checks the kernel filters by table, and a table that never
    // held a route does not exist yet: it holds none of ours.
    if (replies.dump_error == ENOENT) return found;
    if (replies.dump_error)
      return fail(describe() + ": reading the routes: " + errno_text(replies.dump_error));
    return found;
  }

  RouteFailures add(const std::vector<Prefix>& prefixes) override { return change(RTM_NEWROUTE, prefixes); }
  RouteFailures remove(const std::vector<Prefix>& prefixes) override { return change(RTM_DELROUTE, prefixes); }

  std::string describe() const override {
    return "table " + std::to_string(settings_.table) + " proto " + std::to_string(settings_.protocol) + " dev " +
           interface_;
  }

 private:
  Result<int> ifindex() const {
    unsigned index = if_nametoindex(interface_.c_str());
    if (index == 0) return fail(describe() + ": no interface " + interface_);
    return int(index);
  }

  std::optional<std::string> connect() {
    if (socket_) return std::nullopt;
    SocketPtr sock(nl_socket_alloc());
    if (!sock) return "routes: cannot allocate a netlink socket";
    if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0)
      return std::string("routes: cannot open rtnetlink: ") + nl_geterror(err);
    nl_socket_disable_seq_check(sock.get());
    nl_socket_disable_auto_ack(sock.get());
    nl_socket_set_buffer_size(sock.get(), 1 << 20, 1 << 20);
    int fd = nl_socket_get_fd(sock.get());
    int on = 1;
    // Errors without a copy of the request; dumps filtered by the kernel.
    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
    setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &on, sizeof on);
    timeval timeout{kReceiveTimeoutSeconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    socket_ = std::move(sock);
    return std::nullopt;
  }

  // The prefix of a dumped route when it is one of ours. The attributes are
  // read in place (libnl's rtnl_route_parse would allocate a route object,
  // its next hop and its addresses for each of 100 000 routes).
  std::optional<Prefix> ours(nlmsghdr* hdr, int index) const {
    if (hdr->nlmsg_type != RTM_NEWROUTE) return std::nullopt;
    nlattr* attrs[RTA_MAX + 1];
    if (nlmsg_parse(hdr, sizeof(rtmsg), attrs, RTA_MAX, nullptr) < 0) return std::nullopt;
    const auto* rtm = static_cast<const rtmsg*>(nlmsg_data(hdr));
    uint32_t table = attrs[RTA_TABLE] ? nla_get_u32(attrs[RTA_TABLE]) : rtm->rtm_table;
    if (rtm->rtm_family != AF_INET6 || table != settings_.table || rtm->rtm_protocol != settings_.protocol ||
        (rtm->rtm_flags & RTM_F_CLONED) || attrs[RTA_MULTIPATH] || !attrs[RTA_OIF] ||
        int(nla_get_u32(attrs[RTA_OIF])) != index)
      return std::nullopt;
    Address::Bytes bytes{};  // no RTA_DST: the default route, ::/0
    if (attrs[RTA_DST]) {
      if (nla_len(attrs[RTA_DST]) != int(bytes.size())) return std::nullopt;
      std::memcpy(bytes.data(), nla_data(attrs[RTA_DST]), bytes.size());
    }
    return Prefix(Address(bytes), rtm->rtm_dst_len);
  }

  // One request, as libnl-route builds it, appended to `batch`.
  std::optional<std::string> append(std::vector<char>& batch, int type, const Prefix& prefix, int index,
                                    uint32_t seq, bool last) const {
    RoutePtr route(rtnl_route_alloc());
    rtnl_nexthop* nexthop = rtnl_route_nh_alloc();
    AddressPtr dst(nl_addr_build(AF_INET6, prefix.network().bytes().data(), 16));
    if (!route || !nexthop || !dst) {
      if (nexthop) rtnl_route_nh_free(nexthop);
      return "routes: out of memory";
    }
    nl_addr_set_prefixlen(dst.get(), prefix.length());
    rtnl_route_set_family(route.get(), AF_INET6);
    rtnl_route_set_table(route.get(), settings_.table);
    rtnl_route_set_protocol(route.get(), settings_.protocol);
    rtnl_route_set_type(route.get(), RTN_UNICAST);
    rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
    rtnl_route_set_dst(route.get(), dst.get());
    rtnl_route_nh_set_ifindex(nexthop, index);
    rtnl_route_add_nexthop(route.get(), nexthop);  // the route owns it now
    nl_msg* built = nullptr;
    // NLM_F_EXCL: a route to the same prefix with the same metric, of any
    // protocol, is left as it is (REPLACE would take another protocol's).
    int err = type == RTM_NEWROUTE ? rtnl_route_build_add_request(route.get(), NLM_F_CREATE | NLM_F_EXCL, &built)
                                   : rtnl_route_build_del_request(route.get(), 0, &built);
    if (err < 0) return std::string("routes: cannot build a request: ") + nl_geterror(err);
    MessagePtr msg(built);
    nlmsghdr* hdr = nlmsg_hdr(msg.get());
    hdr->nlmsg_seq = seq;
    hdr->nlmsg_flags |= NLM_F_REQUEST | (last ? NLM_F_ACK : 0);
    const char* bytes = reinterpret_cast<const char*>(hdr);
    batch.insert(batch.end(), bytes, bytes + hdr->nlmsg_len);
    batch.resize(batch.size() + (NLMSG_ALIGN(hdr->nlmsg_len) - hdr->nlmsg_len), 0);
    return std::nullopt;
  }

  RouteFailures change(int type, const std::vector<Prefix>& prefixes) {
    RouteFailures failures;
    auto all_failed = [&](size_t from, const std::string& reason) {
      failures.prefixes.insert(failures.prefixes.end(), prefixes.begin() + long(from), prefixes.end());
      if (failures.reason.empty()) failures.reason = reason;
    };
    if (prefixes.empty()) return failures;
    auto index = ifindex();
    if (!index) {
      all_failed(0, index.error());
      return failures;
    }
    if (auto error = connect()) {
      all_failed(0, *error);
      return failures;
    }
    std::vector<char> batch;
    for (size_t start = 0; start < prefixes.size(); start += kBatch) {
      size_t count = std::min(kBatch, prefixes.size() - start);
      batch.clear();
      Replies replies;
      replies.first = next_seq_;
      replies.last = next_seq_ + uint32_t(count) - 1;
      replies.errors.assign(count, 0);
      next_seq_ += uint32_t(count);
      for (size_t i = 0; i < count; ++i) {
        if (auto error = append(batch, type, prefixes[start + i], *index, replies.first + uint32_t(i), i + 1 == count)) {
          all_failed(start, *error);
          return failures;
        }
      }
      int sent = nl_sendto(socket_.get(), batch.data(), batch.size());
      if (sent < 0) {
        all_failed(start, describe() + ": sending: " + nl_geterror(sent));
        return failures;
      }
      if (auto error = receive(replies)) {
        // What the kernel did with this batch is unknown: the next reconcile
        // reads the table and sees.
        all_failed(start, describe() + ": " + *error);
        socket_.reset();
        return failures;
      }
      for (size_t i = 0; i < count; ++i) {
        int err = replies.errors[i];
        if (err == 0 || (type == RTM_DELROUTE && err == ESRCH)) continue;
        failures.prefixes.push_back(prefixes[start + i]);
        if (failures.reason.empty()) failures.reason = reason(type, prefixes[start + i], err);
      }
    }
    return failures;
  }

  std::string reason(int type, const Prefix& prefix, int err) const {
    std::string what = std::string(type == RTM_NEWROUTE ? "adding " : "removing ") + prefix.str() + " (" +
                       describe() + "): ";
    if (type == RTM_NEWROUTE && err == EEXIST)
      return what + "a route of another protocol to it, with the same metric, is in the table";
    if (err == ENETDOWN) return what + "the interface is down";
    if (err == EPERM || err == EACCES) return what + "not permitted (needs CAP_NET_ADMIN)";
    return what + errno_text(err);
  }

  // Reads until `replies` is done; an error text when the socket fails.
  std::optional<std::string> receive(Replies& replies) {
    CallbackPtr cb(nl_cb_alloc(NL_CB_DEFAULT));
    if (!cb) return "out of memory";
    nl_cb_set(cb.get(), NL_CB_SEQ_CHECK, NL_CB_CUSTOM, Replies::any_sequence, nullptr);
    nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, Replies::valid, &replies);
    nl_cb_set(cb.get(), NL_CB_FINISH, NL_CB_CUSTOM, Replies::finish, &replies);
    nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, Replies::ack, &replies);
    nl_cb_err(cb.get(), NL_CB_CUSTOM, Replies::failed, &replies);
    while (!replies.done) {
      int err = nl_recvmsgs(socket_.get(), cb.get());
      if (err < 0 && !replies.done) {
        if (err == -NLE_AGAIN) return "no answer from the kernel within " + std::to_string(kReceiveTimeoutSeconds) + " s";
        return std::string(nl_geterror(err));
      }
    }
    return std::nullopt;
  }

  std::string interface_;
  RouteSettings settings_;
  SocketPtr socket_;
  uint32_t next_seq_ = 1;
};

}  // namespace

std::unique_ptr<RouteTable> make_netlink_route_table(const std::string& interface, const RouteSettings& settings) {
  return std::make_unique<NetlinkRouteTable>(interface, settings);
}

}  // namespace autowg
