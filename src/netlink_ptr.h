// Owners of libnl's core objects, shared by the two netlink adapters
// (wg_netlink: the wireguard genl family; route_table: rtnetlink routes).
#pragma once

#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <memory>

#include "free_with.h"

namespace autowg::nl {

using SocketPtr = std::unique_ptr<nl_sock, FreeWith<nl_socket_free>>;
using MessagePtr = std::unique_ptr<nl_msg, FreeWith<nlmsg_free>>;
using CallbackPtr = std::unique_ptr<nl_cb, FreeWith<nl_cb_put>>;

}  // namespace autowg::nl
