#include <stdexcept>

#include "log.h"
#include "wg_netlink.h"
#include "wg_uapi.h"
#include "wireguard.h"

namespace autowg {
namespace {

// --backend auto: netlink when the kernel has the interface, uapi when its
// socket is there, decided at the first moment one of them exists (not
// before: a wireguard-go started after autowg is found too) and again when
// the interface it decided for goes away.
class AutoBackend final : public Backend {
 public:
  explicit AutoBackend(std::string interface) : interface_(std::move(interface)) {}

  const std::string& interface() const override { return interface_; }
  const char* name() const override { return chosen_ ? chosen_->name() : "auto (no interface yet)"; }

  uint64_t instance() override {
    if (chosen_) {
      if (uint64_t id = chosen_->instance()) return id;
      chosen_.reset();
    }
    return choose() ? chosen_->instance() : 0;
  }

  std::string missing_reason() override {
    return "interface " + interface_ + " does not exist: neither the kernel's WireGuard nor a userspace one (" +
           uapi_socket_path(interface_) + ") has it";
  }

  DeviceInfo read(const PeerVisitor& on_peer) override { return backend().read(on_peer); }
  void apply(const Change& change) override { backend().apply(change); }

 private:
  bool choose() {
    if (kernel_interface_exists(interface_))
      chosen_ = make_netlink_backend(interface_);
    else if (uapi_socket_exists(interface_))
      chosen_ = make_uapi_backend(interface_);
    else
      return false;
    log_event(LogLevel::Info, "backend", {{"interface", interface_}, {"chosen", chosen_->name()}});
    return true;
  }
  Backend& backend() {
    if (!chosen_ && !choose()) throw WgError(WgError::Kind::NoDevice, missing_reason());
    return *chosen_;
  }

  std::string interface_;
  std::unique_ptr<Backend> chosen_;
};

}  // namespace

std::unique_ptr<Backend> make_backend(BackendKind kind, const std::string& interface) {
  switch (kind) {
    case BackendKind::Netlink:
      return make_netlink_backend(interface);
    case BackendKind::Uapi:
      return make_uapi_backend(interface);
    case BackendKind::Auto:
      return std::make_unique<AutoBackend>(interface);
  }
  throw std::logic_error("unknown backend kind");
}

}  // namespace autowg
