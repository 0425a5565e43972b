// Real certificates for the tests, made by the openssl command line in a
// temporary directory that is removed afterwards.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace autowg::testing {

class OpenSslFixture {
 public:
  OpenSslFixture() {
    char tmpl[] = "/tmp/autowg-certs-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
  }
  ~OpenSslFixture() { std::filesystem::remove_all(dir_); }

  // A self-signed certificate for `subject` (openssl -subj syntax) with a
  // new key (openssl req -newkey syntax); returns the PEM.
  std::string certificate(const std::string& name, const std::string& subject, const std::string& extra = "",
                          const std::string& newkey = "ec -pkeyopt ec_paramgen_curve:P-256") {
    std::string cert = dir_ + "/" + name + ".crt";
    run("openssl req -x509 -newkey " + newkey + " -nodes -utf8 -days 1 " + extra + " -subj '" + subject +
        "' -keyout " + dir_ + "/" + name + ".key -out " + cert);
    return read(cert);
  }

  // The PEM private key of a certificate made above.
  std::string private_key(const std::string& name) { return read(dir_ + "/" + name + ".key"); }

  // The subject of a certificate as `openssl x509 -nameopt OPTS` prints it.
  std::string subject(const std::string& name, const std::string& nameopt) {
    std::string out = capture("openssl x509 -noout -subject -nameopt " + nameopt + " -in " + dir_ + "/" + name +
                              ".crt");
    if (out.rfind("subject=", 0) != 0) throw std::runtime_error("unexpected openssl output: " + out);
    out = out.substr(8);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  // One field as `openssl x509 -noout OPTION` prints it ("-serial",
  // "-enddate"), without its "name=".
  std::string field(const std::string& name, const std::string& option) {
    std::string out = capture("openssl x509 -noout " + option + " -in " + dir_ + "/" + name + ".crt");
    auto eq = out.find('=');
    if (eq == std::string::npos) throw std::runtime_error("unexpected openssl output: " + out);
    out = out.substr(eq + 1);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

 private:
  static void run(const std::string& command) {
    if (std::system((command + " 2>/dev/null").c_str()) != 0) throw std::runtime_error("failed: " + command);
  }
  static std::string capture(const std::string& command) {
    FILE* p = popen(command.c_str(), "r");
    if (!p) throw std::runtime_error("popen failed");
    std::string out;
    char buf[512];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
    return out;
  }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string dir_;
};

// As nginx writes $ssl_client_escaped_cert: every byte outside the URI
// unreserved set as %XX.
inline std::string nginx_escape(const std::string& text) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                 c == '.' || c == '_' || c == '~';
    if (plain) {
      out += char(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace autowg::testing
