// `autowg cleanup`: the boot-time flush of every pool peer (README "Commands"): it
// keeps every peer with an allowed-ip outside the pool.
#pragma once

#include <cstddef>
#include <ostream>

#include "ip6.h"
#include "result.h"
#include "wireguard.h"

namespace autowg {

struct CleanupReport {
  size_t removed = 0;
  size_t kept = 0;  // static peers: an allowed-ip outside the pool, or none
};

// Removes every peer whose allowed-ips all lie in `pool`, chunked as the
// backend needs, and writes one line per removed peer to `out`. Fails when the
// interface is missing or has no private key.
Result<CleanupReport> remove_pool_peers(Backend& backend, const Prefix& pool, std::ostream& out);

}  // namespace autowg
