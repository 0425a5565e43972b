#include "fastcgi.h"

#include <fcgiapp.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "log.h"

namespace autowg {
namespace {

constexpr int kBacklog = 1024;

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

struct HostPort {
  std::string host;
  std::string port;
};

std::optional<HostPort> split_host_port(const std::string& spec) {
  auto colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  std::string host = spec.substr(0, colon), port = spec.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string::npos) return std::nullopt;  // IPv6 needs brackets
  int value = 0;
  auto r = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || r.ec != std::errc() || r.ptr != port.data() + port.size() || value < 1 || value > 65535)
    return std::nullopt;
  return HostPort{host, port};
}

Result<int> open_unix(const std::string& path) {
  sockaddr_un sa{};
  if (path.size() >= sizeof sa.sun_path) return fail("--listen: socket path too long: " + path);
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return fail("--listen: " + path + " exists and is not a socket");
    unlink(path.c_str());
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(errno_text("socket"));
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  // Only the owner and group (the web server's) may connect: whoever can
  // talk FastCGI here can claim any identity.
  mode_t old = umask(0117);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  umask(old);
  if (rc != 0 || listen(fd, kBacklog) != 0) {
    std::string error = errno_text("--listen " + path);
    close(fd);
    return fail(error);
  }
  return fd;
}

Result<int> open_tcp(const HostPort& hp) {
  addrinfo hints{}, *found = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  if (int rc = getaddrinfo(hp.host.empty() ? nullptr : hp.host.c_str(), hp.port.c_str(), &hints, &found); rc != 0)
    return fail("--listen: cannot resolve '" + hp.host + "': " + gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(found, freeaddrinfo);
  int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(errno_text("socket"));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, found->ai_addr, found->ai_addrlen) != 0 || listen(fd, kBacklog) != 0) {
    std::string error = errno_text("--listen " + hp.host + ":" + hp.port);
    close(fd);
    return fail(error);
  }
  bool loopback = (found->ai_family == AF_INET &&
                   (ntohl(reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr.s_addr) >> 24) == 127) ||
                  (found->ai_family == AF_INET6 &&
                   IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr));
  if (!loopback)
    log_event(LogLevel::Warning, "listen",
              {{"address", hp.host + ":" + hp.port},
               {"reason", "not a loopback address: anyone who reaches it can claim any identity"}});
  return fd;
}

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
      size_t n = 0;
      auto r = std::from_chars(length->data(), length->data() + length->size(), n);
      if (r.ec == std::errc::result_out_of_range) return Failure<BodyError>{BodyError::TooLarge};
      if (r.ec != std::errc() || r.ptr != length->data() + length->size())
        return Failure<BodyError>{BodyError::Incomplete};
      if (n > limit) return Failure<BodyError>{BodyError::TooLarge};
      declared = n;
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
int block_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return signalfd(-1, &set, SFD_CLOEXEC);
}

}  // namespace

bool valid_listen_spec(const std::string& spec) {
  if (spec.find('/') != std::string::npos) return spec.size() < sizeof(sockaddr_un{}.sun_path);
  return split_host_port(spec).has_value();
}

Result<int> open_listen_socket(const std::string& spec) {
  Result<int> fd = fail("");
  if (spec.empty()) {
    int listening = 0;
    socklen_t len = sizeof listening;
    if (getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening)
      return fail("fd 0 is not a listening socket: run autowg serve under spawn-fcgi or systemd socket "
                  "activation, or give --listen PATH|HOST:PORT");
    fd = 0;
  } else if (spec.find('/') != std::string::npos) {
    fd = open_unix(spec);
  } else if (auto hp = split_host_port(spec)) {
    fd = open_tcp(*hp);
  } else {
    return fail("--listen: '" + spec + "' is neither a socket path nor HOST:PORT");
  }
  return fd;
}

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
  int signals = block_signals();
  if (signals < 0) {
    log_event(LogLevel::Error, "serve", {{"reason", errno_text("signalfd")}});
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
    pollfd fds[2] = {{signals, POLLIN, 0}, {kept ? request.ipcFd : listen_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log_event(LogLevel::Error, "serve", {{"reason", errno_text("poll")}});
      return 1;
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info;
      if (read(signals, &info, sizeof info) == sizeof info) {
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
  close(signals);
  return 0;
}

}  // namespace autowg
