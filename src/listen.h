// The listening socket of `autowg serve`: the one on fd 0 (spawn-fcgi,
// systemd StandardInput=socket), a Unix socket PATH, or HOST:PORT.
#pragma once

#include <string>

#include "fd.h"
#include "result.h"

namespace autowg {

// --listen, parsed once at startup.
struct ListenSpec {
  enum class Kind { Inherited, Unix, Tcp };
  Kind kind = Kind::Inherited;
  std::string path;  // Unix
  std::string host;  // Tcp: brackets removed; empty means every address
  std::string port;  // Tcp

  // A socket path (it has a '/') or HOST:PORT ([v6]:PORT for IPv6).
  static Result<ListenSpec> parse(const std::string& text);
  // A TCP host that is certainly loopback: 127.0.0.0/8, ::1 or "localhost".
  bool loopback() const;
  std::string str() const;
};

// Pending connections the kernel queues before autowg accepts them.
constexpr int kListenBacklog = 1024;

// An open listening socket. A Unix socket that autowg created is removed
// again when this goes away, so that a stopped responder leaves no file.
class ListeningSocket {
 public:
  static Result<ListeningSocket> open(const ListenSpec& spec);

  ListeningSocket(ListeningSocket&&) = default;
  ListeningSocket& operator=(ListeningSocket&&) = default;
  ~ListeningSocket();

  int fd() const { return fd_.get(); }

 private:
  ListeningSocket(Fd fd, std::string created_path) : fd_(std::move(fd)), created_path_(std::move(created_path)) {}

  Fd fd_;
  std::string created_path_;
};

}  // namespace autowg
