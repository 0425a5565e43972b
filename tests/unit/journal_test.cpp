#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "fake_backend.h"
#include "journal.h"

using namespace autowg;

namespace {

std::filesystem::path temp_dir(const char* tag) {
  return std::filesystem::temp_directory_path() / (std::string("autowg-") + tag + "-" + std::to_string(getpid()));
}

}  // namespace

TEST_CASE("journal lines round-trip any name") {
  for (const char* name : {"1234", "smart-toilet-7", "a b", "x%y", "Gerät", "new\nline"}) {
    JournalEntry e{Name{name}, testing::key_of(5), 1735689600};
    std::string line = format_journal_line(e);
    CHECK(line.back() == '\n');
    CHECK(std::count(line.begin(), line.end(), '\n') == 1);
    auto back = parse_journal_line(line.substr(0, line.size() - 1));
    REQUIRE(back);
    CHECK(back->name.value == name);
    CHECK(back->key == e.key);
    CHECK(back->created == e.created);
  }
  for (const char* bad : {"", "register", "register x KEY name", "register 1 notakey name",
                          "register 1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE= %zz",
                          "register 1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE= %4"})
    CHECK_FALSE(parse_journal_line(bad));
}

TEST_CASE("a second autowg on the same interface is refused with the holder's pid") {
  auto dir = temp_dir("lock");
  {
    auto first = Journal::open((dir / "nested").string(), "wg0");
    REQUIRE(first);
    auto second = Journal::open((dir / "nested").string(), "wg0");
    REQUIRE_FALSE(second);
    CHECK(second.error().find("pid " + std::to_string(getpid())) != std::string::npos);
    CHECK(Journal::open((dir / "nested").string(), "wg1"));
  }
  CHECK(Journal::open((dir / "nested").string(), "wg0"));  // released with its owner
  std::filesystem::remove_all(dir);
}

TEST_CASE("journal append, load with a damaged line, rewrite and clear") {
  auto dir = temp_dir("journal");
  auto j = Journal::open(dir.string(), "wg0");
  REQUIRE(j);
  j->append({Name{"1"}, testing::key_of(1), 10});
  j->append({Name{"2"}, testing::key_of(2), 20});
  std::ofstream(j->path(), std::ios::app) << "register 30 garbage\n";
  size_t skipped = 0;
  auto entries = j->load(&skipped);
  CHECK(entries.size() == 2);
  CHECK(skipped == 1);
  j->rewrite({entries[1]});
  entries = j->load(&skipped);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].name.value == "2");
  CHECK(skipped == 0);
  j->clear();
  CHECK(j->load().empty());
  CHECK_FALSE(std::filesystem::exists(j->path()));
  std::filesystem::remove_all(dir);
}
