// The kernel WireGuard backend: the `wireguard` generic-netlink family over
// libnl-genl-3, the interface addressed by name.
#pragma once

#include <memory>
#include <string>

#include "wireguard.h"

namespace autowg {

std::unique_ptr<Backend> make_netlink_backend(const std::string& interface);

// Requests this process has sent to the kernel, by command: the evidence that
// a registration costs one WG_CMD_SET_DEVICE and no dump.
struct NetlinkCounters {
  uint64_t get_device = 0;
  uint64_t set_device = 0;
};
NetlinkCounters netlink_counters();

// Whether the kernel has a WireGuard interface of that name (for --backend auto).
bool kernel_interface_exists(const std::string& interface);

}  // namespace autowg
