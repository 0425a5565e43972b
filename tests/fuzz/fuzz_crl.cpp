// read_crl and serial_from_integer (src/crl_reader.h) on any bytes as a DER
// CRL, against OpenSSL's d2i_X509_CRL. The parts read_crl finds lie inside
// the input and each serial's text is canonical. An input that OpenSSL
// decodes and that is DER as OpenSSL writes it (re-encoded, the same bytes)
// must be read by read_crl too, with the same serials in the same order and
// the same refusals (a serial autowg cannot hold). Two things OpenSSL reads
// and read_crl refuses are let pass, with their reasons below.
#include <openssl/x509.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "cert_params.h"
#include "certificate.h"
#include "crl_reader.h"
#include "fuzz_check.h"
#include "openssl_ptr.h"

using namespace autowg;

namespace {

bool inside(DerBytes part, DerBytes whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

std::string text_of(const Result<std::string>& serial) { return serial ? *serial : "(refused)"; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  DerBytes input(data, size);
  auto parts = read_crl(input);
  std::vector<std::string> walked;
  if (parts) {
    FUZZ_CHECK(parts->whole.data() == data && parts->whole.size() == size);
    for (DerBytes part : {parts->signed_part, parts->inner_algorithm, parts->algorithm, parts->signature,
                          parts->issuer, parts->next_update})
      FUZZ_CHECK(inside(part, parts->signed_part) || inside(part, input));
    FUZZ_CHECK(inside(parts->inner_algorithm, parts->signed_part) && inside(parts->issuer, parts->signed_part));
    for (DerBytes integer : parts->serials) {
      FUZZ_CHECK(inside(integer, parts->signed_part) && !integer.empty());
      auto serial = serial_from_integer(integer);
      if (serial) {
        auto again = normalise_serial(*serial);
        FUZZ_CHECK(again && *again == *serial, *serial);
      }
      walked.push_back(text_of(serial));
    }
  }

  const unsigned char* p = data;
  ossl::CrlPtr crl(d2i_X509_CRL(nullptr, &p, long(size)));
  if (!crl || p != data + size) return 0;
  // Sorting marks the signed part changed, so that i2d writes it anew
  // instead of the bytes it was read from.
  X509_CRL_sort(crl.get());
  unsigned char* out = nullptr;
  int n = i2d_X509_CRL(crl.get(), &out);
  ossl::OpenSslPtr<unsigned char> owner(out);
  if (n != int(size) || std::memcmp(out, data, size) != 0) return 0;
  // OpenSSL reads a signature with unused bits (no signature has them, and
  // its verification refuses one); read_crl refuses it at once.
  const ASN1_BIT_STRING* signature = nullptr;
  X509_CRL_get0_signature(crl.get(), &signature, nullptr);
  if (signature && (signature->flags & 0x07)) {
    FUZZ_CHECK(!parts && parts.error().find("whole number of bytes") != std::string::npos);
    return 0;
  }
  // OpenSSL reads a Name whose SEQUENCE or SET is in primitive form (tag
  // 0x10, 0x11), which X.690 forbids and no CA writes, and writes the name
  // back as it read it; read_crl refuses it.
  if (!parts) {
    auto at = parts.error().rfind("at byte ");
    size_t offset = at == std::string::npos ? size : std::stoul(parts.error().substr(at + 8));
    if (offset < size && (data[offset] == 0x10 || data[offset] == 0x11)) return 0;
  }
  FUZZ_CHECK(parts, "OpenSSL reads this DER CRL, read_crl refuses it: " + parts.error());
  std::vector<std::string> decoded;
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i)
    decoded.push_back(text_of(serial_text(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i)))));
  std::string detail;
  for (size_t i = 0; i < std::max(walked.size(), decoded.size()); ++i)
    detail += (i < walked.size() ? walked[i] : "-") + "/" + (i < decoded.size() ? decoded[i] : "-") + " ";
  FUZZ_CHECK(walked == decoded, detail);
  return 0;
}
