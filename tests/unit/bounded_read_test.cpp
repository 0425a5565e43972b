#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "bounded_read.h"
#include "fd.h"
#include "pki_fixture.h"

using namespace autowg;
using testing::TempFiles;

namespace {

// Every line as "L:text" or "TooLong", read with a small line cap and chunk.
std::vector<std::string> lines_of(const std::string& path, size_t max_line, size_t chunk) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd);
  LineReader reader(fd.get(), max_line, chunk);
  std::vector<std::string> out;
  std::string line;
  for (;;) {
    auto status = reader.next(line);
    REQUIRE(status);
    if (*status == LineReader::Status::End) return out;
    out.push_back(*status == LineReader::Status::Line ? "L:" + line : "TooLong");
    CHECK(reader.line_number() == out.size());
  }
}

}  // namespace

TEST_CASE("lines are split on newlines; a last line without one counts") {
  TempFiles files;
  for (size_t chunk : {1, 3, 64}) {
    CHECK(lines_of(files.write("f", "a\nbb\n\nccc"), 8, chunk) ==
          std::vector<std::string>{"L:a", "L:bb", "L:", "L:ccc"});
    CHECK(lines_of(files.write("f", "a\n"), 8, chunk) == std::vector<std::string>{"L:a"});
    CHECK(lines_of(files.write("f", ""), 8, chunk).empty());
    CHECK(lines_of(files.write("f", "\n\n"), 8, chunk) == std::vector<std::string>{"L:", "L:"});
  }
}

TEST_CASE("a line over the cap is skipped whole, whatever the chunk size") {
  TempFiles files;
  for (size_t chunk : {1, 3, 5, 64}) {
    CHECK(lines_of(files.write("f", "12345678\n123456789\nok\n" + std::string(100, 'x') + "\nend"), 8, chunk) ==
          std::vector<std::string>{"L:12345678", "TooLong", "L:ok", "TooLong", "L:end"});
    CHECK(lines_of(files.write("f", "ok\n" + std::string(100, 'x')), 8, chunk) ==
          std::vector<std::string>{"L:ok", "TooLong"});
  }
}

TEST_CASE("an endless line never grows the reader's buffer") {
  TempFiles files;
  std::string path = files.write("huge", "first\n");
  {
    std::ofstream out(path, std::ios::app);
    std::string block(1 << 20, 'x');
    for (int i = 0; i < 20; ++i) out << block;  // 20 MiB without a newline
    out << "\nlast\n";
  }
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  LineReader reader(fd.get(), 8192, 4096);
  std::string line;
  CHECK(*reader.next(line) == LineReader::Status::Line);
  CHECK(*reader.next(line) == LineReader::Status::TooLong);
  CHECK(line.size() < 8192);
  CHECK(*reader.next(line) == LineReader::Status::Line);
  CHECK(line == "last");
  CHECK(*reader.next(line) == LineReader::Status::End);
  CHECK(reader.buffer_size() == 8192 + 4096);
  CHECK(reader.bytes_read() == std::filesystem::file_size(path));
}

TEST_CASE("whole files are read up to a limit") {
  TempFiles files;
  CHECK(*read_file_bounded(files.write("f", "abc"), 3) == "abc");
  CHECK(*read_file_bounded(files.write("f", ""), 3) == "");
  CHECK(read_file_bounded(files.write("f", "abcd"), 3).error().find("larger than 3 bytes") != std::string::npos);
  CHECK(read_file_bounded(files.dir() + "/missing", 3).error().find("cannot open") != std::string::npos);
  // Not a regular file: the size is only known by reading.
  CHECK(read_file_bounded("/dev/zero", 1000).error().find("larger than") != std::string::npos);
}
