#include "log.h"

#include <limits.h>
#include <unistd.h>

#include <cerrno>

#include "text.h"

namespace autowg {
namespace {

std::function<void(const std::string&)>& sink() {
  static std::function<void(const std::string&)> s;
  return s;
}

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "error";
  }
  return "?";
}

void append_value(std::string& out, std::string_view value) {
  bool plain = !value.empty();
  for (unsigned char c : value)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f) plain = false;
  if (plain) {
    out += value;
    return;
  }
  static const char hex[] = "0123456789abcdef";
  out += '"';
  for (unsigned char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < ' ' || c == 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += char(c);  // UTF-8 passes through
    }
  }
  out += '"';
}

void append_json_string(std::string& out, std::string_view value) {
  static const char hex[] = "0123456789abcdef";
  auto escape = [&](unsigned char c) {
    out += "\\u00";
    out += hex[c >> 4];
    out += hex[c & 15];
  };
  out += '"';
  for (size_t i = 0; i < value.size();) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      escape(c);
      ++i;
    } else if (c < 0x80) {
      out += char(c);
      ++i;
    } else {
      // A valid UTF-8 sequence passes as is; a stray byte is written as the
      // code point of the same value, so the line stays valid JSON.
      size_t n = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
      if (n && i + n <= value.size() && valid_utf8(value.substr(i, n))) {
        out.append(value.substr(i, n));
        i += n;
      } else {
        escape(c);
        ++i;
      }
    }
  }
  out += '"';
}

LogFormat& format() {
  static LogFormat f = LogFormat::Logfmt;
  return f;
}

}  // namespace

void set_log_format(LogFormat f) { format() = f; }

std::string format_log_line(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (format() == LogFormat::Json) {
    std::string line = "{\"level\":\"";
    line += level_name(level);
    line += "\",\"event\":";
    append_json_string(line, event);
    for (const auto& f : fields) {
      line += ',';
      append_json_string(line, f.key);
      line += ':';
      append_json_string(line, f.value);
    }
    line += '}';
    return line;
  }
  std::string line = "level=";
  line += level_name(level);
  line += " event=";
  line += event;
  for (const auto& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    append_value(line, f.value);
  }
  return line;
}

static LogLevel& threshold() {
  static LogLevel t = LogLevel::Debug;
  return t;
}

void set_log_threshold(LogLevel level) { threshold() = level; }

namespace {

struct Batching {
  int depth = 0;        // LogBatch objects alive
  std::string pending;  // whole lines, each with its newline
};

Batching& batching() {
  static Batching b;
  return b;
}

// Whole lines, at most PIPE_BUF bytes in a write (unless one line is longer):
// a pipe takes such a write whole, so lines from other writers to the same
// pipe never land inside one of ours. A stream that refuses them loses them:
// there is nowhere else to say so.
void write_lines(std::string_view lines) {
  while (!lines.empty()) {
    ssize_t n = ::write(STDERR_FILENO, lines.data(), lines.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    lines.remove_prefix(size_t(n));
  }
}

}  // namespace

void log_event(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (level < threshold()) return;
  std::string line = format_log_line(level, event, fields);
  if (sink()) {
    sink()(line);
    return;
  }
  line += '\n';
  Batching& b = batching();
  if (b.depth == 0) return write_lines(line);
  if (b.pending.size() + line.size() > PIPE_BUF) {
    write_lines(b.pending);
    b.pending.clear();
  }
  b.pending += line;
}

LogBatch::LogBatch() { ++batching().depth; }

LogBatch::~LogBatch() {
  Batching& b = batching();
  if (--b.depth > 0 || b.pending.empty()) return;
  write_lines(b.pending);
  b.pending.clear();
}

void set_log_sink(std::function<void(const std::string&)> s) { sink() = std::move(s); }

}  // namespace autowg
