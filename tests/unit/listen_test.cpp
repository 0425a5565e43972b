#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd.h"
#include "listen.h"

using namespace autowg;

TEST_CASE("--listen: a path with a '/' is a Unix socket") {
  auto spec = ListenSpec::parse("/run/autowg/autowg.sock");
  REQUIRE(spec);
  CHECK(spec->kind == ListenSpec::Kind::Unix);
  CHECK(spec->path == "/run/autowg/autowg.sock");
  CHECK(ListenSpec::parse("./x.sock")->kind == ListenSpec::Kind::Unix);
  CHECK_FALSE(ListenSpec::parse("/" + std::string(200, 'x')));  // longer than sun_path
}

TEST_CASE("--listen: HOST:PORT, IPv6 in brackets") {
  auto tcp = ListenSpec::parse("127.0.0.1:9000");
  REQUIRE(tcp);
  CHECK(tcp->kind == ListenSpec::Kind::Tcp);
  CHECK(tcp->host == "127.0.0.1");
  CHECK(tcp->port == "9000");
  auto v6 = ListenSpec::parse("[::1]:9000");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->str() == "[::1]:9000");
  CHECK(ListenSpec::parse("localhost:1")->str() == "localhost:1");
  for (const char* bad : {"", "9000", ":9000", "::1:9000", "host:", "host:0", "host:65536", "host:12a", "host: 1"})
    CHECK_FALSE(ListenSpec::parse(bad));
}

TEST_CASE("a Unix listening socket is mode 0660 and gone when it closes") {
  char dir[] = "/tmp/autowg-listen-XXXXXX";
  REQUIRE(mkdtemp(dir));
  std::string path = std::string(dir) + "/s.sock";
  {
    auto socket = ListeningSocket::open(*ListenSpec::parse(path));
    REQUIRE(socket);
    struct stat st;
    REQUIRE(stat(path.c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK((st.st_mode & 0777) == 0660);
  }
  struct stat st;
  CHECK(stat(path.c_str(), &st) != 0);
  // A file that is not a socket is never replaced.
  { Fd(::open(path.c_str(), O_CREAT | O_WRONLY, 0600)); }
  auto refused = ListeningSocket::open(*ListenSpec::parse(path));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().find("not a socket") != std::string::npos);
  CHECK(stat(path.c_str(), &st) == 0);
  unlink(path.c_str());
  rmdir(dir);
}

TEST_CASE("Fd closes what it owns, once") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  {
    Fd a(fds[0]);
    Fd b(std::move(a));
    CHECK_FALSE(a);
    CHECK(b.get() == fds[0]);
  }
  CHECK(fcntl(fds[0], F_GETFD) == -1);  // closed by b
  Fd c(fds[1]);
  int raw = c.release();
  CHECK_FALSE(c);
  CHECK(fcntl(raw, F_GETFD) != -1);  // released, still open
  close(raw);
}
