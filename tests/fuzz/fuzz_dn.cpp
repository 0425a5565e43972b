// cn_from_subject (src/dn.h) on any subject string. Besides not crashing:
// - an accepted CN passes the CN checks;
// - a subject that yields a CN refuses a second CN appended to it (no text
//   after the CN can hide another one);
// - any byte string, escaped as RFC 4514 or as OpenSSL's /A=b form and put
//   between other attributes, comes back unchanged as the CN, or is refused
//   exactly when the CN checks refuse it.
#include <cstdint>
#include <string>

#include "dn.h"
#include "fuzz_check.h"
#include "text.h"

using namespace autowg;

namespace {

const char kHex[] = "0123456789ABCDEF";

std::string rfc4514_escape(std::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    if (c < 0x20 || c >= 0x7f) {
      out += '\\';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      if (std::string_view(",+\"\\<>;= #").find(char(c)) != std::string_view::npos) out += '\\';
      out += char(c);
    }
  }
  return out;
}

// OpenSSL's one-line form knows only \xHH; escaping every byte that is not
// alphanumeric makes the value unambiguous.
std::string legacy_escape(std::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (plain) {
      out += char(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void check_as_value(std::string_view value) {
  auto expected = checked_cn(std::string(value));
  for (const std::string& subject : {"O=Fleet+OU=x,CN=" + rfc4514_escape(value) + ",C=DE",
                                     "/C=DE/CN=" + legacy_escape(value) + "/O=Fleet+OU=x"}) {
    if (subject.size() > kMaxSubjectLength) continue;
    auto cn = cn_from_subject(subject);
    std::string what = "subject " + fuzz::printable(subject) + ": " + (cn ? fuzz::printable(*cn) : cn.error()) +
                       "; the value alone: " + (expected ? "accepted" : expected.error());
    FUZZ_CHECK(cn.ok() == expected.ok(), what);
    if (cn) FUZZ_CHECK(*cn == *expected, what);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view subject = fuzz::as_text(data, size);
  auto cn = cn_from_subject(subject);
  if (cn) {
    auto checked = checked_cn(*cn);
    FUZZ_CHECK(checked && *checked == *cn, fuzz::printable(*cn));
    std::string twice = std::string(subject) + (subject.front() == '/' ? "/CN=zzz" : ",CN=zzz");
    if (twice.size() <= kMaxSubjectLength) FUZZ_CHECK(!cn_from_subject(twice), fuzz::printable(twice));
  }
  check_as_value(subject.substr(0, 1024));
  return 0;
}
