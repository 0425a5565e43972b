#include "log.h"

#include <unistd.h>

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

}  // namespace

std::string format_log_line(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
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

void log_event(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (level < threshold()) return;
  std::string line = format_log_line(level, event, fields);
  if (sink()) {
    sink()(line);
    return;
  }
  line += '\n';
  // One write per line, so lines from concurrent writers do not interleave.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

void set_log_sink(std::function<void(const std::string&)> s) { sink() = std::move(s); }

}  // namespace autowg
