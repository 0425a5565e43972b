#include "responder.h"

#include <fastcgi.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "log.h"
#include "text.h"

namespace autowg {
namespace {

// A validated request handed to libfcgi: autowg writes the canonical records
// into one end of a socketpair and libfcgi parses them from the other, so
// libfcgi never sees a byte that a peer of the socket chose the framing of,
// and never waits: everything it reads is already there.
// The socketpair a connection's requests reach libfcgi through: made once per
// connection and reused by each request a kept connection carries.
struct LibfcgiChannel {
  Fd libfcgi;  // the end libfcgi reads (its ipcFd)
  Fd feed;     // the end autowg writes

  static Result<LibfcgiChannel> open() {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return fail(with_errno("socketpair"));
    return LibfcgiChannel{Fd(fds[0]), Fd(fds[1])};
  }
};

class LibfcgiRequest final : public HttpRequest {
 public:
  // `complete_body`: the body, when it has already all arrived (the usual
  // case): one write for libfcgi to read, instead of two. The connection's
  // channel is opened with its first request.
  static Result<std::unique_ptr<LibfcgiRequest>> parse(const FcgiParams& params,
                                                       std::optional<LibfcgiChannel>& channel,
                                                       const FcgiGuard* complete_body) {
    if (!channel) {
      auto opened = LibfcgiChannel::open();
      if (!opened) return fail(opened.error());
      channel = std::move(*opened);
    }
    std::unique_ptr<LibfcgiRequest> request(new LibfcgiRequest(*channel));
    FCGX_InitRequest(&request->request_, -1, 0);
    request->request_.ipcFd = channel->libfcgi.get();  // lent: FCGX_Free(…, 0) leaves it open
    std::string records;
    fcgi::append_begin_request(records, 1, FCGI_RESPONDER, false);
    std::string encoded;
    for (const auto& [name, value] : params) fcgi::append_name_value(encoded, name, value);
    fcgi::append_stream(records, FCGI_PARAMS, 1, encoded);
    if (complete_body) request->append_body(records, complete_body->body(), complete_body->body_too_large());
    if (!request->send(records)) return fail(with_errno("handing the request to libfcgi"));
    // libfcgi only reads from an ipcFd it believes kept.
    request->request_.keepConnection = 1;
    if (FCGX_Accept_r(&request->request_) < 0) return fail("libfcgi refused the re-encoded request");
    return request;
  }

  ~LibfcgiRequest() override {
    FCGX_Free(&request_, 0);
    // What libfcgi did not read (a body nobody asked for) must not reach the
    // next request of the connection. Once it has read STDIN to its end, it
    // has read all that was sent.
    if (stdin_at_end_) return;
    char scrap[4096];
    while (recv(channel_.libfcgi.get(), scrap, sizeof scrap, MSG_DONTWAIT) > 0) {
    }
  }

  // The body, complete (at most the guard's limit), then the end of STDIN.
  bool supply_body(std::string_view body, bool too_large) {
    std::string records;
    append_body(records, body, too_large);
    return send(records);
  }

  std::optional<std::string_view> param(std::string_view name) const override {
    const char* value = FCGX_GetParam(std::string(name).c_str(), request_.envp);
    if (!value) return std::nullopt;
    return std::string_view(value);
  }

  Result<std::string, BodyError> read_body(size_t limit) override {
    auto declared = declared_length(*this);
    if (!declared) return Failure<BodyError>{declared.error()};
    if (too_large_ || (*declared && **declared > limit)) return Failure<BodyError>{BodyError::TooLarge};
    // The whole of STDIN (the guard kept at most the limit), then compared
    // with what CONTENT_LENGTH said.
    std::string body(limit + 1, '\0');
    int got = FCGX_GetStr(body.data(), int(body.size()), request_.in);
    if (got < 0 || FCGX_GetError(request_.in) != 0) return Failure<BodyError>{BodyError::Incomplete};
    stdin_at_end_ = size_t(got) < body.size();
    body.resize(size_t(got));
    if (body.size() > limit) return Failure<BodyError>{BodyError::TooLarge};
    if (*declared && body.size() < **declared) return Failure<BodyError>{BodyError::Incomplete};
    if (*declared && body.size() > **declared) return Failure<BodyError>{BodyError::Longer};
    return body;
  }

 private:
  explicit LibfcgiRequest(LibfcgiChannel& channel) : channel_(channel) {}

  void append_body(std::string& records, std::string_view body, bool too_large) {
    too_large_ = too_large;
    fcgi::append_stream(records, FCGI_STDIN, 1, body);
  }

  // The records fit the socketpair's buffer (the guard bounds them), so a
  // short write is an error, never a wait.
  bool send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(channel_.feed.get(), data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(size_t(n));
    }
    return true;
  }

  FCGX_Request request_{};
  LibfcgiChannel& channel_;
  bool too_large_ = false;
  bool stdin_at_end_ = false;  // read_body met the end of STDIN
};

// The answer as STDOUT records of the client's request id, straight into the
// connection's output buffer. A large answer (peers.json of a big fleet) is
// handed on as it grows (`drain`), so that it is never held whole; once the
// peer has stopped taking it, the rest is dropped.
class BufferedResponse final : public HttpResponse {
 public:
  // `drain` empties `out` down to a little and says whether the peer still
  // takes it.
  BufferedResponse(std::string& out, uint16_t id, std::function<bool()> drain = {})
      : out_(out), id_(id), drain_(std::move(drain)) {}

  void start(int status, const Headers& headers) override {
    std::string head = "Status: " + std::to_string(status) + " " + std::string(status_text(status)) + "\r\n";
    for (const auto& [name, value] : headers) head += name + ": " + value + "\r\n";
    head += "\r\n";
    write(head);
    started_ = true;
  }

  void write(std::string_view data) override {
    if (broken_) return;
    staged_.append(data);
    if (staged_.size() >= kRecord) emit();
  }

  // The rest of STDOUT, its end, and FCGI_END_REQUEST.
  void finish() {
    finish_stdout();
    fcgi::append_end_request(out_, id_, 0, FCGI_REQUEST_COMPLETE);
  }
  // The answer without FCGI_END_REQUEST (which then follows separately).
  void finish_stdout() {
    emit();
    fcgi::append_record(out_, FCGI_STDOUT, id_, {});
  }

  bool started() const { return started_; }
  bool broken() const { return broken_; }

  // Beyond this much waiting in `out`, the answer is handed on first.
  static constexpr size_t kHighWater = 256 * 1024;

 private:
  static constexpr size_t kRecord = 32 * 1024;
  void emit() {
    for (size_t at = 0; at < staged_.size(); at += kRecord)
      fcgi::append_record(out_, FCGI_STDOUT, id_, std::string_view(staged_).substr(at, kRecord));
    staged_.clear();
    if (drain_ && out_.size() > kHighWater && !drain_()) broken_ = true;
  }

  std::string& out_;
  uint16_t id_;
  std::function<bool()> drain_;
  std::string staged_;
  bool started_ = false;
  bool broken_ = false;
};

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kReadPerEvent = 256 * 1024;  // then the next connection's turn

}  // namespace

struct Responder::Connection {
  Connection(int fd, const FcgiLimits& limits) : fd(fd), guard(limits) {}
  Fd fd;
  FcgiGuard guard;
  std::string out;
  size_t out_at = 0;
  EventLoop::TimerId timer = 0;
  std::optional<LibfcgiChannel> channel;  // made with the first request
  std::unique_ptr<LibfcgiRequest> request;
  bool checked_early = false;
  bool queued = false;       // complete, waiting for the end of the round
  bool answered = false;     // the answer is in `out` (perhaps before the body has all arrived)
  bool peer_closed = false;  // the web server has closed its side
  bool end_pending = false;  // answered early: FCGI_END_REQUEST follows the body
  bool idle = true;              // between requests
  double last_active = 0;
};

Responder::Responder(EventLoop& loop, int listen_fd, Api& api, ResponderSettings settings)
    : loop_(loop), listen_fd_(listen_fd), api_(api), settings_(std::move(settings)) {
  if (FCGX_Init() != 0) throw std::runtime_error("FCGX_Init failed");
  fcntl(listen_fd_, F_SETFL, fcntl(listen_fd_, F_GETFL) | O_NONBLOCK);
  loop_.watch(listen_fd_, EPOLLIN, [this](uint32_t) { accept_all(); });
  loop_.at_end_of_round([this] { dispatch_ready(); });
}

Responder::~Responder() {
  loop_.forget(listen_fd_);
  for (auto& [fd, c] : connections_) {
    loop_.forget(fd);
    loop_.cancel(c->timer);
  }
}

void Responder::stop(std::function<void()> done) {
  stopped_ = std::move(done);
  if (accepting_) loop_.forget(listen_fd_);
  accepting_ = false;
  std::vector<Connection*> idle;
  for (auto& [fd, c] : connections_)
    if (c->idle && !c->answered && c->guard.pending() == 0) idle.push_back(c.get());
  for (Connection* c : idle) close(*c, nullptr);
  if (connections_.empty() && stopped_) stopped_();
}

void Responder::arm(Connection& c, double seconds) {
  loop_.cancel(c.timer);
  int fd = c.fd.get();
  c.timer = loop_.after(seconds, [this, fd] {
    auto it = connections_.find(fd);
    if (it == connections_.end()) return;
    Connection& c = *it->second;
    c.timer = 0;
    close(c, c.idle ? "idle connection" : "request not complete within --request-timeout");
  });
}

// At the cap, the longest-idle kept connection makes room; with none idle,
// new connections wait in the listen backlog until one closes.
bool Responder::make_room() {
  if (connections_.size() < settings_.max_connections) return true;
  Connection* oldest = nullptr;
  for (auto& [fd, c] : connections_)
    if (c->idle && !c->answered && c->guard.pending() == 0 && (!oldest || c->last_active < oldest->last_active))
      oldest = c.get();
  if (!oldest) return false;
  close(*oldest, "connection limit: the longest idle connection goes");
  return true;
}

void Responder::accept_all() {
  for (;;) {
    if (stopped_) return;
    if (!make_room()) {
      if (accepting_) loop_.forget(listen_fd_);
      accepting_ = false;
      return;
    }
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      // Out of descriptors (or worse): pause accepting briefly instead of
      // spinning on a listening socket that stays readable.
      log_event(LogLevel::Error, "accept", {{"reason", with_errno("accept")}, {"action", "paused for 1 s"}});
      if (accepting_) loop_.forget(listen_fd_);
      accepting_ = false;
      loop_.after(1.0, [this] { resume_accepting(); });
      return;
    }
    auto c = std::make_unique<Connection>(fd, settings_.limits);
    c->last_active = EventLoop::now();
    Connection& ref = *c;
    connections_.emplace(fd, std::move(c));
    loop_.watch(fd, EPOLLIN | EPOLLRDHUP, [this, fd](uint32_t events) { on_ready(fd, events); });
    // The first request must be complete within the deadline of accepting.
    ref.idle = false;
    arm(ref, settings_.request_timeout);
  }
}

void Responder::on_ready(int fd, uint32_t events) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  if (events & EPOLLOUT) {
    flush(c);
    if (!connections_.count(fd)) return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) read_from(c);
}

void Responder::read_from(Connection& c) {
  int fd = c.fd.get();
  char buffer[kReadChunk];
  size_t total = 0;
  while (total < kReadPerEvent) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) {
      // The peer is gone (or half-closed): an answer under way is still
      // written; anything else ends here.
      c.peer_closed = true;
      if (c.queued) {
        loop_.change(fd, 0);  // answered at the end of this round
      } else if (c.answered && c.out_at < c.out.size()) {
        loop_.change(fd, EPOLLOUT);
      } else {
        close(c, nullptr);
      }
      return;
    }
    total += size_t(n);
    if (c.idle) {
      c.idle = false;
      arm(c, settings_.request_timeout);
    }
    c.last_active = EventLoop::now();
    std::string reply;
    auto error = c.guard.feed(std::string_view(buffer, size_t(n)), reply);
    c.out += reply;
    if (error) {
      log_event(LogLevel::Warning, "fastcgi", {{"reason", *error}, {"action", "connection dropped"}});
      close(c, nullptr);
      return;
    }
    advance(c);
    if (!connections_.count(fd)) return;
    // Less than asked for: nothing more waits (epoll is level-triggered,
    // so anything that comes meanwhile, or the peer's close, wakes us again).
    if (size_t(n) < sizeof buffer) break;
  }
  if (c.out.size() > c.out_at) flush(c);
}

// Moves a request on as far as what has arrived allows.
void Responder::advance(Connection& c) {
  FcgiGuard& g = c.guard;
  if (c.queued || !g.params_complete()) return;
  if (c.answered) return finish_if_done(c);  // the rest of the body of an answered request
  if (g.aborted()) {
    close(c, "request aborted by the web server");
    return;
  }
  bool body_ready = g.body_complete() || g.body_too_large();
  bool body_sent = false;  // handed to libfcgi with the params, in this call
  if (!c.request) {
    auto request = LibfcgiRequest::parse(g.params(), c.channel, body_ready ? &g : nullptr);
    if (!request) {
      log_event(LogLevel::Error, "fastcgi", {{"reason", request.error()}, {"action", "connection dropped"}});
      close(c, nullptr);
      return;
    }
    c.request = std::move(*request);
    body_sent = body_ready;
  }
  if (!body_ready && !c.checked_early) {
    // Identity (and the route, and a declared length) are checked before the
    // body: a client that is refused anyway cannot hold its connection open
    // by sending its body slowly.
    c.checked_early = true;
    BufferedResponse response(c.out, g.request_id());
    if (api_.answer_early(*c.request, response)) {
      // The rest of the body is still read (and dropped), within the same
      // deadline: closing on unread data would reset the connection and
      // lose the answer.
      // FCGI_END_REQUEST only once the body has all arrived: a web server
      // that keeps connections (Apache's enablereuse) would otherwise take
      // the connection back while still owing the rest of the body.
      response.finish_stdout();
      c.end_pending = true;
      c.answered = true;
      flush(c);
      return;
    }
  }
  if (!body_ready) return;
  if (!body_sent && !c.request->supply_body(g.body(), g.body_too_large())) {
    log_event(LogLevel::Error, "fastcgi", {{"reason", with_errno("handing the body to libfcgi")}});
    close(c, nullptr);
    return;
  }
  c.queued = true;
  loop_.cancel(c.timer);
  c.timer = 0;
  ready_.push_back(c.fd.get());
}

// The requests that became complete in this round, answered together: their
// registrations are one group commit (Registry::register_batch), however
// many web-server connections they came on.
void Responder::dispatch_ready() {
  std::vector<int> ready;
  ready.swap(ready_);
  std::vector<Connection*> batch;
  std::vector<std::unique_ptr<BufferedResponse>> responses;
  std::vector<Api::Exchange> exchanges;
  for (int fd : ready) {
    auto it = connections_.find(fd);
    if (it == connections_.end() || !it->second->queued) continue;
    Connection& c = *it->second;
    c.queued = false;
    batch.push_back(&c);
    responses.push_back(
        std::make_unique<BufferedResponse>(c.out, c.guard.request_id(), [this, &c] { return drain(c); }));
    exchanges.push_back(Api::Exchange{*c.request, *responses.back()});
  }
  if (batch.empty()) return;
  {
    LogBatch lines;  // the round's log lines in one write, before the answers
    api_.handle_all(exchanges);
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    Connection& c = *batch[i];
    if (responses[i]->broken()) {
      // The peer stopped taking its answer: drop the rest; the flush below
      // then closes the connection.
      c.out.clear();
      c.out_at = 0;
      c.peer_closed = true;
      continue;
    }
    responses[i]->finish();
    c.answered = true;
    arm(c, settings_.request_timeout);
  }
  // Flushing may close a connection (and free it): only by descriptor now.
  for (Connection* c : batch) {
    int fd = c->fd.get();
    if (auto it = connections_.find(fd); it != connections_.end() && it->second.get() == c) flush(*c);
  }
}

void Responder::flush(Connection& c) {
  int fd = c.fd.get();
  while (c.out_at < c.out.size()) {
    ssize_t n = ::send(fd, c.out.data() + c.out_at, c.out.size() - c.out_at, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      loop_.change(fd, EPOLLIN | EPOLLRDHUP | EPOLLOUT);
      return;
    }
    if (n <= 0) {
      close(c, nullptr);
      return;
    }
    c.out_at += size_t(n);
  }
  c.out.clear();
  c.out_at = 0;
  if (c.peer_closed) return close(c, nullptr);
  loop_.change(fd, EPOLLIN | EPOLLRDHUP);
  if (c.answered) finish_if_done(c);
}

// Hands a large answer on while it is being made: writes until little is
// left, waiting for the peer as needed, but no longer than the request
// deadline. Other requests wait meanwhile; only an answer of hundreds of
// KiB (peers.json, behind its credential) comes here. False when the peer
// stopped taking it.
bool Responder::drain(Connection& c) {
  constexpr size_t kLowWater = 64 * 1024;
  double deadline = EventLoop::now() + settings_.request_timeout;
  while (c.out.size() - c.out_at > kLowWater) {
    ssize_t n = ::send(c.fd.get(), c.out.data() + c.out_at, c.out.size() - c.out_at, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.out_at += size_t(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    int wait_ms = int((deadline - EventLoop::now()) * 1000);
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) || wait_ms <= 0) return false;
    pollfd pfd{c.fd.get(), POLLOUT, 0};
    if (poll(&pfd, 1, wait_ms) <= 0) return false;
  }
  c.out.erase(0, c.out_at);
  c.out_at = 0;
  return true;
}

// An answered request ends once its STDIN has (after an early answer the web
// server may still be sending the body); then the connection closes, or
// carries the next request.
void Responder::finish_if_done(Connection& c) {
  int fd = c.fd.get();
  FcgiGuard& g = c.guard;
  if (c.out_at < c.out.size()) return;                  // still writing
  if (!g.body_complete() && !g.aborted()) return;       // still draining, within the deadline
  if (c.end_pending) {
    c.end_pending = false;
    fcgi::append_end_request(c.out, g.request_id(), 0, FCGI_REQUEST_COMPLETE);
    return flush(c);  // comes back here once it is written
  }
  c.answered = false;
  c.request.reset();
  c.checked_early = false;
  if (!g.keep_connection() || (stopped_ && g.pending() == 0)) return close(c, nullptr);
  c.idle = true;
  c.last_active = EventLoop::now();
  arm(c, settings_.idle_timeout);
  // What the web server sent after this request is the next one.
  std::string reply;
  auto error = g.finish_request(reply);
  c.out += reply;
  if (error) {
    log_event(LogLevel::Warning, "fastcgi", {{"reason", *error}, {"action", "connection dropped"}});
    return close(c, nullptr);
  }
  if (g.has_request() || g.pending()) {
    c.idle = false;
    arm(c, settings_.request_timeout);
  }
  advance(c);
  if (connections_.count(fd) && c.out.size() > c.out_at) flush(c);
}

void Responder::close(Connection& c, const char* why) {
  int fd = c.fd.get();
  if (why && !c.idle) log_event(LogLevel::Warning, "fastcgi", {{"reason", why}, {"action", "connection dropped"}});
  loop_.cancel(c.timer);
  loop_.forget(fd);
  connections_.erase(fd);  // closes the descriptor
  if (stopped_) {
    if (connections_.empty()) stopped_();
    return;
  }
  resume_accepting();
}

void Responder::resume_accepting() {
  if (accepting_ || stopped_) return;
  accepting_ = true;
  loop_.watch(listen_fd_, EPOLLIN, [this](uint32_t) { accept_all(); });
  accept_all();
}

}  // namespace autowg
