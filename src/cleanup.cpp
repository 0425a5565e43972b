#include "cleanup.h"

#include <string>
#include <vector>

namespace autowg {

Result<CleanupReport> remove_pool_peers(Backend& backend, const Prefix& pool, std::ostream& out) {
  CleanupReport report;
  Change change;
  std::vector<std::string> lines;
  try {
    DeviceInfo info = backend.read([&](Peer&& peer) {
      if (!is_pool_peer(peer, pool)) {
        ++report.kept;
        return;
      }
      std::string line = "removed " + peer.public_key.base64();
      for (const auto& ip : peer.allowed_ips) line += " " + ip.str();
      lines.push_back(std::move(line));
      change.remove.push_back(peer.public_key);
    });
    if (!info.public_key) return fail("interface " + backend.interface() + " has no private key: is it configured?");
    backend.apply(change);
  } catch (const WgError& e) {
    return fail(e.what());
  }
  for (const auto& line : lines) out << line << '\n';
  report.removed = change.remove.size();
  return report;
}

}  // namespace autowg
