// Command line → a validated Config. Every startup refusal lives here: a bad
// option stops the program with one line on stderr and exit status 2 before
// anything touches an interface.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cn_pattern.h"
#include "http_api.h"
#include "lifecycle.h"
#include "ip6.h"
#include "listen.h"
#include "log.h"
#include "naming.h"
#include "route_table.h"
#include "wireguard.h"

namespace autowg {

enum class Command { Serve, Cleanup, Address, List, Evict, Help, Version };

struct Config {
  Command command = Command::Help;
  // For Help: the subcommand whose help was asked for (Help = the overview).
  Command help_topic = Command::Help;

  std::string interface;  // serve, cleanup, list, evict
  std::string cn;         // address
  std::vector<std::string> names;  // evict
  bool json = false;               // list

  Prefix pool;
  std::shared_ptr<const Converter> converter;  // serve, address
  std::optional<CnPattern> cn_pattern;         // serve, address
  ConverterKind converter_kind = ConverterKind::DirectBcd;
  std::string metans_template = "%s";

  ApiSettings api;  // serve
  LifecycleSettings lifecycle;  // serve
  std::string state_dir = "/run/autowg";
  BackendKind backend = BackendKind::Netlink;
  ListenSpec listen;  // serve; by default the socket on fd 0
  int request_timeout = 10;  // seconds
  LogFormat log_format = LogFormat::Logfmt;
  int reconcile_interval = 60;
  RouteSettings routes;  // serve, cleanup, evict
};

// A startup refusal: what() is the one line printed before exit status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `environment_auth` is the process's HTTP_AUTH, if set.
Config parse_command_line(const std::vector<std::string>& args,
                          const std::optional<std::string>& environment_auth);

std::string help_text(Command topic);

// Linux's rules for a network interface name (IFNAMSIZ-1 bytes, no '/', ':'
// or whitespace, not "." or "..").
bool valid_interface_name(std::string_view name);

}  // namespace autowg
