#include <catch2/catch.hpp>

#include <filesystem>

#include "deny_list.h"
#include "pki_fixture.h"

using namespace autowg;
using testing::TempFiles;

namespace {

std::string line_name(std::string_view line) {
  auto r = parse_deny_line(line);
  return r ? *r : "refused: " + r.error();
}

}  // namespace

TEST_CASE("deny list lines: comments, blanks and names") {
  CHECK(line_name("1234") == "1234");
  CHECK(line_name("  1234 \t\r") == "1234");
  CHECK(line_name("") == "");
  CHECK(line_name(" \t ") == "");
  CHECK(line_name("# stolen devices") == "");
  CHECK(line_name("   # indented comment") == "");
  CHECK(line_name("1234 # lost on 2026-11-02") == "1234");
  CHECK(line_name("1234\t#tab before the comment") == "1234");
  CHECK(line_name("dev#1") == "dev#1");  // not after a blank: part of the name
  CHECK(line_name("smart toilet 7 # inner blanks stay") == "smart toilet 7");
  CHECK(line_name("Ger\xc3\xa4t-7") == "Ger\xc3\xa4t-7");
  CHECK(line_name("a\xff").find("not valid UTF-8") != std::string::npos);
  CHECK(line_name("\xc3").find("not valid UTF-8") != std::string::npos);
  CHECK(line_name("a\x01"
                  "b")
            .find("control character") != std::string::npos);
  CHECK(line_name("a\rb").find("control character") != std::string::npos);
  CHECK(line_name("a\x7f").find("control character") != std::string::npos);
  CHECK(line_name(std::string(1024, 'x')) == std::string(1024, 'x'));
  CHECK(line_name(std::string(1025, 'x')).find("longer than 1024") != std::string::npos);
}

TEST_CASE("a deny list file denies its names exactly") {
  TempFiles files;
  auto list = DenyList::load(files.write("deny",
                                         "# devices turned away\n1234\n\n  smart-toilet-7  # stolen\r\n"
                                         "Ger\xc3\xa4t-7\n1234\nlast-without-newline"));
  REQUIRE(list);
  CHECK(list->size() == 4);
  CHECK(list->denied("1234"));
  CHECK(list->denied("smart-toilet-7"));
  CHECK(list->denied("Ger\xc3\xa4t-7"));
  CHECK(list->denied("last-without-newline"));
  CHECK_FALSE(list->denied("123"));
  CHECK_FALSE(list->denied("12345"));
  CHECK_FALSE(list->denied("SMART-TOILET-7"));
  CHECK_FALSE(list->denied(""));
  CHECK_FALSE(list->denied("# devices turned away"));

  auto empty = DenyList::load(files.write("empty", "# nobody yet\n\n"));
  REQUIRE(empty);
  CHECK(empty->size() == 0);
  CHECK_FALSE(DenyList().denied("1234"));
}

TEST_CASE("a bad deny list line fails the load with its number") {
  TempFiles files;
  auto error = [&](const std::string& content) {
    auto list = DenyList::load(files.write("deny", content));
    return list ? "loaded" : list.error();
  };
  CHECK(error("1234\n# comment\nbad\xff\n5678\n").find("line 3: the name is not valid UTF-8") != std::string::npos);
  CHECK(error("1234\nx\x1b[31m\n").find("line 2: the name holds a control character") != std::string::npos);
  CHECK(error("1\n2\n3\n4\n" + std::string(2000, 'x') + "\n").find("line 5: the name is longer") != std::string::npos);
  CHECK(error("1\n" + std::string(20000, '#') + "\n").find("line 2: longer than 16384 bytes") != std::string::npos);
  CHECK(error("1\n" + std::string(20000, 'x')).find("line 2: longer than") != std::string::npos);
  CHECK(error("").find("loaded") != std::string::npos);
  auto missing = DenyList::load(files.dir() + "/missing");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find("cannot open deny list") != std::string::npos);
  std::string large = files.write("large", "");
  std::filesystem::resize_file(large, DenyList::kMaxFileSize + 1);
  CHECK(DenyList::load(large).error().find("larger than") != std::string::npos);
}
