#include "certificate.h"

#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

namespace autowg {
namespace {

constexpr size_t kMaxCertificateText = 16 * 1024;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct OpenSslFree {
  void operator()(unsigned char* p) const { OPENSSL_free(p); }
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// nginx's $ssl_client_escaped_cert is the PEM text with %XX escapes.
Result<std::string> url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    int hi = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
    int lo = hi >= 0 ? hex_value(text[i + 2]) : -1;
    if (lo < 0) return fail("malformed %-escape in the certificate");
    out += char(hi << 4 | lo);
    i += 2;
  }
  return out;
}

bool only_whitespace(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  return true;
}

}  // namespace

Result<std::string> cn_from_certificate(std::string_view pem) {
  if (pem.size() > kMaxCertificateText) return fail("the certificate is too large");
  auto text = pem.find('%') != std::string_view::npos ? url_decode(pem) : Result<std::string>(std::string(pem));
  if (!text) return fail(text.error());

  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(text->data(), int(text->size())));
  if (!bio) return fail("out of memory");
  std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return fail("not a PEM certificate");
  // One certificate and nothing after it: a chain or trailing data is not
  // what a web server passes for the client certificate.
  char rest[256];
  int n = BIO_read(bio.get(), rest, sizeof rest);
  if (n > 0 && !only_whitespace(std::string_view(rest, size_t(n))))
    return fail("unexpected data after the certificate");

  X509_NAME* subject = X509_get_subject_name(cert.get());
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
  std::string cn(reinterpret_cast<char*>(utf8), size_t(len));
  if (cn.empty()) return fail("the CN is empty");
  for (unsigned char c : cn)
    if (c < 0x20 || c == 0x7f) return fail("the CN holds a control character");
  return cn;
}

}  // namespace autowg
