#include "cn_pattern.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "free_with.h"
#include "text.h"

namespace autowg {
namespace {

// Bounds on backtracking, so that no regex and CN keep a request busy.
constexpr uint32_t kMatchLimit = 100000;
constexpr uint32_t kDepthLimit = 10000;

}  // namespace

struct CnPattern::Code {
  ~Code() {
    pcre2_code_free(code);
    pcre2_match_context_free(context);
  }
  pcre2_code* code = nullptr;
  pcre2_match_context* context = nullptr;
};

Result<CnPattern> CnPattern::compile(std::string_view regex) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  // ANCHORED and ENDANCHORED make the whole CN the match, also for
  // alternations such as "a|b". UTF: a CN is UTF-8 text; \d stays ASCII
  // (no UCP), as direct-bcd wants. Not MATCH_INVALID_UTF: with it a match
  // may start after an invalid byte ("x,\xff1234" gave "1234"); name_for
  // refuses such a CN instead.
  auto code = std::make_shared<Code>();
  code->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(regex.data()), regex.size(),
                             PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF, &error, &offset, nullptr);
  if (!code->code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof message);
    return fail("'" + std::string(regex) + "' does not compile: " + reinterpret_cast<char*>(message) +
                " at offset " + std::to_string(offset));
  }
  uint32_t groups = 0;
  pcre2_pattern_info(code->code, PCRE2_INFO_CAPTURECOUNT, &groups);
  if (groups == 0) return fail("'" + std::string(regex) + "' has no capture group: the first group is the name");
  code->context = pcre2_match_context_create(nullptr);
  if (!code->context) return fail("out of memory");
  pcre2_set_match_limit(code->context, kMatchLimit);
  pcre2_set_depth_limit(code->context, kDepthLimit);
  CnPattern pattern;
  pattern.code_ = std::move(code);
  pattern.source_ = std::string(regex);
  return pattern;
}

Result<Name> CnPattern::name_for(std::string_view cn) const {
  if (!valid_utf8(cn)) return fail("the CN is not valid UTF-8");
  std::unique_ptr<pcre2_match_data, FreeWith<pcre2_match_data_free>> match(
      pcre2_match_data_create_from_pattern(code_->code, nullptr));
  if (!match) return fail("out of memory");
  int rc = pcre2_match(code_->code, reinterpret_cast<PCRE2_SPTR>(cn.data()), cn.size(), 0, 0, match.get(),
                       code_->context);
  if (rc == PCRE2_ERROR_NOMATCH) return fail("does not match --cn-pattern " + source_);
  if (rc < 0) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(rc, message, sizeof message);
    return fail(std::string("--cn-pattern match failed: ") + reinterpret_cast<char*>(message));
  }
  PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match.get());
  if (rc < 2 || ovector[2] == PCRE2_UNSET) return fail("the first group of --cn-pattern did not take part in the match");
  std::string name(cn.substr(ovector[2], ovector[3] - ovector[2]));
  if (name.empty()) return fail("the first group of --cn-pattern matched nothing");
  return Name{name};
}

}  // namespace autowg
