#include "journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "text.h"

namespace autowg {
namespace {

std::string system_error(const std::string& what, const std::string& path) { return with_errno(what + " " + path); }

// Names may hold any byte the --cn-pattern lets through; escape all but a
// plain set so a line always splits on blanks.
std::string escape_name(const std::string& name) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : name) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                 c == '.' || c == '_';
    if (plain) {
      out += char(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

bool make_directory(const std::string& dir) {
  if (mkdir(dir.c_str(), 0750) == 0 || errno == EEXIST) return true;
  if (errno != ENOENT) return false;
  auto slash = dir.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return false;
  return make_directory(dir.substr(0, slash)) && (mkdir(dir.c_str(), 0750) == 0 || errno == EEXIST);
}

std::string read_pid(int fd) {
  char buf[32] = {};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  std::string pid(buf, n > 0 ? size_t(n) : 0);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? "unknown" : pid;
}

}  // namespace

std::string format_journal_line(const JournalEntry& entry) {
  return "register " + std::to_string(entry.created) + " " + entry.key.base64() + " " + escape_name(entry.name.value) +
         "\n";
}

Result<JournalEntry> parse_journal_line(std::string_view line) {
  std::vector<std::string_view> fields;
  while (!line.empty()) {
    auto space = line.find(' ');
    fields.push_back(line.substr(0, space));
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
  }
  if (fields.size() != 4 || fields[0] != "register") return fail("not a journal line");
  JournalEntry entry;
  auto created = parse_number<int64_t>(fields[1]);
  if (!created) return fail("bad time");
  entry.created = *created;
  auto key = WgKey::parse(fields[2]);
  if (!key) return fail("bad key");
  entry.key = *key;
  auto name = percent_decode(fields[3]);
  if (!name || name->empty()) return fail("bad name");
  entry.name = Name{*name};
  return entry;
}

Result<Journal> Journal::open(const std::string& state_dir, const std::string& interface) {
  if (!make_directory(state_dir)) return fail(system_error("cannot create state directory", state_dir));
  std::string lock_path = state_dir + "/" + interface + ".lock";
  Fd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640));
  if (!lock) return fail(system_error("cannot open lock", lock_path));
  if (flock(lock.get(), LOCK_EX | LOCK_NB) != 0)
    return fail("another autowg (pid " + read_pid(lock.get()) + ") already manages " + interface + " (lock " +
                lock_path + ")");
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(lock.get(), 0) != 0 || pwrite(lock.get(), pid.data(), pid.size(), 0) != ssize_t(pid.size()))
    return fail(system_error("cannot write lock", lock_path));
  return Journal(state_dir + "/" + interface + ".journal", std::move(lock));
}

void Journal::load(const EntryVisitor& visit, size_t* skipped) const {
  size_t bad = 0;
  std::ifstream in(path_);
  std::string line;
  while (std::getline(in, line)) {
    auto entry = parse_journal_line(line);
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

void Journal::append(const JournalEntry& entry) {
  std::string line = format_journal_line(entry);
  Fd fd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!fd) throw std::runtime_error(system_error("cannot open journal", path_));
  if (::write(fd.get(), line.data(), line.size()) != ssize_t(line.size()))
    throw std::runtime_error(system_error("cannot write journal", path_));
}

void Journal::rewrite(const std::vector<JournalEntry>& entries) {
  rewrite([&](const EntryWriter& write) {
    for (const auto& e : entries) write(e);
  });
}

void Journal::rewrite(const std::function<void(const EntryWriter&)>& produce) {
  std::string tmp = path_ + ".new";
  {
    std::ofstream out(tmp, std::ios::trunc);
    produce([&](const JournalEntry& e) { out << format_journal_line(e); });
    out.flush();
    if (!out) throw std::runtime_error(system_error("cannot write journal", tmp));
  }
  if (rename(tmp.c_str(), path_.c_str()) != 0) throw std::runtime_error(system_error("cannot replace journal", path_));
}

void Journal::clear() {
  if (unlink(path_.c_str()) != 0 && errno != ENOENT)
    throw std::runtime_error(system_error("cannot remove journal", path_));
}

}  // namespace autowg
