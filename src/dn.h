// The CN of a certificate subject given as a DN string, as web servers pass it.
#pragma once

#include <string>
#include <string_view>

#include "result.h"

namespace autowg {

// Longest subject string accepted; anything longer is refused unparsed.
constexpr size_t kMaxSubjectLength = 4096;

// Parses `subject` as structured data and returns the value of its single CN
// attribute.
//
// Two forms:
// - RFC 4514 / RFC 2253 ("CN=1234,O=Fleet,C=DE"), as nginx ($ssl_client_s_dn
//   since 1.11.6), Apache and Go/Caddy write it: RDNs split on ',' (or ';'),
//   multi-valued RDNs on '+', backslash escapes of special characters and
//   hex pairs (\2C, UTF-8 as \C3\A4); '#' BER values are refused.
// - OpenSSL's legacy one-line form ("/C=DE/O=Fleet/CN=1234"), as lighttpd
//   passes SSL_CLIENT_S_DN. It does not escape '/', so it is ambiguous when a
//   value contains "/X=": every piece must then parse as TYPE=VALUE, and a
//   second CN refuses the whole subject. Prefer the PEM certificate param.
//
// Refused: no CN, several CNs, a CN in a multi-valued RDN, malformed escapes,
// invalid UTF-8, control characters, empty or over-long input. A value that
// merely contains "CN=" text (O=x\,CN=1234) never yields that text.
Result<std::string> cn_from_subject(std::string_view subject);

}  // namespace autowg
