// The CN of a PEM certificate, as nginx ($ssl_client_escaped_cert) or Caddy
// ({http.request.tls.client.certificate_pem}) pass it.
#pragma once

#include <string>
#include <string_view>

#include "result.h"

namespace autowg {

// Accepts the PEM text raw or URL-escaped (%XX, as nginx escapes it). Refuses
// anything that is not exactly one parseable X.509 certificate, and subjects
// with no CN or several CNs. The CN comes back as UTF-8.
Result<std::string> cn_from_certificate(std::string_view pem);

}  // namespace autowg
