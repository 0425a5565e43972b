// The deny list: devices the operator has turned away by name (the name
// --cn-pattern gives, not the CN), one per line. '#' starts a comment, at
// the start of a line or after a blank; blanks around a name are dropped
// and empty lines ignored. A bad line fails the whole load with its number.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>

#include "result.h"

namespace autowg {

class DenyList {
 public:
  static constexpr size_t kMaxFileSize = size_t(16) << 20;
  static constexpr size_t kMaxLineLength = 16 * 1024;
  static constexpr size_t kMaxNameLength = 1024;

  // Nobody denied.
  DenyList() = default;

  // Refused: a missing or unreadable file, one over kMaxFileSize, a line
  // over kMaxLineLength, a name over kMaxNameLength, not valid UTF-8, or
  // holding a control character.
  static Result<DenyList> load(const std::string& path);

  // Exact, byte for byte.
  bool denied(std::string_view name) const { return names_.count(std::string(name)) > 0; }
  size_t size() const { return names_.size(); }
  const std::unordered_set<std::string>& names() const { return names_; }

 private:
  std::unordered_set<std::string> names_;
};

// The name on one line of a deny list ("" for none), or why the line is bad.
Result<std::string> parse_deny_line(std::string_view line);

}  // namespace autowg
