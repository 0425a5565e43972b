// The operator's channel to a running responder: on the interface's lock
// socket (interface_lock.h), one request line in, one answer out, then the
// connection closes. Only root and autowg's own user are answered (the
// kernel tells who connected: SO_PEERCRED).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "event_loop.h"
#include "fd.h"
#include "result.h"

namespace autowg {

class ControlServer {
 public:
  using Handler = std::function<std::string(std::string_view request)>;
  ControlServer(EventLoop& loop, int listen_fd, Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

 private:
  struct Client;
  void accept_all();
  void on_ready(int fd, uint32_t events);
  void drop(int fd);

  EventLoop& loop_;
  int listen_fd_;
  Handler handler_;
  std::unordered_map<int, std::unique_ptr<Client>> clients_;
};

// Sends `request` on a connection to the lock holder and returns its whole
// answer.
Result<std::string> ask_holder(Fd connection, const std::string& request, int timeout_seconds);

// The longest request line, and how long a client may take to send it.
constexpr size_t kMaxControlRequest = 64 * 1024;
constexpr double kControlTimeoutSeconds = 10;

}  // namespace autowg
