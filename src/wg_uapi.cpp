#include "wg_uapi.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string_view>

#include "fd.h"
#include "openssl_ptr.h"
#include "text.h"

namespace autowg {
namespace {

// A userspace implementation that stops answering must not hold the
// responder forever.
constexpr int kTimeoutSeconds = 10;

WgError socket_error(int err, const std::string& path, const char* what) {
  std::string where = std::string(what) + " " + path + ": ";
  switch (err) {
    case ENOENT:
    case ECONNREFUSED:
      return WgError(WgError::Kind::NoDevice, where + "no such interface (no userspace WireGuard listens there)");
    case EACCES:
    case EPERM:
      return WgError(WgError::Kind::NotPermitted, where + "not permitted");
    default:
      return WgError(WgError::Kind::Other, where + std::strerror(err));
  }
}

std::optional<AllowedIp> parse_allowed_ip(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string address(text.substr(0, slash));
  auto cidr = parse_number<unsigned>(text.substr(slash + 1));
  AllowedIp ip;
  if (inet_pton(AF_INET6, address.c_str(), ip.addr.data()) == 1) {
    ip.family = AF_INET6;
    if (!cidr || *cidr > 128) return std::nullopt;
  } else if (inet_pton(AF_INET, address.c_str(), ip.addr.data()) == 1) {
    ip.family = AF_INET;
    if (!cidr || *cidr > 32) return std::nullopt;
  } else {
    return std::nullopt;
  }
  ip.cidr = uint8_t(*cidr);
  return ip;
}

// The interface's public key from its private key (X25519), which is what
// the uapi reports about the device itself.
std::optional<WgKey> public_from_private(const WgKey& private_key) {
  ossl::PkeyPtr pkey(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.bytes().data(), WgKey::kSize));
  if (!pkey) return std::nullopt;
  WgKey::Bytes pub;
  size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), pub.data(), &len) != 1 || len != pub.size()) return std::nullopt;
  return WgKey(pub);
}

// One connection to the uapi socket: a request out, then the answer read
// line by line up to the blank line that ends it.
class Connection {
 public:
  explicit Connection(const std::string& path) : path_(path), fd_(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    if (!fd_) throw socket_error(errno, path_, "connecting to");
    timeval tv{kTimeoutSeconds, 0};
    setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path_.size() >= sizeof addr.sun_path) throw WgError(WgError::Kind::Other, "uapi socket path too long: " + path_);
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    if (connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
      throw socket_error(errno, path_, "connecting to");
  }

  void send(std::string_view text) {
    while (!text.empty()) {
      ssize_t n = ::send(fd_.get(), text.data(), text.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw socket_error(errno, path_, "writing to");
      }
      text.remove_prefix(size_t(n));
    }
  }

  // The next line without its newline; false at the blank line that ends an
  // answer. An answer cut short is an error.
  bool next_line(std::string& line) {
    line.clear();
    for (;;) {
      if (pos_ == len_) fill();
      const char* start = buffer_ + pos_;
      const char* nl = static_cast<const char*>(std::memchr(start, '\n', len_ - pos_));
      if (!nl) {
        line.append(start, len_ - pos_);
        pos_ = len_;
        continue;
      }
      line.append(start, nl - start);
      pos_ += size_t(nl - start) + 1;
      return !line.empty();
    }
  }

 private:
  void fill() {
    for (;;) {
      ssize_t n = recv(fd_.get(), buffer_, sizeof buffer_, 0);
      if (n > 0) {
        pos_ = 0;
        len_ = size_t(n);
        return;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        throw WgError(WgError::Kind::Other, "reading from " + path_ + ": no answer within " +
                                                std::to_string(kTimeoutSeconds) + " s");
      if (n < 0) throw socket_error(errno, path_, "reading from");
      throw WgError(WgError::Kind::Other, "reading from " + path_ + ": the answer ended early");
    }
  }

  std::string path_;
  Fd fd_;
  char buffer_[64 * 1024];
  size_t pos_ = 0, len_ = 0;
};

// The `errno=N` that ends every answer; 0 is success.
void check_errno(std::string_view value, const std::string& path, const char* what) {
  // An errno is a small number, negative or not; anything else (LONG_MIN
  // among them, whose negation overflows) is a malformed answer.
  auto code = parse_number<int>(value);
  if (!code || *code < -4095 || *code > 4095)
    throw WgError(WgError::Kind::Other, std::string(what) + " " + path + ": malformed errno line");
  int err = *code < 0 ? -*code : *code;
  if (err == 0) return;
  // wireguard-go answers a set with an unusable value with EPROTO and one it
  // could not apply with EIO; neither names the cause more precisely.
  throw WgError(err == EPERM || err == EACCES ? WgError::Kind::NotPermitted : WgError::Kind::Other,
                std::string(what) + " " + path + ": refused: " + std::strerror(err));
}

class UapiBackend final : public Backend {
 public:
  explicit UapiBackend(std::string interface)
      : interface_(std::move(interface)), path_(uapi_socket_path(interface_)) {}

  const std::string& interface() const override { return interface_; }
  const char* name() const override { return "uapi"; }

  std::string missing_reason() override {
    return "interface " + interface_ + " does not exist: no userspace WireGuard listens on " + path_;
  }

  // The socket's inode changes when the userspace implementation restarts.
  uint64_t instance() override {
    struct stat st;
    if (stat(path_.c_str(), &st) < 0 || !S_ISSOCK(st.st_mode)) return 0;
    return uint64_t(st.st_ino) ^ (uint64_t(st.st_dev) << 32);
  }

  DeviceInfo read(const PeerVisitor& on_peer) override {
    Connection conn(path_);
    conn.send("get=1\n\n");
    DeviceInfo info;
    std::optional<Peer> peer;
    std::string line;
    bool ended = false;
    while (conn.next_line(line)) {
      size_t eq = line.find('=');
      if (eq == std::string::npos) malformed(line);
      std::string_view key(line.data(), eq), value(line.data() + eq + 1, line.size() - eq - 1);
      if (key == "errno") {
        check_errno(value, path_, "reading");
        ended = true;
      } else if (key == "public_key") {
        auto parsed = WgKey::parse_hex(value);
        if (!parsed) malformed(line);
        if (peer) on_peer(std::move(*peer));
        peer.emplace();
        peer->public_key = *parsed;
      } else if (!peer) {
        if (key == "private_key") {
          auto parsed = WgKey::parse_hex(value);
          if (!parsed) malformed("private_key=…");
          if (!parsed->is_zero()) info.public_key = public_from_private(*parsed);
        } else if (key == "listen_port") {
          auto port = parse_number<uint16_t>(value);
          if (!port) malformed(line);
          info.listen_port = *port;
        }
      } else if (key == "allowed_ip") {
        auto ip = parse_allowed_ip(value);
        if (!ip) malformed(line);
        peer->allowed_ips.push_back(*ip);
      } else if (key == "last_handshake_time_sec") {
        auto seconds = parse_number<int64_t>(value);
        if (!seconds) malformed(line);
        peer->last_handshake = *seconds;
      } else if (key == "rx_bytes" || key == "tx_bytes") {
        auto bytes = parse_number<uint64_t>(value);
        if (!bytes) malformed(line);
        (key == "rx_bytes" ? peer->rx_bytes : peer->tx_bytes) = *bytes;
      }
    }
    if (!ended) throw WgError(WgError::Kind::Other, "reading " + path_ + ": the answer has no errno line");
    if (peer) on_peer(std::move(*peer));
    return info;
  }

  // One `set=1` carries the whole change; the implementation applies it as
  // it reads, in order: the new key first, then the removals.
  void apply(const Change& change) override {
    std::string request = "set=1\n";
    for (const auto& set : change.sets) {
      request += "public_key=" + set.key.hex() + "\nreplace_allowed_ips=true\n";
      for (const auto& ip : set.allowed_ips) request += "allowed_ip=" + ip.str() + "\n";
    }
    for (const auto& key : change.remove) request += "public_key=" + key.hex() + "\nremove=true\n";
    request += "\n";
    Connection conn(path_);
    conn.send(request);
    std::string line;
    bool ended = false;
    while (conn.next_line(line)) {
      if (line.rfind("errno=", 0) != 0) malformed(line);
      check_errno(std::string_view(line).substr(6), path_, "changing");
      ended = true;
    }
    if (!ended) throw WgError(WgError::Kind::Other, "changing " + path_ + ": the answer has no errno line");
  }

 private:
  [[noreturn]] void malformed(const std::string& line) {
    throw WgError(WgError::Kind::Other, "reading " + path_ + ": malformed line '" + line.substr(0, 80) + "'");
  }

  std::string interface_;
  std::string path_;
};

}  // namespace

std::string uapi_socket_path(const std::string& interface) { return "/var/run/wireguard/" + interface + ".sock"; }

std::unique_ptr<Backend> make_uapi_backend(const std::string& interface) {
  return std::make_unique<UapiBackend>(interface);
}

bool uapi_socket_exists(const std::string& interface) {
  struct stat st;
  return stat(uapi_socket_path(interface).c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

}  // namespace autowg
