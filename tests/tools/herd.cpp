// A herd of devices through a web server with client certificates, as after
// a power cut: COUNT devices, each with its own certificate (CN FIRST_CN,
// FIRST_CN+1, ...), register CONCURRENCY at a time, each over a new TLS
// connection with a fresh key.
//
//   herd HOST PORT PATH SERVER_CA DEVICE_CA_CERT DEVICE_CA_KEY FIRST_CN COUNT CONCURRENCY
//
// Prints one line per device, "CN STATUS KEY" (STATUS 0: no answer), then
// "# requests=N ok=N 5xx=N none=N per_s=R total_s=T".
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "device_tls.h"
#include "wgkey.h"

using namespace autowg::testing;

int main(int argc, char** argv) {
  if (argc != 10) {
    std::cerr << "usage: herd HOST PORT PATH SERVER_CA DEVICE_CA_CERT DEVICE_CA_KEY FIRST_CN COUNT CONCURRENCY\n";
    return 2;
  }
  try {
    std::string host = argv[1], port = argv[2], path = argv[3];
    unsigned long first = std::stoul(argv[7]);
    size_t count = std::stoul(argv[8]), concurrency = std::stoul(argv[9]);
    auto ca = read_pem<Cert>(argv[5], "certificate", PEM_read_X509);
    auto ca_key = read_pem<Key>(argv[6], "private key", PEM_read_PrivateKey);
    Key device_key(require(EVP_EC_gen("P-256"), "make a P-256 key"));
    std::vector<Cert> certs;
    std::vector<std::string> keys;
    std::mt19937_64 random(std::random_device{}());
    for (size_t i = 0; i < count; ++i) {
      certs.push_back(issue_device(std::to_string(first + i), device_key.get(), ca.get(), ca_key.get(), long(first + i)));
      autowg::WgKey::Bytes key;
      for (auto& b : key) b = uint8_t(random());
      keys.push_back(autowg::WgKey(key).base64());
    }
    SSL_CTX* ctx = require(SSL_CTX_new(TLS_client_method()), "make a TLS context");
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    require(SSL_CTX_load_verify_locations(ctx, argv[4], nullptr), "load the server CA");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);

    std::vector<int> status(count, 0);
    std::atomic<size_t> next{0};
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (size_t t = 0; t < concurrency; ++t)
      threads.emplace_back([&] {
        for (size_t i; (i = next++) < count;) {
          std::string body = keys[i] + "\n";
          std::string request = "POST " + path + " HTTP/1.1\r\nHost: vpn.example.com\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
          status[i] = request_as(ctx, certs[i].get(), device_key.get(), host, port, request);
        }
      });
    for (auto& t : threads) t.join();
    double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    size_t ok = 0, server_errors = 0, none = 0;
    for (size_t i = 0; i < count; ++i) {
      std::cout << first + i << " " << status[i] << " " << keys[i] << "\n";
      ok += status[i] == 200;
      server_errors += status[i] >= 500;
      none += status[i] == 0;
    }
    std::cout << "# requests=" << count << " ok=" << ok << " 5xx=" << server_errors << " none=" << none
              << " per_s=" << double(count) / total << " total_s=" << total << "\n";
    SSL_CTX_free(ctx);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "herd: " << e.what() << "\n";
    ERR_print_errors_fp(stderr);
    return 2;
  }
}
