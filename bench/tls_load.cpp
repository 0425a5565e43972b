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
// (a path repeated later re-registers). Each request is timed alone. A path
// may end in =NNN, the status it must be answered with (else 200): a
// request that autowg refuses at once still crosses the whole FastCGI hop.
// Prints one line: requests=N failed=F per_s=R total_s=T, then per path K
// (0, 1, ...): per_s_K (requests per second of its own time) median_ms_K.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "device_tls.h"
#include "wgkey.h"

namespace {

using autowg::testing::Cert;
using autowg::testing::Key;
using autowg::testing::read_pem;
using autowg::testing::require;

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::istringstream in(list);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

int run(char** argv) {
  std::string host = argv[1], port = argv[2];
  std::vector<std::string> paths = split(argv[3]);
  if (paths.empty()) throw std::runtime_error("no path");
  std::vector<int> expected;
  for (auto& path : paths) {
    auto eq = path.rfind('=');
    bool status = eq != std::string::npos && path.size() - eq == 4 &&
                  path.find_first_not_of("0123456789", eq + 1) == std::string::npos;
    expected.push_back(status ? std::stoi(path.substr(eq + 1)) : 200);
    if (status) path.resize(eq);
  }
  unsigned long first = std::stoul(argv[7]);
  size_t count = std::stoul(argv[8]);

  auto ca = read_pem<Cert>(argv[5], "certificate", PEM_read_X509);
  auto ca_key = read_pem<Key>(argv[6], "private key", PEM_read_PrivateKey);
  Key device_key(require(EVP_EC_gen("P-256"), "make a P-256 key"));
  std::vector<Cert> certs;
  for (size_t i = 0; i < count; ++i)
    certs.push_back(autowg::testing::issue_device(std::to_string(first + i), device_key.get(), ca.get(), ca_key.get(),
                                                 long(first + i)));

  SSL_CTX* ctx = require(SSL_CTX_new(TLS_client_method()), "make a TLS context");
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  require(SSL_CTX_load_verify_locations(ctx, argv[4], nullptr), "load the server CA");
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
      int status = autowg::testing::request_as(ctx, certs[i].get(), device_key.get(), host, port, request);
      if (status != expected[k]) {
        std::cerr << "tls_load: " << paths[k] << " answered " << (status ? std::to_string(status) : "nothing") << "\n";
        ++failed;
      }
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
    std::cerr << "tls_load: " << e.what() << "\n";
    ERR_print_errors_fp(stderr);
    return 2;
  }
}
