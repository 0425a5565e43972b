// One line per event on stderr, for spawn-fcgi and journald, in logfmt:
//   level=info event=register name=1234 ip=fde3::1234 key=aqIUKESX
// or, for log shippers, as JSON lines with the same fields (all strings):
//   {"level":"info","event":"register","name":"1234",...}
// Values are quoted and escaped as each format needs; control characters
// always are, so that no value (a CN) can forge a second line. Secrets never
// reach this.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

namespace autowg {

enum class LogLevel { Debug, Info, Warning, Error };
enum class LogFormat { Logfmt, Json };

void set_log_format(LogFormat format);

struct LogField {
  std::string_view key;
  std::string value;
};

void log_event(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});

// The formatted line without the newline (what log_event writes).
std::string format_log_line(LogLevel level, std::string_view event, std::initializer_list<LogField> fields);

// Lines below `level` are not written (default: every line).
void set_log_threshold(LogLevel level);

// Tests capture log lines; nullptr restores stderr.
void set_log_sink(std::function<void(const std::string&)> sink);

// While one is alive, the lines logged go out together when it ends: one
// write per PIPE_BUF bytes of whole lines instead of one per line. The
// responder holds one while it answers the requests of one round, so a line
// waits no longer than that round's work, and is written before the answers.
class LogBatch {
 public:
  LogBatch();
  ~LogBatch();
  LogBatch(const LogBatch&) = delete;
  LogBatch& operator=(const LogBatch&) = delete;
};

}  // namespace autowg
