#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

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

TEST_CASE("journal lines round-trip any name a CN can give") {
  for (const char* name : {"1234", "smart-toilet-7", "a b", "x%y", "Gerät", "a=b", "#1"}) {
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

namespace {

const std::string kKey = testing::key_of(5).base64();

JournalEntry full_entry() {
  JournalEntry e{Name{"1234"}, testing::key_of(5), 1735689600};
  e.serial = "DEADBEEF0011";
  e.issuer = "CN=Ger\\C3\\A4t CA,O=Fleet\\, Inc.";
  e.not_after = 1798761599;
  return e;
}

bool bad_line(const std::string& line) { return !parse_journal_line(line); }

}  // namespace

TEST_CASE("journal lines carry the certificate's serial, notAfter and issuer when known") {
  JournalEntry e = full_entry();
  std::string line = format_journal_line(e);
  CHECK(
      line ==
      "register 1735689600 " + kKey +
          " 1234 serial=DEADBEEF0011 not_after=1798761599 issuer=CN%3DGer%5CC3%5CA4t%20CA%2CO%3DFleet%5C%2C%20Inc.\n");
  auto back = parse_journal_line(line.substr(0, line.size() - 1));
  REQUIRE(back);
  CHECK(back->name == e.name);
  CHECK(back->key == e.key);
  CHECK(back->created == e.created);
  CHECK(back->serial == e.serial);
  CHECK(back->issuer == e.issuer);
  CHECK(back->not_after == e.not_after);
  // Each written only when known.
  e.issuer.clear();
  e.not_after = 0;
  CHECK(format_journal_line(e) == "register 1735689600 " + kKey + " 1234 serial=DEADBEEF0011\n");
  e.serial = "-5";
  e.not_after = -631152000;
  line = format_journal_line(e);
  back = parse_journal_line(line.substr(0, line.size() - 1));
  REQUIRE(back);
  CHECK(back->serial == "-5");
  CHECK(back->not_after == -631152000);
}

TEST_CASE("old four-field journal lines still load, unknown fields are ignored") {
  auto old = parse_journal_line("register 1735689600 " + kKey + " 1234");
  REQUIRE(old);
  CHECK(old->name.value == "1234");
  CHECK(old->serial.empty());
  CHECK(old->issuer.empty());
  CHECK(old->not_after == 0);
  auto newer = parse_journal_line("register 1 " + kKey + " 1234 colour=blue serial=0123 flag =x revoked=");
  REQUIRE(newer);
  CHECK(newer->serial == "123");
  // The fields may come in any order.
  auto any_order = parse_journal_line("register 1 " + kKey + " 1234 issuer=CN%3DA not_after=5 serial=ff");
  REQUIRE(any_order);
  CHECK(any_order->issuer == "CN=A");
  CHECK(any_order->not_after == 5);
  CHECK(any_order->serial == "FF");
}

TEST_CASE("a malformed known field makes the journal line bad") {
  std::string base = "register 1 " + kKey + " 1234";
  for (const char* field : {" serial=", " serial=xyz", " serial=0x12", " serial=12%20",
                            " serial="
                            "-",
                            " not_after=", " not_after=soon", " not_after=1.5", " not_after=99999999999999999999",
                            " issuer=", " issuer=%zz", " issuer=%FF", " issuer=a%0Ab", " serial=1 serial=2",
                            " not_after=1 not_after=1", " issuer=a issuer=a", "  serial=1"})
    CHECK(bad_line(base + field));
  CHECK(bad_line(base + " serial=" + std::string(65, 'F')));
  CHECK(bad_line(base + " issuer=" + std::string(4097, 'x')));
  CHECK_FALSE(bad_line(base + " issuer=" + std::string(4096, 'x')));
}

TEST_CASE("journal names are checked again at load") {
  std::string base = "register 1 " + kKey + " ";
  CHECK_FALSE(bad_line(base + "Ger%C3%A4t"));
  CHECK(bad_line(base + "%FF"));         // a raw 0xFF
  CHECK(bad_line(base + "Ger%C3"));      // cut UTF-8
  CHECK(bad_line(base + "new%0Aline"));  // a control character
  CHECK(bad_line(base + "x%7F"));
  CHECK(bad_line(base + "%00"));
  CHECK(bad_line(base + std::string(1025, 'x')));
  CHECK_FALSE(bad_line(base + std::string(1024, 'x')));
}

namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// A file outside the state directory that a planted link points at.
struct Target {
  fs::path path;
  explicit Target(const fs::path& dir) : path(dir / "precious") {
    std::ofstream(path) << "precious\n";
    fs::permissions(path, fs::perms(0600));
  }
  bool untouched() const { return read_text(path) == "precious\n" && mode_of(path) == 0600; }
};

}  // namespace

TEST_CASE("a symbolic link in place of a state file is refused, never followed") {
  auto base = temp_dir("links");
  fs::create_directories(base / "elsewhere");
  Target target(base / "elsewhere");
  for (const char* file : {"wg0.lock", "wg0.journal", "wg0.journal.new"}) {
    auto dir = base / "state";
    fs::create_directories(dir);
    fs::create_symlink(target.path, dir / file);
    auto j = Journal::open(dir.string(), "wg0");
    REQUIRE_FALSE(j);
    CHECK(j.error().find((dir / file).string() + " is a symbolic link") != std::string::npos);
    CHECK(target.untouched());
    fs::remove_all(dir);
  }
  // Planted after the journal was opened: each use refuses it.
  auto dir = base / "state";
  auto j = Journal::open(dir.string(), "wg0");
  REQUIRE(j);
  fs::create_symlink(target.path, dir / "wg0.journal");
  CHECK_THROWS_WITH(j->append({Name{"1"}, testing::key_of(1), 10}), Catch::Contains("symbolic link"));
  CHECK_THROWS_WITH(j->load(), Catch::Contains("symbolic link"));
  fs::remove(dir / "wg0.journal");
  fs::create_symlink(target.path, dir / "wg0.journal.new");
  CHECK_THROWS_WITH(j->rewrite({{Name{"1"}, testing::key_of(1), 10}}), Catch::Contains("symbolic link"));
  CHECK(target.untouched());
  // Anything but a file is refused too.
  fs::create_directory(dir / "wg1.journal");
  CHECK(Journal::open(dir.string(), "wg1").error().find("not a regular file") != std::string::npos);
  fs::remove_all(base);
}

TEST_CASE("state files are created 0640 whatever the umask") {
  auto base = temp_dir("modes");
  for (mode_t mask : {mode_t(0), mode_t(077)}) {
    mode_t old = umask(mask);
    auto dir = base / std::to_string(mask);
    {
      auto j = Journal::open(dir.string(), "wg0");
      REQUIRE(j);
      j->append({Name{"1"}, testing::key_of(1), 10});
      CHECK(mode_of(dir / "wg0.lock") == 0640);
      CHECK(mode_of(dir / "wg0.journal") == 0640);
      j->rewrite({{Name{"2"}, testing::key_of(2), 20}});
      CHECK(mode_of(dir / "wg0.journal") == 0640);
      CHECK(j->load().size() == 1);
    }
    umask(old);
  }
  fs::remove_all(base);
}

TEST_CASE("a state directory that others may write is refused") {
  auto dir = temp_dir("dirmode");
  fs::create_directories(dir);
  for (mode_t mode : {0770, 0757, 01777, 0722}) {
    REQUIRE(chmod(dir.c_str(), mode) == 0);
    auto j = Journal::open(dir.string(), "wg0");
    REQUIRE_FALSE(j);
    CHECK(j.error().find("is writable by its group or others; `chmod go-w " + dir.string() + "`") != std::string::npos);
  }
  for (mode_t mode : {0755, 0700, 0750}) {
    REQUIRE(chmod(dir.c_str(), mode) == 0);
    CHECK(Journal::open(dir.string(), "wg0"));
  }
  if (geteuid() == 0) {  // another owner than autowg's user or root
    REQUIRE(chown(dir.c_str(), 65534, 65534) == 0);
    auto j = Journal::open(dir.string(), "wg0");
    REQUIRE_FALSE(j);
    CHECK(j.error().find("belongs to uid 65534") != std::string::npos);
    CHECK(j.error().find("chown 0 ") != std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("an over-long journal line is skipped in bounded memory; the others load") {
  auto dir = temp_dir("longline");
  auto j = Journal::open(dir.string(), "wg0");
  REQUIRE(j);
  j->append({Name{"1"}, testing::key_of(1), 10});
  {
    std::ofstream out(j->path(), std::ios::app);
    std::string block(1 << 20, 'x');
    out << "register 20 ";
    for (int i = 0; i < 50; ++i) out << block;  // 50 MiB in one line
    out << "\n";
  }
  j->append({Name{"3"}, testing::key_of(3), 30});
  std::ofstream(j->path(), std::ios::app) << "register 40 " << std::string(1 << 20, 'y');  // no newline at the end
  struct rusage before {};
  getrusage(RUSAGE_SELF, &before);
  size_t skipped = 0;
  auto entries = j->load(&skipped);
  struct rusage after {};
  getrusage(RUSAGE_SELF, &after);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].name.value == "1");
  CHECK(entries[1].name.value == "3");
  CHECK(skipped == 2);
  CHECK(after.ru_maxrss - before.ru_maxrss < 16 * 1024);  // KiB
  fs::remove_all(dir);
}

TEST_CASE("an eviction is one line, and a later line for the name supersedes it") {
  auto removal = JournalEntry::eviction(Name{"a b"});
  CHECK(format_journal_line(removal) == "evict a%20b\n");
  auto parsed = parse_journal_line("evict a%20b");
  REQUIRE(parsed);
  CHECK(parsed->removed);
  CHECK(parsed->name.value == "a b");
  CHECK_FALSE(parse_journal_line("evict"));
  CHECK_FALSE(parse_journal_line("evict a b"));
  CHECK_FALSE(parse_journal_line("evict %ff"));
}
