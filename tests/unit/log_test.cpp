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
