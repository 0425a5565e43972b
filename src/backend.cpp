#include <stdexcept>

#include "wg_netlink.h"
#include "wireguard.h"

namespace autowg {

std::unique_ptr<Backend> make_backend(BackendKind kind, const std::string& interface) {
  switch (kind) {
    case BackendKind::Netlink:
    case BackendKind::Auto:
      return make_netlink_backend(interface);
    case BackendKind::Uapi:
      throw std::runtime_error("--backend uapi is not implemented yet");
  }
  throw std::logic_error("unknown backend kind");
}

}  // namespace autowg
