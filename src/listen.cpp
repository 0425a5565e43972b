#include "listen.h"

#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "log.h"
#include "text.h"

namespace autowg {
namespace {

Result<Fd> open_unix(const std::string& path) {
  sockaddr_un sa{};
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return fail("--listen: " + path + " exists and is not a socket");
    unlink(path.c_str());
  }
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail(with_errno("socket"));
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  // Only the owner and group (the web server's) may connect: whoever can
  // talk FastCGI here can claim any identity.
  mode_t old = umask(0117);
  int rc = bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  umask(old);
  if (rc != 0 || listen(fd.get(), kListenBacklog) != 0) return fail(with_errno("--listen " + path));
  return fd;
}

bool is_loopback(const addrinfo& found) {
  if (found.ai_family == AF_INET)
    return (ntohl(reinterpret_cast<const sockaddr_in*>(found.ai_addr)->sin_addr.s_addr) >> 24) == 127;
  return found.ai_family == AF_INET6 &&
         IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(found.ai_addr)->sin6_addr);
}

Result<Fd> open_tcp(const ListenSpec& spec) {
  addrinfo hints{}, *found = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  if (int rc = getaddrinfo(spec.host.empty() ? nullptr : spec.host.c_str(), spec.port.c_str(), &hints, &found);
      rc != 0)
    return fail("--listen: cannot resolve '" + spec.host + "': " + gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(found, freeaddrinfo);
  Fd fd(socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail(with_errno("socket"));
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd.get(), found->ai_addr, found->ai_addrlen) != 0 || listen(fd.get(), kListenBacklog) != 0)
    return fail(with_errno("--listen " + spec.str()));
  if (!is_loopback(*found))
    log_event(LogLevel::Warning, "listen",
              {{"address", spec.str()},
               {"reason", "not a loopback address: anyone who reaches it can claim any identity"}});
  return fd;
}

Result<Fd> inherited_socket() {
  int listening = 0;
  socklen_t len = sizeof listening;
  if (getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening)
    return fail("fd 0 is not a listening socket: run autowg serve under spawn-fcgi or systemd socket "
                "activation, or give --listen PATH|HOST:PORT");
  return Fd(0);
}

}  // namespace

Result<ListenSpec> ListenSpec::parse(const std::string& text) {
  ListenSpec spec;
  if (text.find('/') != std::string::npos) {
    if (text.size() >= sizeof(sockaddr_un{}.sun_path)) return fail("socket path too long: " + text);
    spec.kind = Kind::Unix;
    spec.path = text;
    return spec;
  }
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return fail("'" + text + "' is neither a socket path (with a '/') nor HOST:PORT");
  std::string host = text.substr(0, colon), port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string::npos)
    return fail("'" + text + "': an IPv6 address needs brackets, as in [::1]:PORT");
  auto number = parse_number<int>(port);
  if (!number || *number < 1 || *number > 65535)
    return fail("'" + text + "': the port must be a number from 1 to 65535");
  spec.kind = Kind::Tcp;
  spec.host = host;
  spec.port = port;
  return spec;
}

bool ListenSpec::loopback() const {
  if (host == "localhost" || host == "::1") return true;
  in_addr v4{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

std::string ListenSpec::str() const {
  switch (kind) {
    case Kind::Inherited: return "fd 0";
    case Kind::Unix: return path;
    case Kind::Tcp: return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
  }
  return "?";
}

Result<ListeningSocket> ListeningSocket::open(const ListenSpec& spec) {
  Result<Fd> fd = fail("");
  switch (spec.kind) {
    case ListenSpec::Kind::Inherited: fd = inherited_socket(); break;
    case ListenSpec::Kind::Unix: fd = open_unix(spec.path); break;
    case ListenSpec::Kind::Tcp: fd = open_tcp(spec); break;
  }
  if (!fd) return fail(fd.error());
  return ListeningSocket(std::move(*fd), spec.kind == ListenSpec::Kind::Unix ? spec.path : std::string());
}

ListeningSocket::~ListeningSocket() {
  if (fd_ && !created_path_.empty()) unlink(created_path_.c_str());
}

}  // namespace autowg
