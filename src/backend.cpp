#include <stdexcept>

#include "wg_netlink.h"
#include "wg_uapi.h"
#include "wireguard.h"

namespace autowg {

std::unique_ptr<Backend> make_backend(BackendKind kind, const std::string& interface) {
  switch (kind) {
    case BackendKind::Netlink:
      return make_netlink_backend(interface);
    case BackendKind::Uapi:
      return make_uapi_backend(interface);
    case BackendKind::Auto:
      // Decided once, at start. With neither present the interface is simply
      // missing; netlink, the common case, then reports it.
      if (!kernel_interface_exists(interface) && uapi_socket_exists(interface)) return make_uapi_backend(interface);
      return make_netlink_backend(interface);
  }
  throw std::logic_error("unknown backend kind");
}

}  // namespace autowg
