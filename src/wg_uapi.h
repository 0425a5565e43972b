// The userspace WireGuard backend: the cross-platform uapi text protocol
// (`get=1` / `set=1`) on /var/run/wireguard/IFACE.sock, as spoken by
// wireguard-go and boringtun.
#pragma once

#include <memory>
#include <string>

#include "wireguard.h"

namespace autowg {

// /var/run/wireguard/IFACE.sock: where wireguard-go and boringtun listen.
std::string uapi_socket_path(const std::string& interface);

std::unique_ptr<Backend> make_uapi_backend(const std::string& interface);

// Whether a uapi socket for the interface exists (for --backend auto).
bool uapi_socket_exists(const std::string& interface);

}  // namespace autowg
