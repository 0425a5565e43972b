// One autowg per interface and per network namespace, whatever --state-dir
// says: the holder binds the abstract Unix socket "@autowg/IFACE". Abstract
// sockets live in the network namespace, as interfaces do, and vanish with
// their process, so a crash leaves no stale lock. The same socket takes the
// operator commands (`autowg list`, `autowg evict`; see control.h).
#pragma once

#include <optional>
#include <string>

#include "fd.h"
#include "result.h"

namespace autowg {

class InterfaceLock {
 public:
  // Takes the lock without waiting. The error names the holder's pid (and
  // its uid when that is not autowg's own user or root).
  static Result<InterfaceLock> acquire(const std::string& interface);

  // The listening socket, for the control server.
  int fd() const { return fd_.get(); }

 private:
  explicit InterfaceLock(Fd fd) : fd_(std::move(fd)) {}
  Fd fd_;
};

// "@autowg/IFACE", for messages.
std::string lock_name(const std::string& interface);

// A connection to the lock holder's socket, or nullopt when nobody holds it.
Result<std::optional<Fd>> connect_to_holder(const std::string& interface);

}  // namespace autowg
