// The FastCGI front: the libfcgi accept loop on a listening socket. It adapts
// each request to the HttpRequest/HttpResponse interface of the API and holds
// no business logic.
#pragma once

#include <functional>
#include <string>

#include "http_api.h"

namespace autowg {

// Seconds a client may stall while sending or receiving before its request is
// dropped; it keeps a stuck client from blocking every device behind it.
constexpr int kClientTimeoutSeconds = 10;

class Responder {
 public:
  Responder(int listen_fd, Api& api, std::function<void()> on_hangup);
  // Serves until SIGTERM or SIGINT, finishing the request in flight; SIGHUP
  // calls on_hangup between requests. Returns the exit status.
  int run();

 private:
  int listen_fd_;
  Api& api_;
  std::function<void()> on_hangup_;
};

}  // namespace autowg
