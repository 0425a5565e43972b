// Reading files whose size autowg does not control (the journal, the deny
// list, a CRL) with bounds: a whole file up to a limit, or line by line with
// a cap on the line length, in fixed-size chunks, so that a huge file or a
// line without end never costs more memory than the caps.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "result.h"

namespace autowg {

// The whole file, refused when it is larger than `max_bytes` (without
// reading more than max_bytes + 1 bytes of it).
Result<std::string> read_file_bounded(const std::string& path, size_t max_bytes);

// Lines of a file descriptor (which it does not own), split on '\n'. A line
// longer than `max_line` bytes is skipped whole and reported as TooLong;
// it is never held: the reader's buffer stays at max_line + chunk bytes.
// A last line without '\n' is a line.
class LineReader {
 public:
  enum class Status { Line, TooLong, End };

  explicit LineReader(int fd, size_t max_line, size_t chunk = 64 * 1024);

  // The next line, without its '\n', in `line` (Status::Line). The error
  // is a failed read(2).
  Result<Status> next(std::string& line);

  // 1-based number of the line last returned (also for TooLong).
  size_t line_number() const { return line_number_; }
  size_t bytes_read() const { return bytes_read_; }
  size_t buffer_size() const { return buffer_.size(); }

 private:
  int fd_;
  size_t max_line_;
  std::vector<char> buffer_;
  size_t start_ = 0, end_ = 0;  // the unread bytes are buffer_[start_, end_)
  bool eof_ = false;
  size_t line_number_ = 0;
  size_t bytes_read_ = 0;
};

}  // namespace autowg
