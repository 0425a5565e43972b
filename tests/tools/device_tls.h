// Devices as the load tools make them: one key for all, a certificate per
// device (CN, clientAuth) issued in-process by the device CA, and one
// registration over a fresh TLS connection (no session resumption). Shared
// by the tools that play a fleet (tests/tools/herd.cpp).
#pragma once

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "openssl_ptr.h"

namespace autowg::testing {

using Key = ossl::PkeyPtr;
using Cert = ossl::X509Ptr;

template <typename T>
T* require(T* p, const char* what) {
  if (!p) throw std::runtime_error(std::string("cannot ") + what);
  return p;
}
inline void require(int ok, const char* what) {
  if (ok != 1) throw std::runtime_error(std::string("cannot ") + what);
}

template <typename T, typename Reader>
T read_pem(const std::string& path, const char* what, Reader reader) {
  FILE* f = fopen(path.c_str(), "r");
  if (!f) throw std::runtime_error("cannot open " + path);
  T value(reader(f, nullptr, nullptr, nullptr));
  fclose(f);
  if (!value) throw std::runtime_error(std::string("no ") + what + " in " + path);
  return value;
}

// A device certificate: O=Fleet, CN, the device key, valid for a day, clientAuth.
inline Cert issue_device(const std::string& cn, EVP_PKEY* device_key, X509* ca, EVP_PKEY* ca_key, long serial) {
  Cert cert(require(X509_new(), "make a certificate"));
  X509* c = cert.get();
  require(X509_set_version(c, 2), "set the version");
  require(ASN1_INTEGER_set(X509_get_serialNumber(c), serial), "set the serial");
  require(X509_gmtime_adj(X509_getm_notBefore(c), -60) ? 1 : 0, "set notBefore");
  require(X509_gmtime_adj(X509_getm_notAfter(c), 86400) ? 1 : 0, "set notAfter");
  X509_NAME* name = X509_get_subject_name(c);
  auto text = [](const std::string& s) { return reinterpret_cast<const unsigned char*>(s.c_str()); };
  require(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, text("Fleet"), -1, -1, 0), "set O");
  require(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, text(cn), -1, -1, 0), "set CN");
  require(X509_set_issuer_name(c, X509_get_subject_name(ca)), "set the issuer");
  require(X509_set_pubkey(c, device_key), "set the key");
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca, c, nullptr, nullptr, 0);
  X509_EXTENSION* eku = require(X509V3_EXT_conf_nid(nullptr, &ctx, NID_ext_key_usage, "clientAuth"), "make the EKU");
  require(X509_add_ext(c, eku, -1), "add the EKU");
  X509_EXTENSION_free(eku);
  if (X509_sign(c, ca_key, EVP_sha256()) <= 0) throw std::runtime_error("cannot sign");
  return cert;
}

inline int connect_to(const std::string& host, const std::string& port) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0) return -1;
  int fd = -1;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
    if (fd >= 0) close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  return fd;
}

// One HTTP request as device CERT over a new TLS connection; the HTTP
// status of the answer (0: no answer: connection, TLS or protocol failure).
inline int request_as(SSL_CTX* ctx, X509* cert, EVP_PKEY* key, const std::string& host, const std::string& port,
                      const std::string& request) {
  int fd = connect_to(host, port);
  if (fd < 0) return 0;
  SSL* ssl = SSL_new(ctx);
  SSL_use_certificate(ssl, cert);
  SSL_use_PrivateKey(ssl, key);
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, "vpn.example.com");
  int status = 0;
  if (SSL_connect(ssl) == 1 && SSL_write(ssl, request.data(), int(request.size())) == int(request.size())) {
    std::string response;
    char buf[4096];
    int n;
    while ((n = SSL_read(ssl, buf, sizeof buf)) > 0) response.append(buf, size_t(n));
    if (response.rfind("HTTP/1.1 ", 0) == 0 && response.size() >= 12) status = std::atoi(response.c_str() + 9);
  }
  SSL_shutdown(ssl);
  SSL_free(ssl);
  close(fd);
  return status;
}

}  // namespace autowg::testing
