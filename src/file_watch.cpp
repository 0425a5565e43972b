#include "file_watch.h"

#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "text.h"

namespace autowg {

Result<std::unique_ptr<FileWatcher>> FileWatcher::watch(EventLoop& loop, const std::string& path,
                                                        std::function<void()> changed) {
  auto slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  Fd fd(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!fd) return fail(with_errno("inotify_init1"));
  uint32_t mask = IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_ATTRIB | IN_MOVED_FROM;
  if (inotify_add_watch(fd.get(), dir.c_str(), mask) < 0) return fail(with_errno("watching " + dir));
  return std::unique_ptr<FileWatcher>(new FileWatcher(loop, std::move(fd), name, std::move(changed)));
}

FileWatcher::FileWatcher(EventLoop& loop, Fd fd, std::string name, std::function<void()> changed)
    : loop_(loop), fd_(std::move(fd)), name_(std::move(name)), changed_(std::move(changed)) {
  loop_.watch(fd_.get(), EPOLLIN, [this](uint32_t) { drain(); });
}

FileWatcher::~FileWatcher() {
  loop_.cancel(settle_);
  loop_.forget(fd_.get());
}

void FileWatcher::drain() {
  alignas(inotify_event) char buffer[16 * (sizeof(inotify_event) + NAME_MAX + 1)];
  bool ours = false;
  bool whole = false;  // renamed into place, or closed after writing: complete now
  for (;;) {
    ssize_t n = read(fd_.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (char* at = buffer; at < buffer + n;) {
      auto* event = reinterpret_cast<inotify_event*>(at);
      if (event->len > 0 && name_ == event->name) {
        ours = true;
        if (event->mask & (IN_MOVED_TO | IN_CLOSE_WRITE)) whole = true;
      }
      if (event->mask & IN_Q_OVERFLOW) ours = true;  // events were lost: look anyway
      at += sizeof(inotify_event) + event->len;
    }
  }
  if (!ours) return;
  loop_.cancel(settle_);
  if (whole) {
    settle_ = 0;
    changed_();
    return;
  }
  // Written in place and not closed yet: wait until it has been quiet.
  settle_ = loop_.after(kSettleSeconds, [this] {
    settle_ = 0;
    changed_();
  });
}

}  // namespace autowg
