// A test driver for the real-kernel suite: it runs the registration service,
// the netlink backend's dump and its chunked set against a real interface,
// without FastCGI. Only the tests use it.
//
//   wg_driver session IFACE POOL STATE_DIR    commands on stdin, one answer line each:
//       register NAME ADDRESS KEY   → ok ADDRESS replaced=KEY|- gets=N sets=N | refused STATUS REASON
//       reconcile                   → ok | refused STATUS REASON
//       expire                      → ok   (the view is older than any bound from now on)
//       peers                       → NAME=ADDRESS ... (sorted)
//   wg_driver dump IFACE            → "peers N" then "KEY IP,IP..." per peer
//   wg_driver set IFACE KEY FILE    → sets KEY with the allowed-ips listed in FILE (one per line)
#include <fstream>
#include <iostream>
#include <sstream>

#include "http_api.h"
#include "journal.h"
#include "registry.h"
#include "wg_netlink.h"

using namespace autowg;

namespace {

int session(const std::string& iface, const Prefix& pool, const std::string& state_dir) {
  auto journal = Journal::open(state_dir, iface);
  if (!journal) {
    std::cout << "error " << journal.error() << std::endl;
    return 1;
  }
  auto backend = make_netlink_backend(iface);
  double offset = 0;
  Clock system = Clock::system();
  Clock clock{system.unix_seconds, [&] { return system.monotonic_seconds() + offset; }};
  Registry registry(*backend, pool, &journal.value(), clock, 60);
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    if (cmd == "register") {
      std::string name, address, key;
      in >> name >> address >> key;
      NetlinkCounters before = netlink_counters();
      auto r = registry.register_peer(Name{name}, *Address::parse(address), *WgKey::parse(key));
      NetlinkCounters after = netlink_counters();
      if (r)
        std::cout << "ok " << r->address.str() << " replaced=" << (r->replaced ? r->replaced->base64() : "-")
                  << " gets=" << after.get_device - before.get_device
                  << " sets=" << after.set_device - before.set_device << std::endl;
      else
        std::cout << "refused " << http_status(r.error().kind) << " " << r.error().reason << std::endl;
    } else if (cmd == "reconcile") {
      auto refused = registry.reconcile();
      std::cout << (refused ? "refused " + std::to_string(http_status(refused->kind)) + " " + refused->reason : "ok")
                << std::endl;
    } else if (cmd == "expire") {
      offset += 3600;
      std::cout << "ok" << std::endl;
    } else if (cmd == "peers") {
      std::string out;
      auto refused = registry.visit_peers([&](const PeerStatus& p) { out += p.name + "=" + p.address.str() + " "; });
      std::cout << (refused ? "refused " + refused->reason : out) << std::endl;
    } else if (cmd == "quit") {
      break;
    } else {
      std::cout << "error unknown command" << std::endl;
    }
  }
  return 0;
}

int dump(const std::string& iface) {
  auto backend = make_netlink_backend(iface);
  std::ostringstream lines;
  size_t count = 0;
  backend->read([&](Peer&& p) {
    ++count;
    lines << p.public_key.base64() << ' ';
    for (size_t i = 0; i < p.allowed_ips.size(); ++i) lines << (i ? "," : "") << p.allowed_ips[i].str();
    lines << '\n';
  });
  std::cout << "peers " << count << '\n' << lines.str();
  return 0;
}

int set(const std::string& iface, const std::string& key, const std::string& file) {
  Change change;
  change.sets.push_back(Change::Set{*WgKey::parse(key), {}});
  std::ifstream in(file);
  std::string text;
  while (in >> text) {
    auto slash = text.find('/');
    auto prefix = Prefix::parse(text);
    if (!prefix || slash == std::string::npos) {
      std::cerr << "bad allowed-ip " << text << "\n";
      return 2;
    }
    AllowedIp ip = AllowedIp::host(prefix->network());
    ip.cidr = uint8_t(prefix->length());
    change.sets.back().allowed_ips.push_back(ip);
  }
  NetlinkCounters before = netlink_counters();
  make_netlink_backend(iface)->apply(change);
  std::cout << "sets=" << netlink_counters().set_device - before.set_device << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  try {
    if (a.size() == 4 && a[0] == "session") return session(a[1], *Prefix::parse(a[2]), a[3]);
    if (a.size() == 2 && a[0] == "dump") return dump(a[1]);
    if (a.size() == 4 && a[0] == "set") return set(a[1], a[2], a[3]);
  } catch (const std::exception& e) {
    std::cout << "error " << e.what() << std::endl;
    return 1;
  }
  std::cerr << "usage: wg_driver session IFACE POOL STATE_DIR | dump IFACE | set IFACE KEY FILE\n";
  return 2;
}
