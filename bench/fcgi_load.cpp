// The responder's own cost, measured over FastCGI with nothing in front: a
// small load client that speaks FastCGI on autowg's socket, one connection
// per request as nginx uses it.
//
//   fcgi_load SOCKET register COUNT FIRST [NAME=VALUE...]
//       POST v1/register as CN=d<FIRST>.. with fresh keys; each NAME=VALUE is
//       one more param, its "%d" and "%x" replaced by the request's number
//       (FIRST, FIRST+1, ...) in decimal or hex: SSL_CLIENT_M_SERIAL=%x
//   fcgi_load SOCKET get PATH AUTH COUNT [STATUS]
//       GET PATH with "Authorization: AUTH" (none when AUTH is empty); a
//       request fails unless its answer has STATUS (default 200)
// Prints one line: requests=N failed=F median_us=M p90_us=P total_s=T bytes=B
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "wgkey.h"

namespace {

enum : uint8_t { kBeginRequest = 1, kEndRequest = 3, kParams = 4, kStdin = 5, kStdout = 6 };

void record(std::string& out, uint8_t type, const std::string& content) {
  for (size_t offset = 0; offset == 0 || offset < content.size(); offset += 65535) {
    size_t len = std::min<size_t>(65535, content.size() - offset);
    char header[8] = {1, char(type), 0, 1, char(len >> 8), char(len & 0xff), 0, 0};
    out.append(header, 8);
    out.append(content, offset, len);
    if (content.empty()) break;
  }
}

void pair(std::string& out, const std::string& name, const std::string& value) {
  for (size_t len : {name.size(), value.size()}) {
    if (len < 128) {
      out += char(len);
    } else {
      out += char(0x80 | (len >> 24));
      out += char(len >> 16);
      out += char(len >> 8);
      out += char(len);
    }
  }
  out += name;
  out += value;
}

std::string request(const std::vector<std::pair<std::string, std::string>>& params, const std::string& body) {
  std::string out;
  record(out, kBeginRequest, std::string("\0\1\0\0\0\0\0\0", 8));
  std::string p;
  for (const auto& [k, v] : params) pair(p, k, v);
  record(out, kParams, p);
  record(out, kParams, "");
  if (!body.empty()) record(out, kStdin, body);
  record(out, kStdin, "");
  return out;
}

// Sends one request on a new connection; the response's stdout, or "" on error.
std::string round_trip(const std::string& path, const std::string& message) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      write(fd, message.data(), message.size()) == ssize_t(message.size())) {
    std::string buffer;
    char chunk[65536];
    ssize_t n;
    bool ended = false;
    while (!ended && (n = read(fd, chunk, sizeof chunk)) > 0) {
      buffer.append(chunk, size_t(n));
      // Take whole records off the front.
      size_t pos = 0;
      while (buffer.size() - pos >= 8) {
        auto* h = reinterpret_cast<const uint8_t*>(buffer.data() + pos);
        size_t len = size_t(h[4]) << 8 | h[5], pad = h[6];
        if (buffer.size() - pos < 8 + len + pad) break;
        if (h[1] == kStdout) out.append(buffer, pos + 8, len);
        if (h[1] == kEndRequest) ended = true;
        pos += 8 + len + pad;
      }
      buffer.erase(0, pos);
    }
    if (!ended) out.clear();
  }
  close(fd);
  return out;
}

std::vector<std::pair<std::string, std::string>> base_params(const std::string& method, const std::string& uri) {
  return {{"REQUEST_METHOD", method}, {"REQUEST_URI", uri}, {"SCRIPT_NAME", uri}, {"SERVER_PROTOCOL", "HTTP/1.1"}};
}

// VALUE with "%d" and "%x" replaced by `number` in decimal and in hex.
std::string expand(std::string value, size_t number) {
  char hex[32];
  std::snprintf(hex, sizeof hex, "%zX", number);
  for (auto [token, text] : {std::pair<std::string, std::string>{"%d", std::to_string(number)}, {"%x", hex}})
    for (size_t at; (at = value.find(token)) != std::string::npos;) value.replace(at, token.size(), text);
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool reg = args.size() >= 4 && args[1] == "register";
  bool get = (args.size() == 5 || args.size() == 6) && args[1] == "get";
  if (!reg && !get) {
    std::cerr << "usage: fcgi_load SOCKET register COUNT FIRST [NAME=VALUE...] | fcgi_load SOCKET get PATH AUTH COUNT [STATUS]\n";
    return 2;
  }
  const std::string& socket_path = args[0];
  size_t count = std::stoul(reg ? args[2] : args[4]);
  size_t first = reg ? std::stoul(args[3]) : 0;
  std::string expected = "Status: " + (get && args.size() == 6 ? args[5] : std::string("200"));
  std::mt19937_64 random(std::random_device{}());
  std::vector<double> micros;
  size_t failed = 0, bytes = 0;
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < count; ++i) {
    std::string message;
    if (reg) {
      autowg::WgKey::Bytes key;
      for (auto& b : key) b = uint8_t(random());
      std::string body = autowg::WgKey(key).base64() + "\n";
      auto params = base_params("POST", "/v1/register");
      params.push_back({"HTTP_X_CLIENT_SUBJECT", "CN=d" + std::to_string(first + i)});
      params.push_back({"CONTENT_LENGTH", std::to_string(body.size())});
      for (size_t k = 4; k < args.size(); ++k) {
        auto eq = args[k].find('=');
        params.push_back({args[k].substr(0, eq), eq == std::string::npos ? "" : expand(args[k].substr(eq + 1), first + i)});
      }
      message = request(params, body);
    } else {
      auto params = base_params("GET", args[2]);
      if (!args[3].empty()) params.push_back({"HTTP_AUTHORIZATION", args[3]});
      message = request(params, "");
    }
    auto t0 = std::chrono::steady_clock::now();
    std::string response = round_trip(socket_path, message);
    auto t1 = std::chrono::steady_clock::now();
    micros.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    bytes += response.size();
    if (response.rfind(expected, 0) != 0) {
      if (failed++ == 0) std::cerr << "fcgi_load: first failure: " << response.substr(0, 200) << "\n";
    }
  }
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) { return micros.empty() ? 0.0 : micros[size_t(q * double(micros.size() - 1))]; };
  std::cout << "requests=" << count << " failed=" << failed << " median_us=" << at(0.5) << " p90_us=" << at(0.9)
            << " total_s=" << total << " bytes=" << bytes << "\n";
  return failed == 0 ? 0 : 1;
}
