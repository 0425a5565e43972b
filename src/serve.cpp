#include "serve.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "control.h"
#include "event_loop.h"
#include "file_watch.h"
#include "interface_lock.h"
#include "responder.h"
#include "journal.h"
#include "lifecycle.h"
#include "listen.h"
#include "log.h"
#include "metrics.h"
#include "operations.h"
#include "registry.h"
#include "route_sync.h"
#include "text.h"

namespace autowg {
namespace {

// SIGTERM, SIGINT and SIGHUP arrive through a signalfd on the loop, so a
// signal never interrupts a request half-way.
class Signals {
 public:
  Signals(EventLoop& loop, std::function<void()> on_stop, std::function<void()> on_hangup)
      : loop_(loop), on_stop_(std::move(on_stop)), on_hangup_(std::move(on_hangup)) {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, s);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);
    fd_.reset(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!fd_) throw std::runtime_error(with_errno("signalfd"));
    loop_.watch(fd_.get(), EPOLLIN, [this](uint32_t) { take(); });
  }
  ~Signals() { loop_.forget(fd_.get()); }

 private:
  void take() {
    signalfd_siginfo info;
    while (read(fd_.get(), &info, sizeof info) == sizeof info) {
      if (info.ssi_signo == SIGHUP) {
        log_event(LogLevel::Info, "signal", {{"signal", "HUP"}, {"action", "reconcile"}});
        on_hangup_();
      } else if (!stopping_) {
        stopping_ = true;
        log_event(LogLevel::Info, "stop", {{"signal", info.ssi_signo == SIGTERM ? "TERM" : "INT"},
                                           {"action", "finishing the requests under way"}});
        on_stop_();
      } else {
        log_event(LogLevel::Info, "stop", {{"signal", info.ssi_signo == SIGTERM ? "TERM" : "INT"},
                                           {"action", "now"}});
        loop_.stop();
      }
    }
  }

  EventLoop& loop_;
  std::function<void()> on_stop_;
  std::function<void()> on_hangup_;
  bool stopping_ = false;
  Fd fd_;
};

// Each connection may hold three descriptors while its request is parsed
// (itself and libfcgi's socketpair). The soft limit is raised to the hard
// one, and the connection cap fits what that allows.
size_t connection_cap(size_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  size_t reserve = 64;  // the interface, the journal, the log, the loop
  size_t room = limit.rlim_cur > reserve * 2 ? (limit.rlim_cur - reserve) / 3 : 16;
  return std::min(wanted, room);
}

}  // namespace

// The lifecycle's clockwork on the loop: the files it watches, the expiry
// check every second (O(1) until something expires), and the periodic
// re-read of the interface that idleness and monitoring need.
class LifecycleClock {
 public:
  LifecycleClock(EventLoop& loop, Registry& registry, Lifecycle& lifecycle, double reconcile_interval)
      : loop_(loop), registry_(registry), lifecycle_(lifecycle), interval_(reconcile_interval) {
    const auto& s = lifecycle_.settings();
    watch(s.crl_path, [this] { lifecycle_.reload_crl(); });
    watch(s.deny_path, [this] { lifecycle_.reload_deny_list(); });
    every_second();
    reread();
  }
  ~LifecycleClock() {
    loop_.cancel(second_);
    loop_.cancel(reread_);
  }

 private:
  void watch(const std::string& path, std::function<void()> changed) {
    if (path.empty()) return;
    auto watcher = FileWatcher::watch(loop_, path, std::move(changed));
    if (!watcher) {
      log_event(LogLevel::Error, "watch", {{"file", path}, {"reason", watcher.error()},
                                           {"action", "changes are read on SIGHUP only"}});
      return;
    }
    watchers_.push_back(std::move(*watcher));
  }
  void every_second() {
    int64_t next = lifecycle_.next_expiry();
    if (next && next <= Clock::system().unix_seconds()) lifecycle_.sweep_expired();
    second_ = loop_.after(1.0, [this] { every_second(); });
  }
  // Every half interval, a read if the view is older than the interval: the
  // view is never much older than that, and never read twice in a row.
  void reread() {
    reread_ = loop_.after(interval_ / 2, [this] {
      if (!registry_.refresh()) lifecycle_.sweep_idle();
      reread();
    });
  }

  EventLoop& loop_;
  Registry& registry_;
  Lifecycle& lifecycle_;
  double interval_;
  std::vector<std::unique_ptr<FileWatcher>> watchers_;
  EventLoop::TimerId second_ = 0, reread_ = 0;
};

int serve(const Config& config) {
  auto lock = InterfaceLock::acquire(config.interface);
  if (!lock) {
    std::cerr << "autowg: cannot serve " << config.interface << ": " << lock.error() << "\n";
    return 1;
  }
  auto journal = Journal::open(config.state_dir, config.interface);
  if (!journal) {
    std::cerr << "autowg: cannot serve " << config.interface << ": " << journal.error() << "\n";
    return 1;
  }
  auto listening = ListeningSocket::open(config.listen);
  if (!listening) {
    std::cerr << "autowg: " << listening.error() << "\n";
    return 1;
  }
  auto backend = make_backend(config.backend, config.interface);
  Registry registry(*backend, config.pool, &journal.value(), Clock::system(), config.reconcile_interval);
  ResponderSettings settings;
  settings.request_timeout = config.request_timeout;
  settings.max_connections = connection_cap(settings.max_connections);
  settings.limits.max_conns = uint32_t(settings.max_connections);
  std::unique_ptr<Metrics> metrics;
  if (config.api.monitoring.peers_secret || config.api.monitoring.metrics_secret) {
    std::optional<uint64_t> capacity;
    if (config.converter_kind == ConverterKind::DirectBcd) capacity = 10000;  // names 0 to 9999
    metrics = std::make_unique<Metrics>(AUTOWG_VERSION, capacity);
  }
  log_event(LogLevel::Info, "start",
            {{"version", AUTOWG_VERSION}, {"interface", config.interface}, {"backend", backend->name()},
             {"pool", config.pool.str()}, {"converter", std::string(converter_name(config.converter_kind))},
             {"peers_json", config.api.monitoring.peers_secret ? "on" : "off"},
             {"metrics", metrics ? "on" : "off"}, {"listen", config.listen.str()},
             {"max_connections", std::to_string(settings.max_connections)}});
  auto routes = follow_routes(registry, config.interface, config.routes);
  Lifecycle lifecycle(config.lifecycle, registry, Clock::system().unix_seconds);
  if (metrics) lifecycle.observe([&](EvictionReason reason, size_t n) { metrics->evicted(reason, n); });
  if (auto error = lifecycle.load()) {
    std::cerr << "autowg: cannot serve " << config.interface << ": " << *error << "\n";
    return 1;
  }
  // A missing interface is not fatal: requests get 503 until it appears.
  if (!registry.reconcile()) lifecycle.sweep_all();

  EventLoop loop;
  LifecycleClock clock(loop, registry, lifecycle, config.reconcile_interval);
  Api api(config.api, *config.cn_pattern, *config.converter, registry, &lifecycle, metrics.get());
  Responder responder(loop, listening->fd(), api, settings);
  ControlServer control(loop, lock->fd(), [&](std::string_view request) {
    return run_request(registry, config.interface, request, [&](EvictionReason reason, size_t n) {
      if (metrics) metrics->evicted(reason, n);
    });
  });
  Signals signals(loop, [&] { responder.stop([&] { loop.stop(); }); }, [&] {
    registry.reconcile();
    lifecycle.reload_crl();
    lifecycle.reload_deny_list();
  });
  loop.run();
  return 0;
}

}  // namespace autowg
