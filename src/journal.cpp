#include "journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "bounded_read.h"
#include "cert_params.h"
#include "text.h"

namespace autowg {
namespace {

constexpr mode_t kFileMode = 0640;

std::string system_error(const std::string& what, const std::string& path) { return with_errno(what + " " + path); }

// What a name or issuer must be to be used: as checked_cn wants a CN.
bool valid_text(const std::string& text, size_t max_length) {
  return text.size() <= max_length && checked_cn(text).ok();
}

bool make_directory(const std::string& dir) {
  if (mkdir(dir.c_str(), 0750) == 0 || errno == EEXIST) return true;
  if (errno != ENOENT) return false;
  auto slash = dir.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return false;
  return make_directory(dir.substr(0, slash)) && (mkdir(dir.c_str(), 0750) == 0 || errno == EEXIST);
}

// Only autowg's user (or root) may create, replace or remove files here.
Result<bool> check_state_dir(const std::string& dir) {
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) return fail(system_error("cannot stat state directory", dir));
  if (!S_ISDIR(st.st_mode)) return fail("state directory " + dir + " is not a directory");
  uid_t me = geteuid();
  if (st.st_uid != me && st.st_uid != 0)
    return fail("state directory " + dir + " belongs to uid " + std::to_string(st.st_uid) + ", not to autowg's uid " +
                std::to_string(me) + " or root; run autowg as its owner, or `chown " + std::to_string(me) + " " + dir +
                "`");
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    char mode[8];
    snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
    return fail("state directory " + dir + " (mode " + mode + ") is writable by its group or others; `chmod go-w " +
                dir + "`");
  }
  return true;
}

std::string symlink_refusal(const std::string& path) {
  return path + " is a symbolic link; autowg does not follow links in its state directory (remove it)";
}

// A file of the state directory that is there must be a plain file.
Result<bool> check_state_file(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return true;
    return fail(system_error("cannot stat", path));
  }
  if (S_ISLNK(st.st_mode)) return fail(symlink_refusal(path));
  if (!S_ISREG(st.st_mode)) return fail(path + " is not a regular file (remove it)");
  return true;
}

// Opens a state file without following a link; a file it creates gets
// kFileMode whatever the umask.
Result<Fd> open_state_file(const std::string& path, int flags, const char* what) {
  Fd fd(::open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, kFileMode));
  if (!fd) {
    if (errno == ELOOP) return fail(symlink_refusal(path));
    return fail(system_error(std::string("cannot open ") + what, path));
  }
  if ((flags & O_CREAT) && fchmod(fd.get(), kFileMode) != 0) return fail(system_error("cannot chmod", path));
  return fd;
}

// False with errno set. A short write (a disk with room for part of it) is
// followed by another, which says why the rest does not fit (ENOSPC, EFBIG).
bool write_all(int fd, std::string_view data, size_t* written = nullptr) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) {
      errno = EIO;
      return false;
    }
    data.remove_prefix(size_t(n));
    if (written) *written += size_t(n);
  }
  return true;
}

std::string read_pid(int fd) {
  char buf[32] = {};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  std::string pid(buf, n > 0 ? size_t(n) : 0);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? "unknown" : pid;
}

// One trailing key=value field into `entry`; false when it is malformed.
// Unknown keys (and fields without '=') are left for later versions.
bool parse_extra_field(std::string_view field, JournalEntry& entry, unsigned& seen) {
  auto eq = field.find('=');
  if (field.empty()) return false;
  if (eq == std::string_view::npos) return true;
  std::string_view key = field.substr(0, eq), value = field.substr(eq + 1);
  unsigned bit = key == "serial" ? 1 : key == "not_after" ? 2 : key == "issuer" ? 4 : 0;
  if (bit == 0) return true;
  if (seen & bit) return false;
  seen |= bit;
  if (bit == 1) {
    auto serial = normalise_serial(value);
    if (!serial || value.find_first_of(kBlanks) != std::string_view::npos) return false;
    entry.serial = std::move(*serial);
  } else if (bit == 2) {
    auto seconds = parse_number<int64_t>(value);
    if (!seconds) return false;
    entry.not_after = *seconds;
  } else {
    auto issuer = percent_decode(value);
    if (!issuer || !valid_text(*issuer, kMaxIssuerText)) return false;
    entry.issuer = std::move(*issuer);
  }
  return true;
}

}  // namespace

// Names and issuers may hold any byte: %-encoded, a line always splits on
// blanks.
std::string format_journal_line(const JournalEntry& entry) {
  if (entry.removed) return "evict " + percent_encode(entry.name.value) + "\n";
  std::string line =
      "register " + std::to_string(entry.created) + " " + entry.key.base64() + " " + percent_encode(entry.name.value);
  if (!entry.serial.empty()) line += " serial=" + percent_encode(entry.serial);
  if (entry.not_after != 0) line += " not_after=" + std::to_string(entry.not_after);
  if (!entry.issuer.empty()) line += " issuer=" + percent_encode(entry.issuer);
  return line + "\n";
}

Result<JournalEntry> parse_journal_line(std::string_view line) {
  std::vector<std::string_view> fields;
  while (!line.empty()) {
    auto space = line.find(' ');
    fields.push_back(line.substr(0, space));
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
  }
  if (fields.size() == 2 && fields[0] == "evict") {
    auto name = percent_decode(fields[1]);
    if (!name || !valid_text(*name, kMaxJournalName)) return fail("bad name");
    return JournalEntry::eviction(Name{std::move(*name)});
  }
  JournalEntry entry;
  if (fields.size() < 4 || fields[0] != "register") return fail("not a journal line");
  auto created = parse_number<int64_t>(fields[1]);
  if (!created) return fail("bad time");
  entry.created = *created;
  auto key = WgKey::parse(fields[2]);
  if (!key) return fail("bad key");
  entry.key = *key;
  // Re-checked as at registration: the file may have been edited.
  auto name = percent_decode(fields[3]);
  if (!name || !valid_text(*name, kMaxJournalName)) return fail("bad name");
  entry.name = Name{*name};
  unsigned seen = 0;
  for (size_t i = 4; i < fields.size(); ++i)
    if (!parse_extra_field(fields[i], entry, seen))
      return fail("bad field '" + std::string(fields[i].substr(0, 64)) + "'");
  return entry;
}

Result<Journal> Journal::open(const std::string& state_dir, const std::string& interface) {
  if (!make_directory(state_dir)) return fail(system_error("cannot create state directory", state_dir));
  if (auto dir = check_state_dir(state_dir); !dir) return fail(dir.error());
  std::string path = state_dir + "/" + interface + ".journal";
  for (const auto& file : {path, path + ".new"})
    if (auto checked = check_state_file(file); !checked) return fail(checked.error());

  std::string lock_path = state_dir + "/" + interface + ".lock";
  auto lock = open_state_file(lock_path, O_RDWR | O_CREAT, "lock");
  if (!lock) return fail(lock.error());
  if (flock(lock->get(), LOCK_EX | LOCK_NB) != 0)
    return fail("another autowg (pid " + read_pid(lock->get()) + ") already manages " + interface + " (lock " +
                lock_path + ")");
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(lock->get(), 0) != 0 || pwrite(lock->get(), pid.data(), pid.size(), 0) != ssize_t(pid.size()))
    return fail(system_error("cannot write lock", lock_path));
  return Journal(path, std::move(*lock));
}

void Journal::load(const EntryVisitor& visit, size_t* skipped) const {
  size_t bad = 0;
  if (skipped) *skipped = 0;
  Fd fd(::open(path_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd && errno == ENOENT) return;
  if (!fd)
    throw std::runtime_error(errno == ELOOP ? symlink_refusal(path_) : system_error("cannot open journal", path_));
  // In bounded chunks: an over-long line is skipped, never held.
  LineReader reader(fd.get(), kMaxJournalLine);
  std::string line;
  for (;;) {
    auto status = reader.next(line);
    if (!status) throw std::runtime_error("cannot read journal " + path_ + ": " + status.error());
    if (*status == LineReader::Status::End) break;
    auto entry = *status == LineReader::Status::Line ? parse_journal_line(line) : fail("too long");
    if (entry)
      visit(std::move(*entry));
    else
      ++bad;
  }
  if (skipped) *skipped = bad;
}

std::vector<JournalEntry> Journal::load(size_t* skipped) const {
  std::vector<JournalEntry> entries;
  load([&](JournalEntry&& e) { entries.push_back(std::move(e)); }, skipped);
  return entries;
}

void Journal::append(const JournalEntry& entry) { append(std::vector<JournalEntry>{entry}); }

void Journal::append(const std::vector<JournalEntry>& entries) {
  std::string lines;
  for (const auto& e : entries) lines += format_journal_line(e);
  if (!appender_) {
    auto fd = open_state_file(path_, O_WRONLY | O_CREAT | O_APPEND, "journal");
    if (!fd) throw std::runtime_error(fd.error());
    appender_ = std::move(*fd);
  }
  size_t written = 0;
  if (!write_all(appender_.get(), lines, &written)) {
    std::string error = system_error("cannot write journal", path_);
    // No half line: the next one would run into it. (Were it left, load()
    // would skip that one line as malformed.) Only autowg appends to its
    // journal (the instance lock), so the part written is the file's end.
    if (written > 0) {
      struct stat after {};
      if (fstat(appender_.get(), &after) != 0 || ftruncate(appender_.get(), after.st_size - off_t(written)) != 0)
        error += "; " + system_error("cannot cut off the partial line", path_);
    }
    appender_.reset();  // opened afresh next time (the disk may have room again)
    throw std::runtime_error(error);
  }
}

void Journal::rewrite(const std::vector<JournalEntry>& entries) {
  rewrite([&](const EntryWriter& write) {
    for (const auto& e : entries) write(e);
  });
}

void Journal::rewrite(const std::function<void(const EntryWriter&)>& produce) {
  std::string tmp = path_ + ".new";
  // A file left by a crash is removed; a link is refused, not followed.
  if (auto checked = check_state_file(tmp); !checked) throw std::runtime_error(checked.error());
  if (unlink(tmp.c_str()) != 0 && errno != ENOENT) throw std::runtime_error(system_error("cannot remove", tmp));
  auto fd = open_state_file(tmp, O_WRONLY | O_CREAT | O_EXCL, "journal");
  if (!fd) throw std::runtime_error(fd.error());
  std::string buffer;
  bool ok = true;
  produce([&](const JournalEntry& e) {
    buffer += format_journal_line(e);
    if (buffer.size() >= 64 * 1024) {
      ok = ok && write_all(fd->get(), buffer);
      buffer.clear();
    }
  });
  if (!ok || !write_all(fd->get(), buffer)) {
    std::string error = system_error("cannot write journal", tmp);
    unlink(tmp.c_str());
    throw std::runtime_error(error);
  }
  if (rename(tmp.c_str(), path_.c_str()) != 0) throw std::runtime_error(system_error("cannot replace journal", path_));
  appender_.reset();  // the old file is gone: append to the new one
}

void Journal::clear() {
  appender_.reset();
  if (unlink(path_.c_str()) != 0 && errno != ENOENT)
    throw std::runtime_error(system_error("cannot remove journal", path_));
}

}  // namespace autowg
