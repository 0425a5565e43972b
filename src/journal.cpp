#include "journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace autowg {
namespace {

std::string system_error(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

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

std::optional<std::string> unescape_name(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= text.size()) return std::nullopt;
    auto r = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (r.ec != std::errc() || r.ptr != text.data() + i + 3) return std::nullopt;
    out += char(value);
    i += 2;
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
  auto r = std::from_chars(fields[1].data(), fields[1].data() + fields[1].size(), entry.created);
  if (r.ec != std::errc() || r.ptr != fields[1].data() + fields[1].size()) return fail("bad time");
  auto key = WgKey::parse(fields[2]);
  if (!key) return fail("bad key");
  entry.key = *key;
  auto name = unescape_name(fields[3]);
  if (!name || name->empty()) return fail("bad name");
  entry.name = Name{*name};
  return entry;
}

Result<Journal> Journal::open(const std::string& state_dir, const std::string& interface) {
  if (!make_directory(state_dir)) return fail(system_error("cannot create state directory", state_dir));
  std::string lock_path = state_dir + "/" + interface + ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return fail(system_error("cannot open lock", lock_path));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::string holder = read_pid(fd);
    ::close(fd);
    return fail("another autowg (pid " + holder + ") already manages " + interface + " (lock " + lock_path + ")");
  }
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) != ssize_t(pid.size())) {
    ::close(fd);
    return fail(system_error("cannot write lock", lock_path));
  }
  return Journal(state_dir + "/" + interface + ".journal", fd);
}

Journal::Journal(Journal&& other) noexcept : path_(std::move(other.path_)), lock_fd_(other.lock_fd_) {
  other.lock_fd_ = -1;
}

Journal::~Journal() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
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
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) throw std::runtime_error(system_error("cannot open journal", path_));
  ssize_t written = ::write(fd, line.data(), line.size());
  int saved = errno;
  ::close(fd);
  errno = saved;
  if (written != ssize_t(line.size())) throw std::runtime_error(system_error("cannot write journal", path_));
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
