// EventLoop: one thread waits on many descriptors (epoll) and timers, and
// calls back whoever is ready. The FastCGI front end, the control socket and
// the file watchers all live on it, so that no single peer can hold the
// responder: nothing here ever blocks on one descriptor.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "fd.h"

namespace autowg {

class EventLoop {
 public:
  using Handler = std::function<void(uint32_t events)>;  // EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR
  using TimerId = uint64_t;

  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Starts watching `fd` (which the caller keeps open) for `events`, or
  // changes what it watches for. Throws std::system_error when epoll refuses.
  void watch(int fd, uint32_t events, Handler handler);
  void change(int fd, uint32_t events);
  void forget(int fd);
  bool watching(int fd) const { return handlers_.count(fd) > 0; }

  // Calls `action` once, `seconds` from now (monotonic).
  TimerId after(double seconds, std::function<void()> action);
  void cancel(TimerId id);

  // Called once after each round of ready descriptors and due timers, for
  // work that is best done in batches.
  void at_end_of_round(std::function<void()> action) { end_of_round_ = std::move(action); }

  // Waits and dispatches until stop() is called.
  void run();
  void stop() { running_ = false; }

  // Monotonic seconds.
  static double now();

 private:
  struct Timer {
    TimerId id;
    std::function<void()> action;
  };
  int next_timeout_ms() const;
  void run_due_timers();

  Fd epoll_;
  bool running_ = false;
  std::unordered_map<int, std::shared_ptr<Handler>> handlers_;
  std::unordered_map<int, uint32_t> events_;  // what each fd is watched for
  std::multimap<double, Timer> timers_;
  std::unordered_map<TimerId, std::multimap<double, Timer>::iterator> timer_index_;
  TimerId next_timer_ = 1;
  std::function<void()> end_of_round_;
};

}  // namespace autowg
