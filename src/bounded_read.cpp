#include "bounded_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "fd.h"
#include "text.h"

namespace autowg {

Result<std::string> read_file_bounded(const std::string& path, size_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail(with_errno("cannot open " + path));
  auto too_large = [&] { return fail(path + " is larger than " + std::to_string(max_bytes) + " bytes"); };
  struct stat st {};
  if (fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && uint64_t(st.st_size) > max_bytes) return too_large();
  std::string data;
  char chunk[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(with_errno("cannot read " + path));
    if (n == 0) return data;
    if (data.size() + size_t(n) > max_bytes) return too_large();
    data.append(chunk, size_t(n));
  }
}

LineReader::LineReader(int fd, size_t max_line, size_t chunk)
    : fd_(fd), max_line_(max_line), buffer_(max_line + std::max<size_t>(chunk, 1)) {}

Result<LineReader::Status> LineReader::next(std::string& line) {
  // Set while the bytes of an over-long line are read and dropped.
  bool skipping = false;
  for (;;) {
    char* begin = buffer_.data() + start_;
    char* end = buffer_.data() + end_;
    char* newline = std::find(begin, end, '\n');
    if (newline != end) {
      ++line_number_;
      size_t length = size_t(newline - begin);
      start_ += length + 1;
      if (skipping || length > max_line_) return Status::TooLong;
      line.assign(begin, length);
      return Status::Line;
    }
    if (skipping || end_ - start_ > max_line_) {
      skipping = true;
      start_ = end_ = 0;
    } else if (start_ > 0) {
      std::memmove(buffer_.data(), begin, end_ - start_);
      end_ -= start_;
      start_ = 0;
    }
    if (eof_) {
      if (!skipping && start_ == end_) return Status::End;
      ++line_number_;
      if (skipping) return Status::TooLong;
      line.assign(buffer_.data() + start_, end_ - start_);
      start_ = end_;
      return Status::Line;
    }
    // At least `chunk` bytes are free here: what is buffered is at most
    // max_line bytes.
    ssize_t n = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(with_errno("read failed"));
    if (n == 0) eof_ = true;
    end_ += size_t(n);
    bytes_read_ += size_t(n);
  }
}

}  // namespace autowg
