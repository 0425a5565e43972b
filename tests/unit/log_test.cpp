#include <catch2/catch.hpp>

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
