#include "deny_list.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include "bounded_read.h"
#include "fd.h"
#include "text.h"

namespace autowg {
namespace {

constexpr std::string_view kLineBlanks = " \t\r";

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

}  // namespace

Result<std::string> parse_deny_line(std::string_view line) {
  // A '#' inside a name ("dev#1") is part of it; one after a blank is not.
  for (size_t i = 0; i < line.size(); ++i)
    if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
      line = line.substr(0, i);
      break;
    }
  std::string_view name = trim(line, kLineBlanks);
  if (name.size() > DenyList::kMaxNameLength)
    return fail("the name is longer than " + std::to_string(DenyList::kMaxNameLength) + " bytes");
  if (!valid_utf8(name)) return fail("the name is not valid UTF-8");
  if (std::any_of(name.begin(), name.end(), [](char c) { return is_control(static_cast<unsigned char>(c)); }))
    return fail("the name holds a control character");
  return std::string(name);
}

Result<DenyList> DenyList::load(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail(with_errno("cannot open deny list " + path));
  struct stat st {};
  auto too_large = [&] {
    return fail("deny list " + path + " is larger than " + std::to_string(kMaxFileSize) + " bytes");
  };
  if (fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && uint64_t(st.st_size) > kMaxFileSize) return too_large();

  DenyList list;
  LineReader reader(fd.get(), kMaxLineLength);
  std::string line;
  for (;;) {
    auto status = reader.next(line);
    if (!status) return fail("cannot read deny list " + path + ": " + status.error());
    if (reader.bytes_read() > kMaxFileSize) return too_large();
    if (*status == LineReader::Status::End) return list;
    auto where = [&] { return "deny list " + path + " line " + std::to_string(reader.line_number()) + ": "; };
    if (*status == LineReader::Status::TooLong)
      return fail(where() + "longer than " + std::to_string(kMaxLineLength) + " bytes");
    auto name = parse_deny_line(line);
    if (!name) return fail(where() + name.error());
    if (!name->empty()) list.names_.insert(std::move(*name));
  }
}

}  // namespace autowg
