// The FastCGI front end: every connection of the listening socket on the
// event loop, read without blocking through FcgiGuard, each within a whole-
// request deadline. A complete, validated request is re-encoded and parsed
// by libfcgi (through a socketpair), handed to the API, and the answer is
// written back without blocking. One slow or hostile peer only ever holds
// its own connection; requests are still handled one at a time.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "event_loop.h"
#include "fcgi_guard.h"
#include "http_api.h"

namespace autowg {

struct ResponderSettings {
  double request_timeout = 10;  // from a request's first byte to its last (--request-timeout)
  double idle_timeout = 120;    // a kept connection waiting for its next request
  size_t max_connections = 1024;
  FcgiLimits limits;
};

class Responder {
 public:
  Responder(EventLoop& loop, int listen_fd, Api& api, ResponderSettings settings);
  ~Responder();
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  size_t connections() const { return connections_.size(); }

  // Stops accepting, drops idle connections, lets every request already
  // under way finish (within its deadline), then calls `done`.
  void stop(std::function<void()> done);

 private:
  struct Connection;
  void accept_all();
  void on_ready(int fd, uint32_t events);
  void read_from(Connection& c);
  void advance(Connection& c);
  void dispatch_ready();
  void flush(Connection& c);
  bool drain(Connection& c);
  void finish_if_done(Connection& c);
  void close(Connection& c, const char* why);
  void arm(Connection& c, double seconds);
  bool make_room();
  void resume_accepting();

  EventLoop& loop_;
  int listen_fd_;
  Api& api_;
  ResponderSettings settings_;
  bool accepting_ = true;
  std::unordered_map<int, std::unique_ptr<Connection>> connections_;
  std::vector<int> ready_;
  std::function<void()> stopped_;  // set while stopping
};

}  // namespace autowg
