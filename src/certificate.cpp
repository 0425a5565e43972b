#include "certificate.h"

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>
#include <memory>

#include "text.h"

namespace autowg {
namespace {

// An X.509 certificate (RFC 5280 §4.1) as OpenSSL's own template has it,
// but with the subjectPublicKeyInfo kept as undecoded DER. OpenSSL 3.0's
// d2i_X509 decodes the key through its provider decoders, which took most of
// the ~120 µs a certificate cost (11 µs without); autowg only reads the
// subject (the web server has verified the certificate). The rest is decoded
// strictly.
struct TbsCertificate {
  ASN1_INTEGER* version;
  ASN1_INTEGER* serial;
  X509_ALGOR* signature;
  X509_NAME* issuer;
  X509_VAL* validity;
  X509_NAME* subject;
  ASN1_TYPE* public_key;  // a SEQUENCE, checked below
  ASN1_BIT_STRING* issuer_uid;
  ASN1_BIT_STRING* subject_uid;
  STACK_OF(X509_EXTENSION) * extensions;
};
ASN1_SEQUENCE(TbsCertificate) = {
    ASN1_EXP_OPT(TbsCertificate, version, ASN1_INTEGER, 0),
    ASN1_SIMPLE(TbsCertificate, serial, ASN1_INTEGER),
    ASN1_SIMPLE(TbsCertificate, signature, X509_ALGOR),
    ASN1_SIMPLE(TbsCertificate, issuer, X509_NAME),
    ASN1_SIMPLE(TbsCertificate, validity, X509_VAL),
    ASN1_SIMPLE(TbsCertificate, subject, X509_NAME),
    ASN1_SIMPLE(TbsCertificate, public_key, ASN1_ANY),
    ASN1_IMP_OPT(TbsCertificate, issuer_uid, ASN1_BIT_STRING, 1),
    ASN1_IMP_OPT(TbsCertificate, subject_uid, ASN1_BIT_STRING, 2),
    ASN1_EXP_SEQUENCE_OF_OPT(TbsCertificate, extensions, X509_EXTENSION, 3),
} ASN1_SEQUENCE_END(TbsCertificate)

struct Certificate {
  TbsCertificate* tbs;
  X509_ALGOR* signature_algorithm;
  ASN1_BIT_STRING* signature;
};
ASN1_SEQUENCE(Certificate) = {
    ASN1_SIMPLE(Certificate, tbs, TbsCertificate),
    ASN1_SIMPLE(Certificate, signature_algorithm, X509_ALGOR),
    ASN1_SIMPLE(Certificate, signature, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(Certificate)

struct CertificateFree {
  void operator()(Certificate* c) const { ASN1_item_free(reinterpret_cast<ASN1_VALUE*>(c), ASN1_ITEM_rptr(Certificate)); }
};

constexpr size_t kMaxCertificateText = 16 * 1024;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct OpenSslFree {
  void operator()(void* p) const { OPENSSL_free(p); }
};

// The first PEM block of BIO, which must be a certificate, decoded.
Result<std::unique_ptr<Certificate, CertificateFree>> read_certificate(BIO* bio) {
  char *name = nullptr, *header = nullptr;
  unsigned char* der = nullptr;
  long len = 0;
  if (PEM_read_bio(bio, &name, &header, &der, &len) != 1) return fail("not a PEM certificate");
  std::unique_ptr<char, OpenSslFree> name_owner(name), header_owner(header);
  std::unique_ptr<unsigned char, OpenSslFree> der_owner(der);
  if (std::strcmp(name, PEM_STRING_X509) != 0) return fail("not a PEM certificate (found " + std::string(name) + ")");
  const unsigned char* p = der;
  std::unique_ptr<Certificate, CertificateFree> cert(
      reinterpret_cast<Certificate*>(ASN1_item_d2i(nullptr, &p, len, ASN1_ITEM_rptr(Certificate))));
  if (!cert || p != der + len || cert->tbs->public_key->type != V_ASN1_SEQUENCE)
    return fail("not a PEM certificate (malformed DER)");
  return cert;
}

}  // namespace

Result<std::string> cn_from_certificate(std::string_view pem) {
  if (pem.size() > kMaxCertificateText) return fail("the certificate is too large");
  // nginx's $ssl_client_escaped_cert is the PEM text with %XX escapes.
  auto text = pem.find('%') != std::string_view::npos ? percent_decode(pem) : std::string(pem);
  if (!text) return fail("malformed %-escape in the certificate");

  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(text->data(), int(text->size())));
  if (!bio) return fail("out of memory");
  auto cert = read_certificate(bio.get());
  if (!cert) return fail(cert.error());
  // One certificate and nothing after it: a chain or trailing data is not
  // what a web server passes for the client certificate.
  char rest[256];
  int n = BIO_read(bio.get(), rest, sizeof rest);
  if (n > 0 && !trim(std::string_view(rest, size_t(n))).empty())
    return fail("unexpected data after the certificate");

  X509_NAME* subject = (*cert)->tbs->subject;
  int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return fail("the certificate subject has no CN");
  if (X509_NAME_get_index_by_NID(subject, NID_commonName, index) >= 0)
    return fail("the certificate subject has more than one CN");
  X509_NAME_ENTRY* entry = X509_NAME_get_entry(subject, index);
  // A CN that shares its RDN with another attribute is ambiguous, as in a DN.
  int set = X509_NAME_ENTRY_set(entry);
  for (int i = 0; i < X509_NAME_entry_count(subject); ++i)
    if (i != index && X509_NAME_ENTRY_set(X509_NAME_get_entry(subject, i)) == set)
      return fail("the CN is part of a multi-valued RDN");

  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
  if (len < 0) return fail("the CN cannot be converted to UTF-8");
  std::unique_ptr<unsigned char, OpenSslFree> owner(utf8);
  return checked_cn(std::string(reinterpret_cast<char*>(utf8), size_t(len)));
}

}  // namespace autowg
