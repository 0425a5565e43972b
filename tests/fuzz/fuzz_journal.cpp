// The journal (src/journal.h): parse_journal_line on any line, and
// Journal::load on a file holding the input. An accepted line is an entry
// that formats to one line and parses back to itself; load() gives exactly
// the lines that parse, in order, and counts the others; a rewrite of what
// was loaded loads back the same.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "journal.h"

using namespace autowg;

namespace {

bool same(const JournalEntry& a, const JournalEntry& b) {
  return a.name == b.name && a.key == b.key && a.created == b.created && a.serial == b.serial &&
         a.issuer == b.issuer && a.not_after == b.not_after && a.removed == b.removed;
}

std::string describe(const JournalEntry& e) { return fuzz::printable(format_journal_line(e)); }

void check_entry(const JournalEntry& entry) {
  FUZZ_CHECK(!entry.name.value.empty());
  // "evict NAME" carries a name only; "register ..." a valid key.
  FUZZ_CHECK(entry.removed == entry.key.is_zero());
  if (entry.removed) FUZZ_CHECK(entry.created == 0 && entry.serial.empty() && entry.issuer.empty());
  std::string line = format_journal_line(entry);
  FUZZ_CHECK(!line.empty() && line.back() == '\n' && line.find('\n') == line.size() - 1, describe(entry));
  auto back = parse_journal_line(std::string_view(line).substr(0, line.size() - 1));
  FUZZ_CHECK(back && same(*back, entry), describe(entry));
}

std::filesystem::path state_dir;

void remove_state_dir() {
  std::error_code ignored;
  std::filesystem::remove_all(state_dir, ignored);
}

Journal& journal() {
  static Journal* journal = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "autowg-fuzz-journal.XXXXXX").string();
    if (!mkdtemp(tmpl.data())) fuzz::violated("mkdtemp", __FILE__, __LINE__, tmpl);
    state_dir = tmpl;
    std::atexit(remove_state_dir);
    auto opened = Journal::open(tmpl, "wg0");
    if (!opened) fuzz::violated("the journal opens", __FILE__, __LINE__, opened.error());
    return new Journal(std::move(*opened));
  }();
  return *journal;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = fuzz::as_text(data, size);
  if (auto entry = parse_journal_line(input)) check_entry(*entry);

  // What load() must find: std::getline's lines (a last line without '\n'
  // counts, nothing after a final '\n' does).
  std::vector<JournalEntry> expected;
  size_t expected_skipped = 0;
  for (std::string_view rest = input; !rest.empty();) {
    auto newline = rest.find('\n');
    auto line = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    if (auto entry = parse_journal_line(line))
      expected.push_back(*entry);
    else
      ++expected_skipped;
  }

  Journal& j = journal();
  {
    std::ofstream out(j.path(), std::ios::binary | std::ios::trunc);
    out.write(input.data(), std::streamsize(input.size()));
  }
  size_t skipped = 0;
  auto loaded = j.load(&skipped);
  FUZZ_CHECK(skipped == expected_skipped, std::to_string(skipped) + " != " + std::to_string(expected_skipped));
  FUZZ_CHECK(loaded.size() == expected.size());
  for (size_t i = 0; i < loaded.size(); ++i) {
    FUZZ_CHECK(same(loaded[i], expected[i]), describe(loaded[i]));
    check_entry(loaded[i]);
  }

  j.rewrite(loaded);
  auto reloaded = j.load(&skipped);
  FUZZ_CHECK(skipped == 0 && reloaded.size() == loaded.size());
  for (size_t i = 0; i < loaded.size(); ++i) FUZZ_CHECK(same(reloaded[i], loaded[i]), describe(loaded[i]));
  j.clear();
  return 0;
}
