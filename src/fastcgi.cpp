#include "fastcgi.h"

#include <fcgiapp.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "fd.h"
#include "log.h"
#include "text.h"

namespace autowg {
namespace {

class FcgiRequest final : public HttpRequest {
 public:
  explicit FcgiRequest(FCGX_Request& request) : request_(request) {}

  std::optional<std::string_view> param(std::string_view name) const override {
    const char* value = FCGX_GetParam(std::string(name).c_str(), request_.envp);
    if (!value) return std::nullopt;
    return std::string_view(value);
  }

  Result<std::string, BodyError> read_body(size_t limit) override {
    std::optional<size_t> declared;
    if (auto length = param("CONTENT_LENGTH"); length && !length->empty()) {
      // Only digits; a number too large for size_t is simply too large.
      if (length->find_first_not_of("0123456789") != std::string_view::npos)
        return Failure<BodyError>{BodyError::Incomplete};
      auto n = parse_number<size_t>(*length);
      if (!n || *n > limit) return Failure<BodyError>{BodyError::TooLarge};
      declared = *n;
    }
    std::string body(declared ? *declared : limit + 1, '\0');
    int got = FCGX_GetStr(body.data(), int(body.size()), request_.in);
    if (got < 0 || FCGX_GetError(request_.in) != 0) return Failure<BodyError>{BodyError::Incomplete};
    body.resize(size_t(got));
    if (declared && body.size() < *declared) return Failure<BodyError>{BodyError::Incomplete};
    if (body.size() > limit) return Failure<BodyError>{BodyError::TooLarge};
    return body;
  }

 private:
  FCGX_Request& request_;
};

class FcgiResponse final : public HttpResponse {
 public:
  explicit FcgiResponse(FCGX_Request& request) : request_(request) {}

  void start(int status, const Headers& headers) override {
    std::string head = "Status: " + std::to_string(status) + " " + std::string(status_text(status)) + "\r\n";
    for (const auto& [name, value] : headers) head += name + ": " + value + "\r\n";
    head += "\r\n";
    write(head);
  }

  void write(std::string_view data) override {
    if (!data.empty()) FCGX_PutStr(data.data(), int(data.size()), request_.out);
  }

 private:
  FCGX_Request& request_;
};

// SIGTERM, SIGINT and SIGHUP arrive through a signalfd, so a signal never
// interrupts a request half-way.
Fd block_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return Fd(signalfd(-1, &set, SFD_CLOEXEC));
}

}  // namespace

Responder::Responder(int listen_fd, Api& api, std::function<void()> on_hangup)
    : listen_fd_(listen_fd), api_(api), on_hangup_(std::move(on_hangup)) {}

namespace {

// Takes the next connection with the client timeouts set. AF_UNIX connections
// do not inherit them from the listening socket, so they are set here.
int accept_connection(int listen_fd) {
  int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return -1;
  timeval tv{kClientTimeoutSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return fd;
}

}  // namespace

int Responder::run() {
  Fd signals = block_signals();
  if (!signals) {
    log_event(LogLevel::Error, "serve", {{"reason", with_errno("signalfd")}});
    return 1;
  }
  if (FCGX_Init() != 0) {
    log_event(LogLevel::Error, "serve", {{"reason", "FCGX_Init failed"}});
    return 1;
  }
  // Non-blocking, so that libfcgi never waits in accept() itself: every wait
  // is the poll below, where signals are seen too.
  fcntl(listen_fd_, F_SETFL, fcntl(listen_fd_, F_GETFL) | O_NONBLOCK);
  FCGX_Request request;
  FCGX_InitRequest(&request, listen_fd_, 0);
  for (;;) {
    // A kept-alive FastCGI connection carries the next request itself.
    bool kept = request.keepConnection && request.ipcFd >= 0;
    pollfd fds[2] = {{signals.get(), POLLIN, 0}, {kept ? request.ipcFd : listen_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log_event(LogLevel::Error, "serve", {{"reason", with_errno("poll")}});
      return 1;
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info;
      if (read(signals.get(), &info, sizeof info) == sizeof info) {
        if (info.ssi_signo == SIGHUP) {
          log_event(LogLevel::Info, "signal", {{"signal", "HUP"}, {"action", "reconcile"}});
          on_hangup_();
        } else {
          log_event(LogLevel::Info, "stop", {{"signal", info.ssi_signo == SIGTERM ? "TERM" : "INT"}});
          break;
        }
      }
      continue;
    }
    if (!(fds[1].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    if (!kept) {
      int fd = accept_connection(listen_fd_);
      if (fd < 0) continue;
      // libfcgi reads the request from an open ipcFd when the connection is
      // marked kept; the BEGIN_REQUEST record then sets the real flag.
      request.ipcFd = fd;
      request.keepConnection = 1;
    }
    if (FCGX_Accept_r(&request) < 0) continue;  // a client that went away, timed out or spoke nonsense
    FcgiRequest in(request);
    FcgiResponse out(request);
    api_.handle(in, out);
    FCGX_Finish_r(&request);
  }
  FCGX_Free(&request, 1);
  return 0;
}

}  // namespace autowg
