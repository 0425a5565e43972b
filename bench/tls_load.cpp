// Registrations as devices make them: a new TCP connection and a full TLS
// handshake with the client certificate for every request (no session
// resumption), a POST of a fresh key, the answer read to the end.
//
//   tls_load HOST PORT PATHS SERVER_CA DEVICE_CA_CERT DEVICE_CA_KEY FIRST_CN COUNT
//
// COUNT devices with the numeric CNs FIRST_CN, FIRST_CN+1, ..., each with its
// own certificate issued by the device CA before the clock starts (one P-256
// key for all of them). With COUNT devices of distinct names every request to
// a registration path is a first registration, as after a concentrator's
// reboot; a second request of the same device re-registers it (new key).
//
// PATHS is one path or several, comma-separated: each device sends one
// request to each, so that the kinds are interleaved request by request and
// share the machine's noise. The first two swap places for every other
// device, so that neither always comes first; the others keep their place
// (a path repeated later re-registers). Each request is timed alone.
// Prints one line: requests=N failed=F per_s=R total_s=T, then per path K
// (0, 1, ...): per_s_K (requests per second of its own time) median_ms_K.
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "wgkey.h"

namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;

template <typename T>
T* check(T* p, const char* what) {
  if (!p) throw std::runtime_error(std::string("tls_load: cannot ") + what);
  return p;
}

void check(int ok, const char* what) {
  if (ok != 1) throw std::runtime_error(std::string("tls_load: cannot ") + what);
}

template <typename T>
T read_pem(const std::string& path, const char* what, auto reader) {
  FILE* f = fopen(path.c_str(), "r");
  if (!f) throw std::runtime_error("tls_load: cannot open " + path);
  T value(reader(f, nullptr, nullptr, nullptr));
  fclose(f);
  if (!value) throw std::runtime_error(std::string("tls_load: no ") + what + " in " + path);
  return value;
}

// A device certificate: CN, the device key, valid for a day, clientAuth.
Cert issue(const std::string& cn, EVP_PKEY* device_key, X509* ca, EVP_PKEY* ca_key, long serial) {
  Cert cert(check(X509_new(), "make a certificate"));
  X509* c = cert.get();
  check(X509_set_version(c, 2), "set the version");
  check(ASN1_INTEGER_set(X509_get_serialNumber(c), serial), "set the serial");
  check(X509_gmtime_adj(X509_getm_notBefore(c), -60) ? 1 : 0, "set notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(c), 86400) ? 1 : 0, "set notAfter");
  X509_NAME* name = X509_get_subject_name(c);
  check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Fleet"), -1, -1, 0),
        "set O");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1,
                                   -1, 0),
        "set CN");
  check(X509_set_issuer_name(c, X509_get_subject_name(ca)), "set the issuer");
  check(X509_set_pubkey(c, device_key), "set the key");
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca, c, nullptr, nullptr, 0);
  X509_EXTENSION* eku = check(X509V3_EXT_conf_nid(nullptr, &ctx, NID_ext_key_usage, "clientAuth"), "make the EKU");
  check(X509_add_ext(c, eku, -1), "add the EKU");
  X509_EXTENSION_free(eku);
  if (X509_sign(c, ca_key, EVP_sha256()) <= 0) throw std::runtime_error("tls_load: cannot sign");
  return cert;
}

int connect_to(const std::string& host, const std::string& port) {
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

// One registration as device CERT; true when the answer is HTTP 200.
bool one(SSL_CTX* ctx, X509* cert, EVP_PKEY* key, const std::string& host, const std::string& port,
         const std::string& request) {
  int fd = connect_to(host, port);
  if (fd < 0) return false;
  SSL* ssl = SSL_new(ctx);
  SSL_use_certificate(ssl, cert);
  SSL_use_PrivateKey(ssl, key);
  SSL_set_fd(ssl, fd);
  SSL_set_tlsext_host_name(ssl, "vpn.example.com");
  bool ok = false;
  if (SSL_connect(ssl) == 1 && SSL_write(ssl, request.data(), int(request.size())) == int(request.size())) {
    std::string response;
    char buf[4096];
    int n;
    while ((n = SSL_read(ssl, buf, sizeof buf)) > 0) response.append(buf, size_t(n));
    ok = response.rfind("HTTP/1.1 200", 0) == 0;
    if (!ok) std::cerr << "tls_load: " << response.substr(0, response.find('\r')) << "\n";
  }
  SSL_shutdown(ssl);
  SSL_free(ssl);
  close(fd);
  return ok;
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::istringstream in(list);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

int run(char** argv) {
  std::string host = argv[1], port = argv[2];
  std::vector<std::string> paths = split(argv[3]);
  if (paths.empty()) throw std::runtime_error("tls_load: no path");
  unsigned long first = std::stoul(argv[7]);
  size_t count = std::stoul(argv[8]);

  auto ca = read_pem<Cert>(argv[5], "certificate", PEM_read_X509);
  auto ca_key = read_pem<Key>(argv[6], "private key", PEM_read_PrivateKey);
  Key device_key(check(EVP_EC_gen("P-256"), "make a P-256 key"));
  std::vector<Cert> certs;
  for (size_t i = 0; i < count; ++i)
    certs.push_back(issue(std::to_string(first + i), device_key.get(), ca.get(), ca_key.get(), long(first + i)));

  SSL_CTX* ctx = check(SSL_CTX_new(TLS_client_method()), "make a TLS context");
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  check(SSL_CTX_load_verify_locations(ctx, argv[4], nullptr), "load the server CA");
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);

  std::mt19937_64 random(std::random_device{}());
  size_t failed = 0;
  std::vector<std::vector<double>> millis(paths.size());
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < count; ++i) {
    for (size_t slot = 0; slot < paths.size(); ++slot) {
      size_t k = paths.size() >= 2 && slot < 2 && i % 2 ? 1 - slot : slot;
      autowg::WgKey::Bytes key;
      for (auto& b : key) b = uint8_t(random());
      std::string body = autowg::WgKey(key).base64() + "\n";
      std::string request = "POST " + paths[k] + " HTTP/1.1\r\nHost: vpn.example.com\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      auto t0 = std::chrono::steady_clock::now();
      if (!one(ctx, certs[i].get(), device_key.get(), host, port, request)) ++failed;
      millis[k].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
  }
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  size_t requests = count * paths.size();
  std::cout << "requests=" << requests << " failed=" << failed << " per_s=" << double(requests) / total
            << " total_s=" << total;
  for (size_t k = 0; k < paths.size(); ++k) {
    auto& m = millis[k];
    double sum = 0;
    for (double v : m) sum += v;
    std::sort(m.begin(), m.end());
    std::cout << " per_s_" << k << "=" << (sum > 0 ? 1000.0 * double(m.size()) / sum : 0.0) << " median_ms_" << k
              << "=" << (m.empty() ? 0.0 : m[m.size() / 2]);
  }
  std::cout << "\n";
  SSL_CTX_free(ctx);
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 9) {
    std::cerr << "usage: tls_load HOST PORT PATHS SERVER_CA DEVICE_CA_CERT DEVICE_CA_KEY FIRST_CN COUNT\n";
    return 2;
  }
  try {
    return run(argv);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    ERR_print_errors_fp(stderr);
    return 2;
  }
}
