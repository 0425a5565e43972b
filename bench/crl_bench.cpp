// Revocation timing: autowg's own load of a CRL file, and the time from a
// CRL file's replacement to the responder's log line that says the peer went.
//
//   crl_bench load CRL CA_FILE COUNT
//       RevocationList::load (the signatures checked against CA_FILE, as
//       --crl-ca does, and the CA file read once before, as the responder
//       keeps it) COUNT times; prints: revoked=N median_ms=M
//   crl_bench swaps TARGET LOG TIMEOUT_S NEW PATTERN [NEW PATTERN]...
//       renames each NEW over TARGET in turn (one rename(2), as `mv` does)
//       and waits until a line containing its PATTERN is appended to LOG
//       (the responder's stderr), then for the event=crl line that ends
//       that reload, before the next; prints: evict_ms=MEDIAN first_ms=M
//       all_ms=M,M,..., or fails after TIMEOUT_S seconds for one of them.
// The responder logs an eviction after the kernel has acknowledged the
// change and after the journal's "evict NAME" line is written, so the
// line's arrival is when the responder is done.
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "revocation.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

int load(const std::string& crl, const std::string& ca, size_t count) {
  std::vector<double> ms;
  size_t revoked = 0;
  // The CA file read once beforehand, as the responder keeps it while it is unchanged.
  autowg::CrlCaCache cas;
  if (auto first = autowg::RevocationList::load(crl, ca, &cas); !first) {
    std::cerr << "crl_bench: " << first.error() << "\n";
    return 1;
  }
  for (size_t i = 0; i < count; ++i) {
    auto t0 = Clock::now();
    auto list = autowg::RevocationList::load(crl, ca, &cas);
    ms.push_back(ms_since(t0));
    if (!list) {
      std::cerr << "crl_bench: " << list.error() << "\n";
      return 1;
    }
    revoked = list->size();
  }
  std::sort(ms.begin(), ms.end());
  std::cout << "revoked=" << revoked << " median_ms=" << ms[ms.size() / 2] << "\n";
  return 0;
}

// The responder's log, read as it grows. Lean on purpose: under emulation
// each system call of the watcher costs tens of microseconds, and the time
// it takes to notice a line is part of the figure. One read of the inotify
// events and one pread of what was appended per wake-up.
class LogWatcher {
 public:
  explicit LogWatcher(const std::string& log)
      : watch_(inotify_init1(IN_CLOEXEC | IN_NONBLOCK)), fd_(open(log.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (watch_ < 0 || fd_ < 0 || inotify_add_watch(watch_, log.c_str(), IN_MODIFY) < 0)
      throw std::runtime_error("cannot watch " + log);
    offset_ = lseek(fd_, 0, SEEK_END);
  }
  ~LogWatcher() {
    close(fd_);
    close(watch_);
  }

  // Waits until PATTERN has been appended (since the last match), and
  // consumes the text up to its end.
  void wait_for(const std::string& pattern, Clock::time_point deadline) {
    for (;;) {
      for (ssize_t n; (n = pread(fd_, buffer_.data(), buffer_.size(), offset_)) > 0; offset_ += n)
        unread_.append(buffer_.data(), size_t(n));
      if (auto at = unread_.find(pattern); at != std::string::npos) {
        unread_.erase(0, at + pattern.size());
        return;
      }
      if (unread_.size() > pattern.size()) unread_.erase(0, unread_.size() - pattern.size());
      double left = std::chrono::duration<double, std::milli>(deadline - Clock::now()).count();
      if (left <= 0) throw std::runtime_error("no line with '" + pattern + "' in time");
      pollfd p{watch_, POLLIN, 0};
      if (poll(&p, 1, int(left) + 1) > 0) {
        alignas(inotify_event) char events[4096];
        if (read(watch_, events, sizeof events) < 0 && errno != EAGAIN)
          throw std::runtime_error(std::string("inotify: ") + std::strerror(errno));
      }
    }
  }

 private:
  int watch_;
  int fd_;
  off_t offset_ = 0;
  std::string unread_;  // what was appended since, less what cannot begin a match
  std::vector<char> buffer_ = std::vector<char>(1 << 16);
};

// NEW PATTERN pairs: each NEW renamed over TARGET, timed to its PATTERN
// line; then, untimed, the responder's event=crl line that ends the reload.
int swaps(const std::string& target, const std::string& log, double timeout_s,
          const std::vector<std::string>& pairs) {
  LogWatcher watcher(log);
  std::vector<double> ms;
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
    auto t0 = Clock::now();
    auto deadline = t0 + std::chrono::milliseconds(int64_t(timeout_s * 1000));
    if (std::rename(pairs[i].c_str(), target.c_str()) != 0)
      throw std::runtime_error("rename " + pairs[i] + ": " + std::strerror(errno));
    watcher.wait_for(pairs[i + 1], deadline);
    ms.push_back(ms_since(t0));
    watcher.wait_for("event=crl ", deadline);
  }
  std::string all;
  for (double m : ms) all += (all.empty() ? "" : ",") + std::to_string(m);
  double first = ms.front();
  std::sort(ms.begin(), ms.end());
  std::cout << "evict_ms=" << ms[ms.size() / 2] << " first_ms=" << first << " all_ms=" << all << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 4 && args[0] == "load") return load(args[1], args[2], std::stoul(args[3]));
    if (args.size() >= 6 && args.size() % 2 == 0 && args[0] == "swaps")
      return swaps(args[1], args[2], std::stod(args[3]), std::vector<std::string>(args.begin() + 4, args.end()));
  } catch (const std::exception& e) {
    std::cerr << "crl_bench: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: crl_bench load CRL CA_FILE COUNT\n"
               "       crl_bench swaps TARGET LOG TIMEOUT_S NEW PATTERN [NEW PATTERN]...\n";
  return 2;
}
