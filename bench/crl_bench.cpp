// Revocation timing: autowg's own load of a CRL file, and the time from a
// CRL file's replacement to the responder's log line that says the peer went.
//
//   crl_bench load CRL CA_FILE COUNT
//       RevocationList::load (the signatures checked against CA_FILE, as
//       --crl-ca does, and the CA file read once before, as the responder
//       keeps it) COUNT times; prints: revoked=N median_ms=M
//   crl_bench swap NEW TARGET LOG PATTERN TIMEOUT_S
//       renames NEW over TARGET (one rename(2), as `mv` does) and waits until
//       a line containing PATTERN is appended to LOG (the responder's stderr);
//       prints: evict_ms=M, or fails after TIMEOUT_S seconds.
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
#include <iostream>
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

// Lean on purpose: under emulation each system call of the watcher costs
// tens of microseconds, and the time it takes to notice the line is part of
// the figure. One read of the inotify events and one pread of what was
// appended per wake-up.
int swap(const std::string& fresh, const std::string& target, const std::string& log, const std::string& pattern,
         double timeout_s) {
  int watch = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  int log_fd = open(log.c_str(), O_RDONLY | O_CLOEXEC);
  if (watch < 0 || log_fd < 0 || inotify_add_watch(watch, log.c_str(), IN_MODIFY) < 0) {
    std::cerr << "crl_bench: cannot watch " << log << "\n";
    return 2;
  }
  off_t offset = lseek(log_fd, 0, SEEK_END);
  std::string unread;  // what was appended since, less what cannot begin a match
  std::vector<char> buffer(1 << 16);
  auto t0 = Clock::now();
  if (std::rename(fresh.c_str(), target.c_str()) != 0) {
    std::perror("crl_bench: rename");
    return 2;
  }
  for (;;) {
    for (ssize_t n; (n = pread(log_fd, buffer.data(), buffer.size(), offset)) > 0; offset += n)
      unread.append(buffer.data(), size_t(n));
    if (unread.find(pattern) != std::string::npos) break;
    if (unread.size() > pattern.size()) unread.erase(0, unread.size() - pattern.size());
    double left = timeout_s * 1000 - ms_since(t0);
    if (left <= 0) {
      std::cerr << "crl_bench: no line with '" << pattern << "' within " << timeout_s << " s\n";
      return 1;
    }
    pollfd p{watch, POLLIN, 0};
    if (poll(&p, 1, int(left) + 1) > 0) {
      alignas(inotify_event) char events[4096];
      if (read(watch, events, sizeof events) < 0 && errno != EAGAIN) {
        std::perror("crl_bench: inotify");
        return 2;
      }
    }
  }
  std::cout << "evict_ms=" << ms_since(t0) << "\n";
  close(log_fd);
  close(watch);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 4 && args[0] == "load") return load(args[1], args[2], std::stoul(args[3]));
  if (args.size() == 6 && args[0] == "swap") return swap(args[1], args[2], args[3], args[4], std::stod(args[5]));
  std::cerr << "usage: crl_bench load CRL CA_FILE COUNT | crl_bench swap NEW TARGET LOG PATTERN TIMEOUT_S\n";
  return 2;
}
