// The runtime directory of one interface (default /run/autowg): a lock that
// makes autowg the only writer of the interface's pool, and a small journal
// that lets names and `created` times survive a restart of the responder.
// Nothing here outlives a reboot; `autowg cleanup` clears it.
//
// The directory must be writable by autowg's user (or root) alone, and no
// file in it is followed through a symbolic link: whoever could plant one
// could make autowg overwrite another file.
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
  // Of the device's certificate, when known (empty, 0: unknown).
  std::string serial{};   // canonical (cert_params.h)
  std::string issuer{};   // RFC 2253
  int64_t not_after = 0;  // Unix seconds
  // A device whose peer was taken off (an eviction): "evict NAME". Later
  // lines supersede earlier ones, so a removal costs one line, not a rewrite.
  bool removed = false;

  static JournalEntry eviction(Name name) {
    JournalEntry entry;
    entry.name = std::move(name);
    entry.removed = true;
    return entry;
  }
};

// Lines longer than this are skipped at load, unread; names longer than
// kMaxJournalName (or not UTF-8, or with control characters) too.
constexpr size_t kMaxJournalLine = 16 * 1024;
constexpr size_t kMaxJournalName = 1024;

class Journal {
 public:
  // Creates the directory if needed and takes the interface's lock without
  // waiting. The error names the holder's pid when another autowg has it.
  // Refused: a directory that another user than autowg's (or root) owns or
  // that its group or others may write, and a symbolic link (or anything
  // but a file) in place of the lock, the journal or its `.new` file.
  static Result<Journal> open(const std::string& state_dir, const std::string& interface);

  Journal(Journal&&) = default;
  Journal& operator=(Journal&&) = default;

  using EntryVisitor = std::function<void(JournalEntry&&)>;
  // Every recorded registration, oldest first, streamed; a later line for a
  // name supersedes an earlier one. Unreadable lines are skipped and counted.
  // Throws when the journal exists but cannot be read.
  void load(const EntryVisitor& visit, size_t* skipped = nullptr) const;
  std::vector<JournalEntry> load(size_t* skipped = nullptr) const;
  // One line, one write(2): a crash leaves whole lines behind.
  void append(const JournalEntry& entry);
  // Several lines (a group commit), in one write(2).
  void append(const std::vector<JournalEntry>& entries);
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
  Fd lock_;      // flock'ed for as long as this Journal lives
  Fd appender_;  // the journal opened for appending, kept open until it is replaced
};

// The journal's line format, exposed for tests:
//   register CREATED KEY NAME [serial=HEX] [not_after=SECONDS] [issuer=ISSUER]
// NAME and ISSUER %-escaped. Unknown trailing fields are ignored; a
// malformed known one makes the line bad.
std::string format_journal_line(const JournalEntry& entry);
Result<JournalEntry> parse_journal_line(std::string_view line);

}  // namespace autowg
