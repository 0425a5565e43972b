// --cn-pattern: a PCRE2 regex that must match the whole CN; its first capture
// group is the device's name. Python `re` syntax users write works:
// \d, (?P<id>...), (?i).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "naming.h"
#include "result.h"

namespace autowg {

class CnPattern {
 public:
  static constexpr std::string_view kDefault = "([0-9a-zA-Z]+)";

  // Refuses a regex that does not compile (with PCRE2's message and offset) or
  // has no capture group.
  static Result<CnPattern> compile(std::string_view regex);

  // The first group of a whole-CN match; refused when the CN does not match or
  // the group did not take part in the match.
  Result<Name> name_for(std::string_view cn) const;

  const std::string& source() const { return source_; }

 private:
  struct Code;
  std::shared_ptr<const Code> code_;
  std::string source_;
};

}  // namespace autowg
