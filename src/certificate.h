// What autowg reads from a PEM client certificate, as nginx
// ($ssl_client_escaped_cert), lighttpd (SSL_CLIENT_CERT) or Caddy
// ({http.request.tls.client.certificate_pem}) pass it: the CN, and for the
// device lifecycle the serial, the issuer and the end of validity.
#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "cert_params.h"
#include "result.h"

namespace autowg {

struct CertificateFacts {
  std::string cn;      // UTF-8, passed checked_cn
  std::string serial;  // canonical text (cert_params.h): upper-case hex, no leading zeros
  std::string issuer;  // RFC 2253, as X509_NAME_print_ex(XN_FLAG_RFC2253) and nginx's $ssl_client_i_dn write it
  int64_t not_after = 0;  // Unix seconds
};

// Accepts the PEM text raw or URL-escaped (%XX, as nginx escapes it):
// optional whitespace, exactly one CERTIFICATE block, optional whitespace.
// Refuses anything else, a certificate that does not decode, a subject with
// no CN or several CNs, a serial over kMaxSerialDigits hex digits and an
// issuer over kMaxIssuerText.
Result<CertificateFacts> read_certificate(std::string_view pem);

// read_certificate(pem).cn.
Result<std::string> cn_from_certificate(std::string_view pem);

// The canonical text of a serial number (as normalise_serial writes it);
// refused when it has more than kMaxSerialDigits hex digits.
Result<std::string> serial_text(const ASN1_INTEGER* serial);

// RFC 2253 text of a name. `escape_utf8` false keeps UTF-8 as it is instead
// of \XX escapes (Apache's SSL_CLIENT_I_DN form).
std::string name_text(const X509_NAME* name, bool escape_utf8 = true);

}  // namespace autowg
