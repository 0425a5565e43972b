#include "options.h"

#include <argh.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "text.h"

namespace autowg {
namespace {

enum CommandBit : unsigned { kServe = 1, kCleanup = 2, kAddress = 4, kList = 8, kEvict = 16 };
constexpr unsigned kOnInterface = kServe | kCleanup | kList | kEvict;

struct OptionSpec {
  const char* name;
  const char* metavar;  // nullptr: a flag, which takes no value
  unsigned commands;
  const char* help;
};

// The one list of options: parsing and --help both read it.
const OptionSpec kOptions[] = {
    {"pool", "PREFIX", kOnInterface | kAddress,
     "IPv6 prefix the device addresses come from (required), e.g. fde3:25fb:7f6c:1::/64"},
    {"converter", "direct-bcd|metans", kServe | kAddress, "name-to-address scheme (default: direct-bcd)"},
    {"metans-template", "TEMPLATE", kServe | kAddress,
     "metans name template, exactly one %s, %% for a literal % (default: %s)"},
    {"cn-pattern", "REGEX", kServe | kAddress,
     "regex that must match the whole CN; its first group is the name (default: ([0-9a-zA-Z]+))"},
    {"route", "PREFIX", kServe, "IPv6 prefix the devices route into the tunnel (required)"},
    {"endpoint", "HOST", kServe, "host or IP devices connect to; the port comes from the interface (required)"},
    {"keepalive", "SECONDS", kServe, "persistent keepalive told to devices, 0-65535 (default: 25)"},
    {"http-prefix", "PATH", kServe, "URL path prefix of the API (default: /)"},
    {"subject-param", "NAME", kServe, "FastCGI param holding the subject DN (default: " AUTOWG_DEFAULT_SUBJECT_PARAM ")"},
    {"verify-param", "NAME", kServe, "FastCGI param that must be SUCCESS, e.g. SSL_CLIENT_VERIFY (default: none)"},
    {"cert-param", "NAME", kServe, "FastCGI param holding the PEM client certificate; the CN is read from it"},
    {"serial-param", "NAME", kServe,
     "FastCGI param holding the certificate's serial, where only the subject is passed (e.g. SSL_CLIENT_M_SERIAL)"},
    {"serial-format", "hex|decimal", kServe, "how --serial-param writes the serial (default: hex; Caddy: decimal)"},
    {"not-after-param", "NAME", kServe,
     "FastCGI param holding the certificate's notAfter as OpenSSL prints it (e.g. SSL_CLIENT_V_END)"},
    {"issuer-param", "NAME", kServe, "FastCGI param holding the certificate's issuer DN (e.g. SSL_CLIENT_I_DN)"},
    {"crl", "FILE", kServe,
     "the web server's CRL (PEM or DER): revoked devices are evicted at once and refused; re-read when the file "
     "changes and on SIGHUP"},
    {"crl-ca", "FILE", kServe, "CA certificates the CRL must be signed by (default: signatures are not checked)"},
    {"deny-file", "FILE", kServe,
     "device names to evict and refuse, one per line, # comments; re-read when it changes and on SIGHUP"},
    {"expiry-grace", "SECONDS", kServe,
     "keep a peer this long past its certificate's notAfter (default: 0); an expired certificate is refused"},
    {"idle-timeout", "SECONDS", kServe,
     "evict a pool peer with no handshake for this long (default: 0, off); checked at each re-read of the interface"},
    {"route-table", "TABLE", kServe | kCleanup | kEvict,
     "keep a route ADDRESS/128 dev IFACE for each registered device in this routing table, a number or main "
     "(default: none), for BIRD to announce; cleanup removes them all"},
    {"route-protocol", "N", kServe | kCleanup | kEvict,
     "the protocol number of those routes, 5-255 (default: 51, \"autowg\" in /etc/iproute2/rt_protos.d); routes of "
     "other protocols are never touched"},
    {"metrics-auth", "FILE", kServe,
     "file holding user:password for GET v1/metrics (default: the peers.json credential; neither: metrics off)"},
    {"auth-file", "FILE", kServe, "file holding user:password for peers.json (or env HTTP_AUTH)"},
    {"listen", "PATH|HOST:PORT", kServe,
     "socket to listen on (default: the socket on fd 0); a Unix socket gets mode 0660, HOST:PORT must be a "
     "loopback address unless --listen-public is given"},
    {"listen-public", nullptr, kServe,
     "allow --listen HOST:PORT on an address other than loopback (whoever reaches it can claim any identity)"},
    {"request-timeout", "SECONDS", kServe,
     "a request must arrive whole within this time, or its connection is dropped (default: 10)"},
    {"reconcile-interval", "SECONDS", kServe,
     "re-read the whole interface this often, and before a request when the view is older; while registrations "
     "keep coming, up to twice that (default: 60)"},
    {"log-format", "logfmt|json", kOnInterface, "log lines as logfmt (default) or as JSON objects, one per line"},
    {"state-dir", "DIR", kOnInterface, "runtime journal (default: /run/autowg)"},
    {"json", nullptr, kList, "print the answer as one JSON object"},
    {"backend", "netlink|uapi|auto", kOnInterface, "how to reach WireGuard (default: netlink); uapi: the socket /var/run/wireguard/IFACE.sock (wireguard-go, boringtun); auto: netlink when the kernel has IFACE, else uapi, decided when IFACE first exists"},
};

struct CommandSpec {
  const char* name;
  Command command;
  unsigned bit;
  const char* positional;
  const char* summary;
};

const CommandSpec kCommands[] = {
    {"serve", Command::Serve, kServe, "IFACE", "run the FastCGI responder for WireGuard interface IFACE"},
    {"cleanup", Command::Cleanup, kCleanup, "IFACE", "remove every pool peer from IFACE (run once at boot)"},
    {"list", Command::List, kList, "IFACE",
     "list the registered devices of IFACE (asks the running responder, or reads the interface itself)"},
    {"evict", Command::Evict, kEvict, "IFACE NAME...",
     "remove these devices' peers from IFACE now (through the running responder, if there is one)"},
    {"address", Command::Address, kAddress, "CN", "print the address a certificate CN gets"},
};

const CommandSpec* find_command(std::string_view name) {
  for (const auto& c : kCommands)
    if (name == c.name) return &c;
  return nullptr;
}

const OptionSpec* find_option(std::string_view name) {
  for (const auto& o : kOptions)
    if (name == o.name) return &o;
  return nullptr;
}

[[noreturn]] void refuse(const std::string& message) { throw UsageError(message); }

Prefix parse_prefix(const char* option, const std::string& text) {
  auto prefix = Prefix::parse(text);
  if (!prefix) refuse(std::string("--") + option + ": " + prefix.error());
  return *prefix;
}

int parse_int(const char* option, const std::string& text, int min, int max) {
  auto value = parse_number<int>(text);
  if (!value || *value < min || *value > max)
    refuse(std::string("--") + option + ": '" + text + "' is not a whole number from " + std::to_string(min) +
           " to " + std::to_string(max));
  return *value;
}

std::string parse_endpoint(const std::string& text) {
  if (text.empty()) refuse("--endpoint: must not be empty");
  std::string inner = text;
  if (text.front() == '[' && text.back() == ']') inner = text.substr(1, text.size() - 2);
  if (Address::parse(inner)) return "[" + inner + "]";
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_';
    if (c == ':') refuse("--endpoint: '" + text + "' has a port; give the host only, the port comes from the interface");
    if (!ok) refuse("--endpoint: '" + text + "' is not a host name or IP address");
  }
  return text;
}

std::string parse_http_prefix(const std::string& text) {
  if (text.empty() || text.front() != '/') refuse("--http-prefix: '" + text + "' must start with '/'");
  for (char c : text)
    if (c <= ' ' || c == '?' || c == '#' || c == 0x7f) refuse("--http-prefix: '" + text + "' is not a plain URL path");
  return text.back() == '/' ? text : text + "/";
}

std::string read_secret_file(const char* option, const std::string& path) {
  std::ifstream in(path);
  if (!in) refuse(std::string(option) + ": cannot read '" + path + "'");
  std::string secret;
  std::getline(in, secret);
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  return secret;
}

void check_secret(const std::string& secret, const std::string& origin) {
  if (secret.find(':') == std::string::npos || secret.front() == ':')
    refuse(origin + ": the monitoring secret must have the form user:password");
}

// Argh! treats an argument after an option as that option's value only when it
// does not look like an option itself, and trips on empty arguments. Joining
// "--name value" into "--name=value" for the known options lets any value
// through (an empty endpoint, a regex starting with '-'), and lets us refuse
// an option given twice, which Argh! would silently resolve.
std::vector<std::string> join_option_values(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  std::map<std::string, int> seen;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) == 0 && a.size() > 2) {
      std::string name = a.substr(2, a.find('=') == std::string::npos ? std::string::npos : a.find('=') - 2);
      if (const OptionSpec* o = find_option(name)) {
        if (seen[name]++) refuse("--" + name + " given more than once");
        if (!o->metavar) {
          if (a.find('=') != std::string::npos) refuse("--" + name + " takes no value");
          out.push_back(a);
          continue;
        }
        if (a.find('=') == std::string::npos) {
          if (i + 1 == args.size()) refuse("--" + name + " needs a value");
          out.push_back(a + "=" + args[++i]);
          continue;
        }
      }
    }
    if (a.empty()) refuse("an empty argument is not a valid " + std::string("interface name or CN"));
    out.push_back(a);
  }
  return out;
}

struct Parsed {
  std::map<std::string, std::string> params;
  std::set<std::string> flags;
  std::vector<std::string> positional;
  bool help = false;
};

Parsed parse_options(const CommandSpec& command, const std::vector<std::string>& args) {
  std::vector<std::string> before, after;
  bool dashdash = false;
  for (const auto& a : args) {
    if (!dashdash && a == "--") {
      dashdash = true;
      continue;
    }
    (dashdash ? after : before).push_back(a);
  }
  std::vector<std::string> joined = join_option_values(before);
  std::vector<const char*> argv{"autowg"};
  for (const auto& a : joined) argv.push_back(a.c_str());

  argh::parser cmdl;
  for (const auto& o : kOptions)
    if (o.metavar) cmdl.add_param(o.name);
  cmdl.parse(int(argv.size()), argv.data(), argh::parser::PREFER_FLAG_FOR_UNREG_OPTION);

  Parsed parsed;
  for (const auto& flag : cmdl.flags()) {
    if (flag == "help" || flag == "h") {
      parsed.help = true;
    } else if (const OptionSpec* o = find_option(flag)) {
      if (o->metavar) refuse("--" + flag + " needs a value");
      if (!(o->commands & command.bit)) refuse("--" + flag + " does not apply to 'autowg " + command.name + "'");
      parsed.flags.insert(flag);
    } else {
      refuse("unknown option '-" + std::string(flag.size() > 1 ? "-" : "") + flag + "' for 'autowg " +
             command.name + "' (see autowg " + command.name + " --help)");
    }
  }
  for (const auto& [name, value] : cmdl.params()) {
    const OptionSpec* o = find_option(name);
    if (!o) refuse("unknown option '--" + name + "' for 'autowg " + command.name + "'");
    if (!(o->commands & command.bit))
      refuse("--" + name + " does not apply to 'autowg " + command.name + "'");
    parsed.params[name] = value;
  }
  parsed.positional.assign(cmdl.pos_args().begin() + 1, cmdl.pos_args().end());
  parsed.positional.insert(parsed.positional.end(), after.begin(), after.end());
  return parsed;
}

std::string take(Parsed& p, const char* name, std::string fallback) {
  auto it = p.params.find(name);
  return it == p.params.end() ? fallback : it->second;
}

std::string require(Parsed& p, const char* name, const char* command) {
  auto it = p.params.find(name);
  if (it == p.params.end()) refuse(std::string("'autowg ") + command + "' needs --" + name);
  return it->second;
}

void fill_naming(Config& config, Parsed& p) {
  std::string kind = take(p, "converter", "direct-bcd");
  if (kind == "direct-bcd")
    config.converter_kind = ConverterKind::DirectBcd;
  else if (kind == "metans")
    config.converter_kind = ConverterKind::Metans;
  else
    refuse("--converter: '" + kind + "' is not one of direct-bcd, metans");
  config.metans_template = take(p, "metans-template", "%s");
  if (p.params.count("metans-template") && config.converter_kind != ConverterKind::Metans)
    refuse("--metans-template only applies with --converter metans");
  auto converter = make_converter(config.converter_kind, config.pool, config.metans_template);
  if (!converter) refuse(std::string(p.params.count("metans-template") ? "--metans-template" : "--pool") + ": " +
                         converter.error());
  config.converter = std::move(converter.value());
  auto pattern = CnPattern::compile(take(p, "cn-pattern", std::string(CnPattern::kDefault)));
  if (!pattern) refuse("--cn-pattern: " + pattern.error());
  config.cn_pattern = std::move(*pattern);
}

BackendKind parse_backend(const std::string& text) {
  if (text == "netlink") return BackendKind::Netlink;
  if (text == "uapi") return BackendKind::Uapi;
  if (text == "auto") return BackendKind::Auto;
  refuse("--backend: '" + text + "' is not one of netlink, uapi, auto");
}

void fill_routes(Config& config, Parsed& p) {
  if (p.params.count("route-protocol") && !p.params.count("route-table"))
    refuse("--route-protocol only applies with --route-table");
  if (!p.params.count("route-table")) return;
  const std::string& table = p.params["route-table"];
  auto number = table == "main" ? std::optional<uint32_t>(kMainTable) : parse_number<uint32_t>(table);
  if (!number || *number == 0 || *number == 255)
    refuse("--route-table: '" + table + "' is not main or a table number from 1 to 4294967295 other than 255 (local)");
  config.routes.table = *number;
  config.routes.protocol = uint8_t(parse_int("route-protocol", take(p, "route-protocol", std::to_string(kDefaultRouteProtocol)), 5, 255));
}

void fill_interface(Config& config, const std::string& name) {
  if (!valid_interface_name(name))
    refuse("'" + name + "' is not a valid interface name (1-15 bytes, no '/', ':' or blanks)");
  config.interface = name;
}

void fill_serve(Config& config, Parsed& p, const std::optional<std::string>& environment_auth) {
  ApiSettings& api = config.api;
  config.reconcile_interval = parse_int("reconcile-interval", take(p, "reconcile-interval", "60"), 1, 86400);
  api.route = parse_prefix("route", require(p, "route", "serve"));
  api.endpoint_host = parse_endpoint(require(p, "endpoint", "serve"));
  api.keepalive = parse_int("keepalive", take(p, "keepalive", "25"), 0, 65535);
  api.http_prefix = parse_http_prefix(take(p, "http-prefix", "/"));
  for (const char* name : {"subject-param", "verify-param", "cert-param"})
    if (p.params.count(name) && p.params[name].empty()) refuse(std::string("--") + name + ": must not be empty");
  api.identity.subject_param = take(p, "subject-param", api.identity.subject_param);
  api.identity.verify_param = take(p, "verify-param", "");
  api.identity.cert_param = take(p, "cert-param", "");
  for (const char* name : {"serial-param", "not-after-param", "issuer-param", "crl", "crl-ca", "deny-file"})
    if (p.params.count(name) && p.params[name].empty()) refuse(std::string("--") + name + ": must not be empty");
  api.identity.serial_param = take(p, "serial-param", "");
  api.identity.not_after_param = take(p, "not-after-param", "");
  api.identity.issuer_param = take(p, "issuer-param", "");
  std::string serial_format = take(p, "serial-format", "hex");
  if (serial_format != "hex" && serial_format != "decimal")
    refuse("--serial-format: '" + serial_format + "' is not one of hex, decimal");
  if (p.params.count("serial-format") && api.identity.serial_param.empty())
    refuse("--serial-format only applies with --serial-param");
  api.identity.serial_base = serial_format == "decimal" ? SerialBase::Decimal : SerialBase::Hex;
  LifecycleSettings& life = config.lifecycle;
  life.crl_path = take(p, "crl", "");
  life.crl_ca_path = take(p, "crl-ca", "");
  if (!life.crl_ca_path.empty() && life.crl_path.empty()) refuse("--crl-ca only applies with --crl");
  life.deny_path = take(p, "deny-file", "");
  life.expiry_grace = parse_int("expiry-grace", take(p, "expiry-grace", "0"), 0, 365 * 86400);
  life.idle_timeout = parse_int("idle-timeout", take(p, "idle-timeout", "0"), 0, 365 * 86400);
  if (life.idle_timeout > 0 && life.idle_timeout < 2 * config.reconcile_interval)
    refuse("--idle-timeout must be 0 (off) or at least twice --reconcile-interval (" +
           std::to_string(config.reconcile_interval) + " s): idleness is seen at each re-read of the interface");
  if (p.params.count("listen")) {
    auto listen = ListenSpec::parse(p.params["listen"]);
    if (!listen) refuse("--listen: " + listen.error());
    config.listen = *listen;
    if (listen->kind == ListenSpec::Kind::Tcp && !listen->loopback() && !p.flags.count("listen-public"))
      refuse("--listen " + listen->str() + " is not a loopback address: whoever reaches it can claim any " +
             "identity; give --listen-public as well if that is what you want");
  }
  if (p.flags.count("listen-public") && config.listen.kind != ListenSpec::Kind::Tcp)
    refuse("--listen-public only applies with --listen HOST:PORT");
  config.request_timeout = parse_int("request-timeout", take(p, "request-timeout", "10"), 1, 3600);
  if (p.params.count("auth-file")) {
    if (environment_auth) refuse("both HTTP_AUTH and --auth-file are set; use one");
    api.monitoring.peers_secret = read_secret_file("--auth-file", p.params["auth-file"]);
    check_secret(*api.monitoring.peers_secret, "--auth-file");
  } else if (environment_auth) {
    check_secret(*environment_auth, "HTTP_AUTH");
    api.monitoring.peers_secret = environment_auth;
  }
  if (p.params.count("metrics-auth")) {
    api.monitoring.metrics_secret = read_secret_file("--metrics-auth", p.params["metrics-auth"]);
    check_secret(*api.monitoring.metrics_secret, "--metrics-auth");
  }
}

}  // namespace

bool valid_interface_name(std::string_view name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (char c : name)
    if (c == '/' || c == ':' || c <= ' ' || c == 0x7f) return false;
  return true;
}

Config parse_command_line(const std::vector<std::string>& args, const std::optional<std::string>& environment_auth) {
  Config config;
  if (args.empty()) refuse("no command given (see autowg --help)");
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") return config;
  if (args[0] == "--version") {
    config.command = Command::Version;
    return config;
  }
  const CommandSpec* command = find_command(args[0]);
  if (!command) refuse("unknown command '" + args[0] + "' (expected serve, cleanup, address, list or evict)");

  Parsed p = parse_options(*command, std::vector<std::string>(args.begin() + 1, args.end()));
  if (p.help) {
    config.help_topic = command->command;
    return config;
  }
  config.command = command->command;
  if (command->command == Command::Evict) {
    if (p.positional.size() < 2) refuse("'autowg evict' needs IFACE and at least one NAME");
  } else if (p.positional.size() != 1) {
    refuse(std::string("'autowg ") + command->name + "' needs exactly one " + command->positional + " (got " +
           std::to_string(p.positional.size()) + ")");
  }

  config.pool = parse_prefix("pool", require(p, "pool", command->name));
  if (p.params.count("state-dir") && p.params["state-dir"].empty()) refuse("--state-dir: must not be empty");
  config.state_dir = take(p, "state-dir", config.state_dir);
  config.backend = parse_backend(take(p, "backend", "netlink"));
  std::string log_format = take(p, "log-format", "logfmt");
  if (log_format != "logfmt" && log_format != "json")
    refuse("--log-format: '" + log_format + "' is not one of logfmt, json");
  config.log_format = log_format == "json" ? LogFormat::Json : LogFormat::Logfmt;
  fill_routes(config, p);

  switch (config.command) {
    case Command::Address:
      config.cn = p.positional[0];
      fill_naming(config, p);
      break;
    case Command::Cleanup:
      fill_interface(config, p.positional[0]);
      break;
    case Command::List:
      fill_interface(config, p.positional[0]);
      config.json = p.flags.count("json") > 0;
      break;
    case Command::Evict:
      fill_interface(config, p.positional[0]);
      config.names.assign(p.positional.begin() + 1, p.positional.end());
      for (const auto& name : config.names)
        if (name.empty()) refuse("'autowg evict': an empty NAME");
      break;
    case Command::Serve:
      fill_interface(config, p.positional[0]);
      fill_naming(config, p);
      fill_serve(config, p, environment_auth);
      break;
    default:
      break;
  }
  return config;
}

std::string help_text(Command topic) {
  std::ostringstream out;
  if (topic == Command::Help) {
    out << "autowg " AUTOWG_VERSION " - WireGuard peers for devices identified by TLS client certificates\n\n"
        << "Usage:\n";
    for (const auto& c : kCommands)
      out << "  autowg " << c.name << " [options] " << c.positional << "\n      " << c.summary << "\n";
    out << "  autowg --version\n\n"
        << "Run 'autowg COMMAND --help' for the options of a command.\n"
        << "Options take their value as --name VALUE or --name=VALUE; '--' ends the options.\n"
        << "Exit status: 0 success, 1 refused or failed, 2 bad command line.\n"
        << "See man autowg for the whole story.\n";
    return out.str();
  }
  for (const auto& c : kCommands) {
    if (c.command != topic) continue;
    out << "Usage: autowg " << c.name << " [options] [--] " << c.positional << "\n" << c.summary << ".\n\nOptions:\n";
    for (const auto& o : kOptions) {
      if (!(o.commands & c.bit)) continue;
      std::string head = std::string("  --") + o.name + (o.metavar ? std::string(" ") + o.metavar : "");
      out << head << "\n      " << o.help << "\n";
    }
    if (c.command == Command::Serve)
      out << "\nEnvironment:\n  HTTP_AUTH   user:password that enables GET v1/peers.json (or --auth-file)\n"
          << "Signals: SIGHUP re-reads the interface, --crl and --deny-file; SIGTERM stops accepting, answers\n"
          << "the requests under way and exits (a second one: at once).\n";
    if (c.command == Command::Address)
      out << "\nPrints the address in RFC 5952 form; exit status 1 with the reason when the CN is refused.\n";
  }
  return out.str();
}

}  // namespace autowg
