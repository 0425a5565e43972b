#include "interface_lock.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "text.h"

namespace autowg {
namespace {

socklen_t abstract_address(const std::string& interface, sockaddr_un& sa) {
  std::string name = "autowg/" + interface;
  sa = sockaddr_un{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path + 1, name.data(), name.size());  // sun_path[0] = 0: abstract
  return socklen_t(offsetof(sockaddr_un, sun_path) + 1 + name.size());
}

std::string describe_holder(const std::string& interface, int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return "another process holds " + lock_name(interface) + " for " + interface;
  if (cred.uid != geteuid() && cred.uid != 0)
    return lock_name(interface) + " is held by pid " + std::to_string(cred.pid) + " of uid " +
           std::to_string(cred.uid) + ", which is neither autowg's user nor root: stop that process";
  return "another autowg (pid " + std::to_string(cred.pid) + ") already manages " + interface + " (lock " +
         lock_name(interface) + ")";
}

}  // namespace

std::string lock_name(const std::string& interface) { return "@autowg/" + interface; }

Result<InterfaceLock> InterfaceLock::acquire(const std::string& interface) {
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return fail(with_errno("socket"));
  sockaddr_un sa;
  socklen_t len = abstract_address(interface, sa);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), len) == 0) {
    if (listen(fd.get(), 16) != 0) return fail(with_errno("listen on " + lock_name(interface)));
    return InterfaceLock(std::move(fd));
  }
  if (errno != EADDRINUSE) return fail(with_errno("bind " + lock_name(interface)));
  auto holder = connect_to_holder(interface);
  if (holder && *holder) return fail(describe_holder(interface, (*holder)->get()));
  return fail("another process holds " + lock_name(interface) + " for " + interface);
}

Result<std::optional<Fd>> connect_to_holder(const std::string& interface) {
  // Non-blocking, so that a holder whose queue is full (one that does not
  // take commands, such as a cleanup) cannot make this wait.
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return fail(with_errno("socket"));
  sockaddr_un sa;
  socklen_t len = abstract_address(interface, sa);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), len) == 0) return std::optional<Fd>(std::move(fd));
  if (errno == ECONNREFUSED || errno == ENOENT) return std::optional<Fd>();
  if (errno == EAGAIN) return fail(lock_name(interface) + " is held, but its holder takes no commands now");
  return fail(with_errno("connect to " + lock_name(interface)));
}

}  // namespace autowg
