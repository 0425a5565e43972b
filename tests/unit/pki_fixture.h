// A small PKI made with the OpenSSL C API for the tests: CA keys and
// certificates, device certificates they issue, and CRLs they sign, written
// as PEM or DER into a temporary directory that is removed afterwards.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "openssl_ptr.h"

namespace autowg::testing {

using Key = ossl::PkeyPtr;
using Cert = ossl::X509Ptr;
using Crl = ossl::CrlPtr;

inline void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("OpenSSL failed: ") + what);
}

inline Key new_key() {
  Key key(EVP_EC_gen("P-256"));
  check(bool(key), "EVP_EC_gen");
  return key;
}

// A serial from hex text ("0123", "-5").
inline ASN1_INTEGER* asn1_serial(const std::string& hex) {
  BIGNUM* bn = nullptr;
  check(BN_hex2bn(&bn, hex.c_str()) > 0, "BN_hex2bn");
  ASN1_INTEGER* serial = BN_to_ASN1_INTEGER(bn, nullptr);
  BN_free(bn);
  check(serial, "BN_to_ASN1_INTEGER");
  return serial;
}

inline void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext, "X509V3_EXT_conf_nid");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// A certificate for `key` with subject O=Fleet,CN=cn, issued by `issuer`
// (signed with issuer_key), or self-signed when issuer is null. A CA gets
// basicConstraints CA:TRUE and `key_usage` ("" for no keyUsage extension).
inline Cert make_certificate(EVP_PKEY* key, const std::string& cn, const std::string& serial_hex, X509* issuer,
                             EVP_PKEY* issuer_key, bool ca, const char* key_usage = "critical,keyCertSign,cRLSign") {
  Cert cert(X509_new());
  check(cert && X509_set_version(cert.get(), 2), "X509_new");
  ASN1_INTEGER* serial = asn1_serial(serial_hex);
  X509_set_serialNumber(cert.get(), serial);
  ASN1_INTEGER_free(serial);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Fleet"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key);
  X509* signer = issuer ? issuer : cert.get();
  if (ca) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    if (*key_usage) add_extension(cert.get(), signer, NID_key_usage, key_usage);
  }
  check(X509_sign(cert.get(), issuer ? issuer_key : key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

// A CRL in the name of `issuer`, signed with `signing_key` (the issuer's own
// key, or another one for a forged CRL), revoking `serials` (hex).
inline Crl make_crl(X509* issuer, EVP_PKEY* signing_key, const std::vector<std::string>& serials,
                    long next_update_seconds = 7 * 86400) {
  Crl crl(X509_CRL_new());
  check(crl && X509_CRL_set_version(crl.get(), 1), "X509_CRL_new");
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer));
  ASN1_TIME* now = X509_gmtime_adj(nullptr, 0);
  ASN1_TIME* next = X509_gmtime_adj(nullptr, next_update_seconds);
  X509_CRL_set1_lastUpdate(crl.get(), now);
  X509_CRL_set1_nextUpdate(crl.get(), next);
  for (const auto& hex : serials) {
    X509_REVOKED* revoked = X509_REVOKED_new();
    ASN1_INTEGER* serial = asn1_serial(hex);
    X509_REVOKED_set_serialNumber(revoked, serial);
    X509_REVOKED_set_revocationDate(revoked, now);
    ASN1_INTEGER_free(serial);
    X509_CRL_add0_revoked(crl.get(), revoked);
  }
  ASN1_TIME_free(now);
  ASN1_TIME_free(next);
  X509_CRL_sort(crl.get());
  check(X509_CRL_sign(crl.get(), signing_key, EVP_sha256()) > 0, "X509_CRL_sign");
  return crl;
}

template <class Write>
std::string bio_text(Write write) {
  std::unique_ptr<BIO, int (*)(BIO*)> bio(BIO_new(BIO_s_mem()), BIO_free);
  check(write(bio.get()) > 0, "PEM write");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, size_t(n));
}
inline std::string pem(X509* cert) {
  return bio_text([&](BIO* b) { return PEM_write_bio_X509(b, cert); });
}
inline std::string pem(X509_CRL* crl) {
  return bio_text([&](BIO* b) { return PEM_write_bio_X509_CRL(b, crl); });
}
inline std::string der(X509_CRL* crl) {
  unsigned char* data = nullptr;
  int n = i2d_X509_CRL(crl, &data);
  check(n > 0, "i2d_X509_CRL");
  std::string out(reinterpret_cast<char*>(data), size_t(n));
  OPENSSL_free(data);
  return out;
}

// Files in a temporary directory, removed with the object.
class TempFiles {
 public:
  TempFiles() {
    char tmpl[] = "/tmp/autowg-pki-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
  }
  ~TempFiles() { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace autowg::testing
