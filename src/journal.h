// The runtime directory of one interface (default /run/autowg): a lock that
// makes autowg the only writer of the interface's pool, and a small journal
// that lets names and `created` times survive a restart of the responder.
// Nothing here outlives a reboot; `autowg cleanup` clears it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fd.h"
#include "naming.h"
#include "result.h"
#include "wgkey.h"

namespace autowg {

struct JournalEntry {
  Name name;
  WgKey key;
  int64_t created = 0;
};

class Journal {
 public:
  // Creates the directory if needed and takes the interface's lock without
  // waiting. The error names the holder's pid when another autowg has it.
  static Result<Journal> open(const std::string& state_dir, const std::string& interface);

  Journal(Journal&&) = default;
  Journal& operator=(Journal&&) = default;

  using EntryVisitor = std::function<void(JournalEntry&&)>;
  // Every recorded registration, oldest first, streamed; a later line for a
  // name supersedes an earlier one. Unreadable lines are skipped and counted.
  void load(const EntryVisitor& visit, size_t* skipped = nullptr) const;
  std::vector<JournalEntry> load(size_t* skipped = nullptr) const;
  // One line, one write(2): a crash leaves whole lines behind.
  void append(const JournalEntry& entry);
  // Replaces the journal (write a new file, rename) with the entries that
  // `produce` hands to the writer it is given, in that order.
  using EntryWriter = std::function<void(const JournalEntry&)>;
  void rewrite(const std::function<void(const EntryWriter&)>& produce);
  void rewrite(const std::vector<JournalEntry>& entries);
  void clear();

  const std::string& path() const { return path_; }

 private:
  Journal(std::string path, Fd lock) : path_(std::move(path)), lock_(std::move(lock)) {}

  std::string path_;
  Fd lock_;  // flock'ed for as long as this Journal lives
};

// The journal's line format, exposed for tests.
std::string format_journal_line(const JournalEntry& entry);
Result<JournalEntry> parse_journal_line(std::string_view line);

}  // namespace autowg
