#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <unistd.h>

#include "options.h"

using namespace autowg;

namespace {

using Args = std::vector<std::string>;

Args serve_args(Args extra = {}) {
  Args a{"serve", "--pool", "fde3:25fb:7f6c:1::/64", "--route", "fde3:25fb:7f6c::/48", "--endpoint", "vpn.example.com"};
  a.insert(a.end(), extra.begin(), extra.end());
  a.push_back("wg0");
  return a;
}

// The UsageError message, or "" when the command line is accepted.
std::string refusal(const Args& args, std::optional<std::string> auth = std::nullopt) {
  try {
    parse_command_line(args, auth);
    return "";
  } catch (const UsageError& e) {
    return e.what();
  }
}

#define CHECK_REFUSED(args, fragment)                      \
  do {                                                     \
    std::string msg = refusal(args);                       \
    INFO("message: " << msg);                              \
    CHECK(msg.find(fragment) != std::string::npos);        \
    CHECK(msg.find('\n') == std::string::npos);            \
  } while (0)

}  // namespace

TEST_CASE("a full serve command line becomes a Config") {
  Config c = parse_command_line(serve_args({"--keepalive", "0", "--http-prefix=/vpn", "--converter", "metans",
                                            "--metans-template", "st%s.0", "--cn-pattern", "smart-toilet-(\\d+)",
                                            "--verify-param", "SSL_CLIENT_VERIFY", "--backend", "auto"}),
                                std::nullopt);
  CHECK(c.command == Command::Serve);
  CHECK(c.interface == "wg0");
  CHECK(c.pool.str() == "fde3:25fb:7f6c:1::/64");
  CHECK(c.api.route.str() == "fde3:25fb:7f6c::/48");
  CHECK(c.api.endpoint_host == "vpn.example.com");
  CHECK(c.api.keepalive == 0);
  CHECK(c.api.http_prefix == "/vpn/");
  CHECK(c.api.identity.verify_param == "SSL_CLIENT_VERIFY");
  CHECK(c.api.identity.subject_param == "HTTP_X_CLIENT_SUBJECT");
  CHECK(c.backend == BackendKind::Auto);
  CHECK_FALSE(c.api.monitoring.peers_secret);
  auto name = c.cn_pattern->name_for("smart-toilet-1234");
  REQUIRE(name);
  CHECK(c.converter->address_for(*name)->str() == "fde3:25fb:7f6c:1:cb0b:5960:3f8c:99ad");
}

TEST_CASE("IPv6 endpoints are bracketed, host names kept") {
  auto endpoint = [](const char* text) {
    Args a = serve_args();
    a[6] = text;
    return parse_command_line(a, {}).api.endpoint_host;
  };
  CHECK(endpoint("2001:db8::1") == "[2001:db8::1]");
  CHECK(endpoint("[2001:db8::1]") == "[2001:db8::1]");
  CHECK(endpoint("192.0.2.7") == "192.0.2.7");
  CHECK(endpoint("vpn.example.com") == "vpn.example.com");
}

TEST_CASE("startup refuses a malformed or non-IPv6 pool or route") {
  CHECK_REFUSED(Args({"address", "--pool", "fd00::1/64", "1"}), "host bits");
  CHECK_REFUSED(Args({"address", "--pool", "10.0.0.0/8", "1"}), "not an IPv6 prefix");
  CHECK_REFUSED(Args({"address", "--pool", "garbage", "1"}), "--pool");
  Args bad_route = serve_args();
  bad_route[4] = "10.0.0.0/8";
  CHECK_REFUSED(bad_route, "--route");
  bad_route[4] = "fd00::/200";
  CHECK_REFUSED(bad_route, "0-128");
}

TEST_CASE("startup refuses a pool too small for the converter") {
  CHECK_REFUSED(Args({"address", "--pool", "fd00::/113", "1"}), "/112 or shorter");
  CHECK_REFUSED(Args({"address", "--converter", "metans", "--pool", "fd00::/100", "a"}), "metans");
}

TEST_CASE("startup refuses a template without exactly one %s") {
  CHECK_REFUSED(Args({"address", "--converter", "metans", "--metans-template", "x", "--pool", "fd00::/64", "a"}),
                "exactly once");
  CHECK_REFUSED(Args({"address", "--converter", "metans", "--metans-template", "%s%s", "--pool", "fd00::/64", "a"}),
                "exactly once");
  CHECK_REFUSED(Args({"address", "--metans-template", "%s", "--pool", "fd00::/64", "1"}), "--converter metans");
}

TEST_CASE("startup refuses a regex that does not compile or has no group") {
  CHECK_REFUSED(Args({"address", "--cn-pattern", "(", "--pool", "fd00::/64", "1"}), "--cn-pattern");
  CHECK_REFUSED(Args({"address", "--cn-pattern", "[0-9]+", "--pool", "fd00::/64", "1"}), "--cn-pattern");
}

TEST_CASE("startup refuses an empty endpoint, or one with a port") {
  Args a = serve_args();
  a[6] = "";
  CHECK_REFUSED(a, "--endpoint: must not be empty");
  a[6] = "vpn.example.com:51820";
  CHECK_REFUSED(a, "port");
  a[6] = "vpn example";
  CHECK_REFUSED(a, "--endpoint");
}

TEST_CASE("startup refuses bad interface names") {
  Args a = serve_args();
  a.back() = "sixteen-bytes-xx";
  CHECK_REFUSED(a, "not a valid interface name");
  a.back() = "a/b";
  CHECK_REFUSED(a, "not a valid interface name");
  a.back() = "fifteen-bytes-x";
  CHECK(refusal(a) == "");
  CHECK_REFUSED(Args({"cleanup", "--pool", "fd00::/64", "."}), "not a valid interface name");
}

TEST_CASE("startup refuses unknown, misplaced, repeated and valueless options") {
  CHECK_REFUSED(Args({"address", "--pool", "fd00::/64", "--frobnicate", "1"}), "unknown option");
  CHECK_REFUSED(Args({"address", "--pool", "fd00::/64", "--route", "fd00::/48", "1"}), "does not apply");
  CHECK_REFUSED(Args({"cleanup", "--pool", "fd00::/64", "--converter", "metans", "wg0"}), "does not apply");
  CHECK_REFUSED(Args({"address", "--pool"}), "needs a value");
  CHECK_REFUSED(serve_args({"--route", "fd00::/48"}), "given more than once");
  CHECK_REFUSED(Args({"address", "--pool", "fd00::/64"}), "exactly one CN");
  CHECK_REFUSED(Args({"address", "--pool", "fd00::/64", "1", "2"}), "exactly one CN");
  CHECK_REFUSED(Args({"address", "1"}), "needs --pool");
  CHECK_REFUSED(Args({"frobnicate"}), "unknown command");
  CHECK_REFUSED(Args({}), "no command");
  CHECK_REFUSED(serve_args({"--keepalive", "70000"}), "--keepalive");
  CHECK_REFUSED(serve_args({"--keepalive", "2x"}), "--keepalive");
  CHECK_REFUSED(serve_args({"--backend", "wasm"}), "--backend");
  CHECK_REFUSED(serve_args({"--converter", "sha1"}), "--converter");
  CHECK_REFUSED(serve_args({"--http-prefix", "vpn/"}), "--http-prefix");
  CHECK_REFUSED(serve_args({"--subject-param", ""}), "--subject-param");
}

TEST_CASE("'--' ends the options so a CN may start with '-'") {
  Config c = parse_command_line({"address", "--pool", "fd00::/64", "--", "-12"}, {});
  CHECK(c.cn == "-12");
  c = parse_command_line({"address", "--pool", "fd00::/64", "--", "--help"}, {});
  CHECK(c.command == Command::Address);
  CHECK(c.cn == "--help");
}

TEST_CASE("help and version") {
  CHECK(parse_command_line({"--help"}, {}).command == Command::Help);
  CHECK(parse_command_line({"--version"}, {}).command == Command::Version);
  Config c = parse_command_line({"serve", "--help"}, {});
  CHECK(c.command == Command::Help);
  CHECK(c.help_topic == Command::Serve);
  std::string serve_help = help_text(Command::Serve);
  for (const char* option : {"--pool", "--route", "--endpoint", "--http-prefix", "--cn-pattern", "--converter",
                             "--metans-template", "--keepalive", "--subject-param", "--verify-param", "--cert-param",
                             "--auth-file", "--state-dir", "--backend", "--listen"})
    CHECK(serve_help.find(option) != std::string::npos);
  CHECK(help_text(Command::Cleanup).find("--route ") == std::string::npos);  // --route-table is cleanup's
}

TEST_CASE("the monitoring secret comes from HTTP_AUTH or --auth-file, not both") {
  CHECK(*parse_command_line(serve_args(), std::string("admin:s3cret")).api.monitoring.peers_secret == "admin:s3cret");
  CHECK(refusal(serve_args(), std::string("nocolon")).find("user:password") != std::string::npos);

  char path[] = "/tmp/autowg-auth-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(path) << "monitor:pa:ss\n";
  CHECK(*parse_command_line(serve_args({"--auth-file", path}), std::nullopt).api.monitoring.peers_secret == "monitor:pa:ss");
  CHECK(refusal(serve_args({"--auth-file", path}), std::string("a:b")).find("both") != std::string::npos);
  std::remove(path);
  CHECK(refusal(serve_args({"--auth-file", path})).find("cannot read") != std::string::npos);
}
