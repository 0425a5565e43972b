// FileWatcher: calls back when a file changes, however it is changed: in
// place, or replaced by a rename (as editors, certificate tools and
// configuration managers do). It watches the file's directory with inotify:
// a file renamed into place, or closed after writing, is read at once; one
// still being written in place, once it has been quiet for a moment.
#pragma once

#include <functional>
#include <string>

#include "event_loop.h"
#include "fd.h"
#include "result.h"

namespace autowg {

class FileWatcher {
 public:
  // Fails when inotify refuses the directory (it must exist).
  static Result<std::unique_ptr<FileWatcher>> watch(EventLoop& loop, const std::string& path,
                                                    std::function<void()> changed);
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // How long the file must stay quiet before `changed` is called.
  static constexpr double kSettleSeconds = 0.2;

 private:
  FileWatcher(EventLoop& loop, Fd fd, std::string name, std::function<void()> changed);
  void drain();

  EventLoop& loop_;
  Fd fd_;
  std::string name_;
  std::function<void()> changed_;
  EventLoop::TimerId settle_ = 0;
};

}  // namespace autowg
