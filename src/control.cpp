#include "control.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "log.h"
#include "text.h"

namespace autowg {

struct ControlServer::Client {
  Fd fd;
  std::string in;
  std::string out;
  size_t out_at = 0;
  EventLoop::TimerId timer = 0;
};

ControlServer::ControlServer(EventLoop& loop, int listen_fd, Handler handler)
    : loop_(loop), listen_fd_(listen_fd), handler_(std::move(handler)) {
  fcntl(listen_fd_, F_SETFL, fcntl(listen_fd_, F_GETFL) | O_NONBLOCK);
  loop_.watch(listen_fd_, EPOLLIN, [this](uint32_t) { accept_all(); });
}

ControlServer::~ControlServer() {
  loop_.forget(listen_fd_);
  for (auto& [fd, c] : clients_) {
    loop_.forget(fd);
    loop_.cancel(c->timer);
  }
}

void ControlServer::accept_all() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    auto client = std::make_unique<Client>();
    client->fd.reset(fd);
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || (cred.uid != 0 && cred.uid != geteuid())) {
      log_event(LogLevel::Warning, "control",
                {{"uid", std::to_string(cred.uid)}, {"pid", std::to_string(cred.pid)},
                 {"reason", "only root and autowg's own user may give commands"}});
      continue;  // closed as `client` goes
    }
    if (clients_.size() >= 16) continue;  // an operator does not need more at once
    client->timer = loop_.after(kControlTimeoutSeconds, [this, fd] { drop(fd); });
    clients_[fd] = std::move(client);
    loop_.watch(fd, EPOLLIN | EPOLLRDHUP, [this, fd](uint32_t events) { on_ready(fd, events); });
  }
}

void ControlServer::on_ready(int fd, uint32_t events) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  Client& c = *it->second;
  if (c.out.empty() && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))) {
    char buffer[4096];
    for (;;) {
      ssize_t n = read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n > 0) c.in.append(buffer, size_t(n));
      auto newline = c.in.find('\n');
      if (newline == std::string::npos && n > 0 && c.in.size() <= kMaxControlRequest) continue;
      if (newline == std::string::npos) return drop(fd);  // closed early, or too long
      c.out = handler_(std::string_view(c.in).substr(0, newline));
      if (c.out.empty()) return drop(fd);
      break;
    }
  }
  while (c.out_at < c.out.size()) {
    ssize_t n = send(fd, c.out.data() + c.out_at, c.out.size() - c.out_at, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      loop_.change(fd, EPOLLOUT);
      // A large answer (list at 100 000 peers) may take longer than the
      // request did; the reader gets a fresh deadline for it.
      loop_.cancel(c.timer);
      c.timer = loop_.after(60, [this, fd] { drop(fd); });
      return;
    }
    if (n <= 0) return drop(fd);
    c.out_at += size_t(n);
  }
  drop(fd);
}

void ControlServer::drop(int fd) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  loop_.cancel(it->second->timer);
  loop_.forget(fd);
  clients_.erase(it);
}

Result<std::string> ask_holder(Fd connection, const std::string& request, int timeout_seconds) {
  int fd = connection.get();
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  timeval tv{timeout_seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string line = request + "\n";
  if (send(fd, line.data(), line.size(), MSG_NOSIGNAL) != ssize_t(line.size()))
    return fail(with_errno("sending the command"));
  std::string answer;
  char buffer[65536];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return fail("no answer from the responder within " + std::to_string(timeout_seconds) + " s");
    if (n < 0) return fail(with_errno("reading the answer"));
    if (n == 0) break;
    answer.append(buffer, size_t(n));
  }
  if (answer.empty()) return fail("the responder closed the connection without an answer");
  return answer;
}

}  // namespace autowg
