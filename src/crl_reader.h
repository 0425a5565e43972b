// The parts of one DER certificate revocation list (RFC 5280, 5.1) that
// autowg uses, found in place: the signed bytes, the signature, the issuer,
// nextUpdate and each revoked serial. Nothing is built per entry, so a CRL
// of 100 000 serials is walked in a fraction of d2i_X509_CRL's time (which
// decodes every entry into OpenSSL objects, extensions included).
//
// The walk is strict about structure: every element's length must lie
// within its parent, indefinite lengths and multi-byte tags are refused,
// nothing may follow the CRL, and each serial must be a valid INTEGER
// (non-empty, no superfluous leading byte), as OpenSSL requires. Contents
// autowg does not use (extensions, revocation dates) are skipped whole.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "result.h"

namespace autowg {

using DerBytes = std::span<const unsigned char>;

struct CrlParts {
  DerBytes whole;                // the CertificateList
  DerBytes signed_part;          // TBSCertList, the whole element: what the signature covers
  DerBytes inner_algorithm;      // TBSCertList's signature AlgorithmIdentifier, the whole element
  DerBytes algorithm;            // signatureAlgorithm, the whole element
  DerBytes signature;            // signatureValue's bits (its unused-bits count was 0)
  DerBytes issuer;               // the issuer Name, the whole element
  DerBytes next_update;          // the nextUpdate Time, the whole element; empty when absent
  std::vector<DerBytes> serials;  // each revoked serial's INTEGER contents (two's complement)
};

// Fails with what is wrong and at which byte offset.
Result<CrlParts> read_crl(DerBytes der);

// The canonical serial text (cert_params.h's normalise_serial) of INTEGER
// contents as read_crl gives them: negative numbers as "-" and their
// magnitude. Refused over kMaxSerialDigits significant hex digits.
Result<std::string> serial_from_integer(DerBytes integer);

}  // namespace autowg
