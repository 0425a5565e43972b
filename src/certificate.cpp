#include "certificate.h"

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>
#include <ctime>
#include <memory>

#include "cert_params.h"
#include "openssl_ptr.h"
#include "text.h"

namespace autowg {
namespace {

// An X.509 certificate (RFC 5280 §4.1) as OpenSSL's own template has it,
// but with the subjectPublicKeyInfo kept as undecoded DER. OpenSSL 3.0's
// d2i_X509 decodes the key through its provider decoders, which took most of
// the ~120 µs a certificate cost (11 µs without); autowg only reads the
// subject, serial, issuer and validity (the web server has verified the
// certificate). The rest is decoded strictly.
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

// `text` must be optional whitespace, one PEM block, optional whitespace;
// the block must be a certificate, which is decoded.
Result<std::unique_ptr<Certificate, CertificateFree>> decode_pem_certificate(std::string_view text) {
  text = trim(text);
  if (text.rfind("-----BEGIN ", 0) != 0)
    return fail(text.find("-----BEGIN ") == std::string_view::npos ? "not a PEM certificate"
                                                                   : "unexpected data before the certificate");
  ossl::BioPtr bio(BIO_new_mem_buf(text.data(), int(text.size())));
  if (!bio) return fail("out of memory");
  char *name = nullptr, *header = nullptr;
  unsigned char* der = nullptr;
  long len = 0;
  if (PEM_read_bio(bio.get(), &name, &header, &der, &len) != 1) return fail("not a PEM certificate");
  ossl::OpenSslPtr<char> name_owner(name), header_owner(header);
  ossl::OpenSslPtr<unsigned char> der_owner(der);
  if (std::strcmp(name, PEM_STRING_X509) != 0) return fail("not a PEM certificate (found " + std::string(name) + ")");
  // One certificate and nothing after it (the text is trimmed): a chain or
  // trailing data is not what a web server passes for the client certificate.
  if (BIO_ctrl_pending(bio.get()) != 0) return fail("unexpected data after the certificate");
  const unsigned char* p = der;
  std::unique_ptr<Certificate, CertificateFree> cert(
      reinterpret_cast<Certificate*>(ASN1_item_d2i(nullptr, &p, len, ASN1_ITEM_rptr(Certificate))));
  if (!cert || p != der + len || cert->tbs->public_key->type != V_ASN1_SEQUENCE)
    return fail("not a PEM certificate (malformed DER)");
  return cert;
}

Result<std::string> single_cn(const X509_NAME* subject) {
  int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return fail("the certificate subject has no CN");
  if (X509_NAME_get_index_by_NID(subject, NID_commonName, index) >= 0)
    return fail("the certificate subject has more than one CN");
  const X509_NAME_ENTRY* entry = X509_NAME_get_entry(subject, index);
  // A CN that shares its RDN with another attribute is ambiguous, as in a DN.
  int set = X509_NAME_ENTRY_set(entry);
  for (int i = 0; i < X509_NAME_entry_count(subject); ++i)
    if (i != index && X509_NAME_ENTRY_set(X509_NAME_get_entry(subject, i)) == set)
      return fail("the CN is part of a multi-valued RDN");

  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
  if (len < 0) return fail("the CN cannot be converted to UTF-8");
  ossl::OpenSslPtr<unsigned char> owner(utf8);
  return checked_cn(std::string(reinterpret_cast<char*>(utf8), size_t(len)));
}

}  // namespace

Result<CertificateFacts> read_certificate(std::string_view pem) {
  if (pem.size() > kMaxCertificateText) return fail("the certificate is too large");
  // nginx's $ssl_client_escaped_cert is the PEM text with %XX escapes.
  auto text = pem.find('%') != std::string_view::npos ? percent_decode(pem) : std::string(pem);
  if (!text) return fail("malformed %-escape in the certificate");
  auto cert = decode_pem_certificate(*text);
  if (!cert) return fail(cert.error());
  const TbsCertificate& tbs = *(*cert)->tbs;

  CertificateFacts facts;
  auto cn = single_cn(tbs.subject);
  if (!cn) return fail(cn.error());
  facts.cn = std::move(*cn);
  auto serial = serial_text(tbs.serial);
  if (!serial) return fail("the certificate serial: " + serial.error());
  facts.serial = std::move(*serial);
  facts.issuer = name_text(tbs.issuer);
  if (facts.issuer.size() > kMaxIssuerText) return fail("the certificate issuer is too long");
  std::tm tm{};
  if (ASN1_TIME_to_tm(tbs.validity->notAfter, &tm) != 1) return fail("the certificate's notAfter is malformed");
  facts.not_after = int64_t(timegm(&tm));
  return facts;
}

Result<std::string> cn_from_certificate(std::string_view pem) {
  auto facts = read_certificate(pem);
  if (!facts) return fail(facts.error());
  return std::move(facts->cn);
}

Result<std::string> serial_text(const ASN1_INTEGER* serial) {
  const unsigned char* bytes = ASN1_STRING_get0_data(serial);
  int length = ASN1_STRING_length(serial);
  if (length <= 0) return std::string("0");
  // Refused before it is spelled out: normalise_serial bounds it again.
  if (size_t(length) > kMaxSerialDigits) return fail("longer than " + std::to_string(kMaxSerialDigits) + " hex digits");
  static const char hex[] = "0123456789ABCDEF";
  std::string text = ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER ? "-" : "";
  for (int i = 0; i < length; ++i) {
    text += hex[bytes[i] >> 4];
    text += hex[bytes[i] & 15];
  }
  return normalise_serial(text);
}

std::string name_text(const X509_NAME* name, bool escape_utf8) {
  unsigned long flags = XN_FLAG_RFC2253;
  if (!escape_utf8) flags &= ~ASN1_STRFLGS_ESC_MSB;
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, flags) < 0) return "";
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, size_t(n)) : std::string();
}

}  // namespace autowg
