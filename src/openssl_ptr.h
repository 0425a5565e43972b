// Owners of the OpenSSL objects autowg makes, shared by the modules that use
// libcrypto (certificate, revocation, wg_uapi).
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>

#include "free_with.h"

namespace autowg::ossl {

// What OpenSSL allocated with OPENSSL_malloc (PEM names, headers, DER, UTF-8
// text); OPENSSL_free is a macro.
inline void openssl_free(void* p) { OPENSSL_free(p); }

using BioPtr = std::unique_ptr<BIO, FreeWith<BIO_free>>;
template <class T>
using OpenSslPtr = std::unique_ptr<T, FreeWith<openssl_free>>;
using X509Ptr = std::unique_ptr<X509, FreeWith<X509_free>>;
using CrlPtr = std::unique_ptr<X509_CRL, FreeWith<X509_CRL_free>>;
using NamePtr = std::unique_ptr<X509_NAME, FreeWith<X509_NAME_free>>;
using AlgorPtr = std::unique_ptr<X509_ALGOR, FreeWith<X509_ALGOR_free>>;
using TimePtr = std::unique_ptr<ASN1_TIME, FreeWith<ASN1_TIME_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, FreeWith<EVP_PKEY_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, FreeWith<EVP_MD_CTX_free>>;

}  // namespace autowg::ossl
