// The kernel WireGuard backend: the `wireguard` generic-netlink family over
// libnl-genl-3, the interface addressed by name.
#pragma once

#include <memory>
#include <string>

#include "wireguard.h"

namespace autowg {

std::unique_ptr<Backend> make_netlink_backend(const std::string& interface);

// Whether the kernel has a WireGuard interface of that name (for --backend auto).
bool kernel_interface_exists(const std::string& interface);

}  // namespace autowg
