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
#include "interface_lock.h"
#include "responder.h"
#include "journal.h"
#include "listen.h"
#include "log.h"
#include "operations.h"
#include "registry.h"
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
  log_event(LogLevel::Info, "start",
            {{"version", AUTOWG_VERSION}, {"interface", config.interface}, {"backend", backend->name()},
             {"pool", config.pool.str()}, {"converter", std::string(converter_name(config.converter_kind))},
             {"monitoring", config.api.monitoring_secret ? "on" : "off"}, {"listen", config.listen.str()},
             {"max_connections", std::to_string(settings.max_connections)}});
  // A missing interface is not fatal: requests get 503 until it appears.
  registry.reconcile();

  EventLoop loop;
  Api api(config.api, *config.cn_pattern, *config.converter, registry);
  Responder responder(loop, listening->fd(), api, settings);
  ControlServer control(loop, lock->fd(), [&](std::string_view request) {
    return run_request(registry, config.interface, request);
  });
  Signals signals(loop, [&] { responder.stop([&] { loop.stop(); }); }, [&] { registry.reconcile(); });
  loop.run();
  return 0;
}

}  // namespace autowg
