// Owners of libnl's core objects, shared by the two netlink adapters
// (wg_netlink: the wireguard genl family; route_table: rtnetlink routes).
#pragma once

#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <memory>

namespace autowg::nl {

struct SocketFree {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct MessageFree {
  void operator()(nl_msg* m) const { nlmsg_free(m); }
};
struct CallbackPut {
  void operator()(nl_cb* cb) const { nl_cb_put(cb); }
};
using SocketPtr = std::unique_ptr<nl_sock, SocketFree>;
using MessagePtr = std::unique_ptr<nl_msg, MessageFree>;
using CallbackPtr = std::unique_ptr<nl_cb, CallbackPut>;

}  // namespace autowg::nl
