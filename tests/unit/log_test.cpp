#include <limits.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "log.h"

using namespace autowg;

TEST_CASE("log lines are logfmt with quoted, escaped values") {
  CHECK(format_log_line(LogLevel::Info, "register", {{"name", "1234"}, {"ip", "fd00::1"}}) ==
        "level=info event=register name=1234 ip=fd00::1");
  CHECK(format_log_line(LogLevel::Warning, "refuse", {{"reason", "bad key"}, {"name", ""}}) ==
        "level=warning event=refuse reason=\"bad key\" name=\"\"");
  CHECK(format_log_line(LogLevel::Error, "x", {{"cn", "a\"b\\c\nd=e"}}) ==
        "level=error event=x cn=\"a\\\"b\\\\c\\x0ad=e\"");
}

TEST_CASE("the log sink receives whole lines") {
  std::vector<std::string> lines;
  set_log_sink([&](const std::string& l) { lines.push_back(l); });
  log_event(LogLevel::Debug, "test", {{"k", "v"}});
  set_log_sink(nullptr);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "level=debug event=test k=v");
}

TEST_CASE("a value cannot forge a second logfmt line") {
  std::string cn = "1234\nlevel=info event=register status=200 name=9999\x1b[2J\"";
  std::string line = format_log_line(LogLevel::Warning, "register", {{"name", cn}});
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.find('\x1b') == std::string::npos);
  CHECK(line == "level=warning event=register name=\"1234\\x0alevel=info event=register status=200 name=9999"
                "\\x1b[2J\\\"\"");
}

TEST_CASE("--log-format json: the same fields as one JSON object per line") {
  set_log_format(LogFormat::Json);
  std::string cn = "1234\nx\"y\x1b[31m\xff\xc3\xa4";
  std::string line = format_log_line(LogLevel::Info, "register", {{"status", "200"}, {"name", cn}});
  set_log_format(LogFormat::Logfmt);
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line == "{\"level\":\"info\",\"event\":\"register\",\"status\":\"200\","
                "\"name\":\"1234\\u000ax\\\"y\\u001b[31m\\u00ff\xc3\xa4\"}");
}

namespace {
// stderr as one end of a SOCK_SEQPACKET pair for as long as it lives: each
// write(2) to stderr arrives as one message.
class StderrCapture {
 public:
  StderrCapture() {
    REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds_) == 0);
    saved_ = dup(STDERR_FILENO);
    REQUIRE(saved_ >= 0);
    REQUIRE(dup2(fds_[0], STDERR_FILENO) == STDERR_FILENO);
  }
  ~StderrCapture() {
    dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  // The writes made so far, one string each.
  std::vector<std::string> writes() {
    std::vector<std::string> out;
    std::string buffer(64 * 1024, '\0');
    for (;;) {
      ssize_t n = recv(fds_[1], buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n <= 0) return out;
      out.emplace_back(buffer.data(), size_t(n));
    }
  }

 private:
  int fds_[2];
  int saved_ = -1;
};
}  // namespace

TEST_CASE("a log batch writes its lines together when it ends, whole lines within PIPE_BUF") {
  StderrCapture capture;
  log_event(LogLevel::Info, "alone");
  CHECK(capture.writes() == std::vector<std::string>{"level=info event=alone\n"});
  {
    LogBatch batch;
    log_event(LogLevel::Info, "first", {{"n", "1"}});
    {
      LogBatch nested;
      log_event(LogLevel::Info, "second", {{"n", "2"}});
    }
    CHECK(capture.writes().empty());  // the inner batch's end writes nothing yet
  }
  CHECK(capture.writes() == std::vector<std::string>{"level=info event=first n=1\nlevel=info event=second n=2\n"});

  // 60 lines of 100 bytes: several writes, none over PIPE_BUF, none cutting
  // a line, together every line in order.
  std::string filler(100 - std::string("level=info event=x n=00 v=\n").size(), 'a');
  std::string expected;
  {
    LogBatch batch;
    for (int i = 10; i < 70; ++i) {
      log_event(LogLevel::Info, "x", {{"n", std::to_string(i)}, {"v", filler}});
      expected += "level=info event=x n=" + std::to_string(i) + " v=" + filler + "\n";
    }
  }
  auto writes = capture.writes();
  CHECK(writes.size() == (6000 + PIPE_BUF - 1) / PIPE_BUF);
  std::string joined;
  for (const auto& w : writes) {
    CHECK(w.size() <= PIPE_BUF);
    CHECK(w.size() % 100 == 0);
    joined += w;
  }
  CHECK(joined == expected);
}
