// Certificate facts as web servers pass them in FastCGI params, for
// deployments that pass the subject but not the certificate:
//
//   serial    nginx $ssl_client_serial, Apache SSL_CLIENT_M_SERIAL and
//             lighttpd SSL_CLIENT_M_SERIAL: upper-case hex in whole bytes
//             ("0123", "DEADBEEF0011"); Caddy {http.request.tls.client.serial}:
//             decimal ("291").
//   notAfter  nginx $ssl_client_v_end and Apache SSL_CLIENT_V_END, OpenSSL's
//             ASN1_TIME_print form "Jan  5 12:00:00 2051 GMT". lighttpd and
//             Caddy do not pass it.
//
// The canonical serial text, which the journal and the revocation list use
// too, is upper-case hex without leading zeros ("0" for zero), with a
// leading '-' for a negative serial.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "result.h"

namespace autowg {

// RFC 5280 allows 20 octets; this leaves room for CAs that get it wrong.
constexpr size_t kMaxSerialDigits = 64;

// Longest issuer text accepted (RFC 2253, non-ASCII escaped as \XX).
constexpr size_t kMaxIssuerText = 4096;

// What autowg keeps of a device's certificate (empty, 0: unknown): with the
// peer, in the journal, for revocation and expiry.
struct CertRecord {
  std::string serial;  // canonical hex (normalise_serial)
  std::string issuer;  // RFC 2253
  int64_t not_after = 0;  // Unix seconds
  bool empty() const { return serial.empty() && issuer.empty() && not_after == 0; }
};

enum class SerialBase { Hex, Decimal };

// Hex: digits of either case, optionally as colon-separated pairs
// ("de:ad:be:ef"). Decimal: digits only. Either may start with '-'.
// Refused: anything else, and more than kMaxSerialDigits significant hex
// digits.
Result<std::string> normalise_serial(std::string_view text, SerialBase base = SerialBase::Hex);

// "Mmm DD HH:MM:SS YYYY GMT" (the day space-padded, as ASN1_TIME_print
// writes it) → Unix seconds. Anything else is refused.
Result<int64_t> parse_openssl_time(std::string_view text);

}  // namespace autowg
