// A test driver for the real-kernel route suite (tests/vm/route_suite): the
// registration service on a real WireGuard interface with its route table
// following it, and the time of a full read with and without the routes.
// Only the tests use it.
//
//   route_driver IFACE POOL STATE_DIR TABLE    commands on stdin, one answer line each:
//       register NAME ADDRESS KEY   → ok ADDRESS | refused REASON
//       evict NAME...               → ok N (the number evicted) | refused REASON
//       reconcile                   → ok seconds=S kept=N added=N removed=N failed=N route_seconds=S
//       read                        → ok seconds=S   (the same read of the interface, routes left alone)
//       failures                    → N (route changes that failed since the start)
#include <chrono>
#include <iostream>
#include <sstream>

#include "journal.h"
#include "registry.h"
#include "route_sync.h"
#include "text.h"

using namespace autowg;

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: route_driver IFACE POOL STATE_DIR TABLE\n";
    return 2;
  }
  std::string iface = argv[1];
  auto pool = Prefix::parse(argv[2]);
  auto table = parse_number<uint32_t>(argv[4]);
  auto journal = Journal::open(argv[3], iface);
  if (!pool || !table || !journal) {
    std::cout << "error bad arguments or state dir" << std::endl;
    return 1;
  }
  auto backend = make_backend(BackendKind::Netlink, iface);
  Registry registry(*backend, *pool, &journal.value(), Clock::system(), 1e9);
  RouteSync sync(make_netlink_route_table(iface, RouteSettings{*table, kDefaultRouteProtocol}));
  registry.observe(&sync);
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    if (cmd == "register") {
      std::string name, address, key;
      in >> name >> address >> key;
      auto r = registry.register_peer(Name{name}, *Address::parse(address), *WgKey::parse(key));
      std::cout << (r ? "ok " + r->address.str() : "refused " + r.error().reason) << std::endl;
    } else if (cmd == "evict") {
      std::vector<std::string> names;
      for (std::string name; in >> name;) names.push_back(name);
      auto r = registry.evict(names);
      std::cout << (r ? "ok " + std::to_string(r->size()) : "refused " + r.error().reason) << std::endl;
    } else if (cmd == "reconcile" || cmd == "read") {
      if (cmd == "read") registry.observe(nullptr);
      double start = now();
      auto refused = registry.reconcile();
      double took = now() - start;
      registry.observe(&sync);
      if (refused) {
        std::cout << "refused " << refused->reason << std::endl;
        continue;
      }
      std::ostringstream out;
      out.setf(std::ios::fixed);
      out.precision(3);
      out << "ok seconds=" << took;
      if (cmd == "reconcile") {
        const auto& s = sync.last_sync();
        out << " kept=" << s.kept << " added=" << s.added << " removed=" << s.removed << " failed=" << s.failed
            << " route_seconds=" << s.seconds;
      }
      std::cout << out.str() << std::endl;
    } else if (cmd == "failures") {
      std::cout << sync.failures() << std::endl;
    } else if (cmd == "quit") {
      break;
    } else {
      std::cout << "error unknown command" << std::endl;
    }
  }
  return 0;
}
