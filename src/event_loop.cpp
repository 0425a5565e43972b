#include "event_loop.h"

#include <sys/epoll.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <system_error>

namespace autowg {

EventLoop::EventLoop() : epoll_(epoll_create1(EPOLL_CLOEXEC)) {
  if (!epoll_) throw std::system_error(errno, std::generic_category(), "epoll_create1");
}

double EventLoop::now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void EventLoop::watch(int fd, uint32_t events, Handler handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  bool known = handlers_.count(fd) > 0;
  if (epoll_ctl(epoll_.get(), known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) != 0)
    throw std::system_error(errno, std::generic_category(), "epoll_ctl");
  handlers_[fd] = std::make_shared<Handler>(std::move(handler));
  events_[fd] = events;
}

void EventLoop::change(int fd, uint32_t events) {
  auto known = events_.find(fd);
  if (known != events_.end() && known->second == events) return;  // a system call saved
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) != 0)
    throw std::system_error(errno, std::generic_category(), "epoll_ctl");
  if (known != events_.end()) known->second = events;
}

void EventLoop::forget(int fd) {
  events_.erase(fd);
  if (handlers_.erase(fd)) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

EventLoop::TimerId EventLoop::after(double seconds, std::function<void()> action) {
  TimerId id = next_timer_++;
  auto it = timers_.emplace(now() + seconds, Timer{id, std::move(action)});
  timer_index_[id] = it;
  return id;
}

void EventLoop::cancel(TimerId id) {
  auto it = timer_index_.find(id);
  if (it == timer_index_.end()) return;
  timers_.erase(it->second);
  timer_index_.erase(it);
}

int EventLoop::next_timeout_ms() const {
  if (timers_.empty()) return -1;
  double wait = timers_.begin()->first - now();
  if (wait <= 0) return 0;
  return int(std::min(std::ceil(wait * 1000), 3600e3));
}

void EventLoop::run_due_timers() {
  double t = now();
  while (!timers_.empty() && timers_.begin()->first <= t) {
    auto node = timers_.extract(timers_.begin());
    timer_index_.erase(node.mapped().id);
    node.mapped().action();
  }
}

void EventLoop::run() {
  running_ = true;
  epoll_event events[64];
  while (running_) {
    int n = epoll_wait(epoll_.get(), events, 64, next_timeout_ms());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "epoll_wait");
    }
    for (int i = 0; i < n && running_; ++i) {
      // A handler may forget its own or another descriptor; the shared_ptr
      // keeps the one running alive, and a forgotten one is skipped.
      auto it = handlers_.find(events[i].data.fd);
      if (it == handlers_.end()) continue;
      std::shared_ptr<Handler> handler = it->second;
      (*handler)(events[i].events);
    }
    if (running_) run_due_timers();
    if (running_ && end_of_round_) end_of_round_();
  }
}

}  // namespace autowg
