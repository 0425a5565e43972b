// Owners of the OpenSSL objects autowg makes, shared by the modules that use
// libcrypto (certificate, revocation, wg_uapi).
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>

namespace autowg::ossl {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
// What OpenSSL allocated with OPENSSL_malloc (PEM names, headers, DER, UTF-8 text).
struct OpenSslFree {
  void operator()(void* p) const { OPENSSL_free(p); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct CrlFree {
  void operator()(X509_CRL* c) const { X509_CRL_free(c); }
};
struct NameFree {
  void operator()(X509_NAME* n) const { X509_NAME_free(n); }
};
struct AlgorFree {
  void operator()(X509_ALGOR* a) const { X509_ALGOR_free(a); }
};
struct TimeFree {
  void operator()(ASN1_TIME* t) const { ASN1_TIME_free(t); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
template <class T>
using OpenSslPtr = std::unique_ptr<T, OpenSslFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using CrlPtr = std::unique_ptr<X509_CRL, CrlFree>;
using NamePtr = std::unique_ptr<X509_NAME, NameFree>;
using AlgorPtr = std::unique_ptr<X509_ALGOR, AlgorFree>;
using TimePtr = std::unique_ptr<ASN1_TIME, TimeFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

}  // namespace autowg::ossl
