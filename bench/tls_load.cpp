// Registrations as devices make them: a new TCP connection and a full TLS
// handshake with the client certificate for every request (no session
// resumption), a POST of a fresh key, the answer read to the end.
//
//   tls_load HOST PORT PATH CERT KEY CA COUNT
// Prints one line: requests=N failed=F per_s=R total_s=T
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <random>
#include <string>

#include "wgkey.h"

namespace {

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

// One registration; true when the answer is HTTP 200.
bool one(SSL_CTX* ctx, const std::string& host, const std::string& port, const std::string& request) {
  int fd = connect_to(host, port);
  if (fd < 0) return false;
  SSL* ssl = SSL_new(ctx);
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

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::cerr << "usage: tls_load HOST PORT PATH CERT KEY CA COUNT\n";
    return 2;
  }
  std::string host = argv[1], port = argv[2], path = argv[3];
  size_t count = std::stoul(argv[7]);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  if (SSL_CTX_use_certificate_chain_file(ctx, argv[4]) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, argv[5], SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_load_verify_locations(ctx, argv[6], nullptr) != 1) {
    std::cerr << "tls_load: cannot load the certificate, key or CA\n";
    return 2;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  std::mt19937_64 random(std::random_device{}());
  size_t failed = 0;
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < count; ++i) {
    autowg::WgKey::Bytes key;
    for (auto& b : key) b = uint8_t(random());
    std::string body = autowg::WgKey(key).base64() + "\n";
    std::string request = "POST " + path + " HTTP/1.1\r\nHost: vpn.example.com\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    if (!one(ctx, host, port, request)) ++failed;
  }
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "requests=" << count << " failed=" << failed << " per_s=" << double(count) / total
            << " total_s=" << total << "\n";
  SSL_CTX_free(ctx);
  return failed == 0 ? 0 : 1;
}
