// The CN of a certificate subject given as a DN string, as web servers pass it.
#pragma once

#include <string>
#include <string_view>

#include "result.h"

namespace autowg {

// Longest subject string accepted; anything longer is refused unparsed.
constexpr size_t kMaxSubjectLength = 4096;

// Parses `subject` as structured data and returns the value of its single CN
// attribute. Accepts RFC 4514/2253 text ("CN=1234,O=Fleet", with \, \+ \" \\
// \<hex><hex> and the other RFC 4514 escapes, a leading '#' hex value refused)
// and OpenSSL's legacy one-line form ("/C=DE/O=Fleet/CN=1234").
// Refuses: no CN, several CNs, a CN inside a multi-valued RDN ("CN=1+O=x"),
// malformed escapes, empty or over-long input. A value that merely contains
// "CN=" text (e.g. O=x\,CN=1234) never yields that text.
Result<std::string> cn_from_subject(std::string_view subject);

}  // namespace autowg
