// GET v1/peers.json: the named pool peers as one JSON object, streamed with
// RapidJSON's writer so 100 000 peers never become a DOM.
//   {"1234": {"created": 1735689600, "expires": 1767225599, "ip": "…",
//             "last_handshake": 0, "pubkey": "…", "rx_bytes": 0,
//             "serial": "1A2B", "tx_bytes": 0}, …}
// `expires` and `serial` only where the certificate's are known.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "registry.h"

namespace autowg {

class PeersJsonWriter {
 public:
  explicit PeersJsonWriter(std::function<void(std::string_view)> sink);
  ~PeersJsonWriter();
  void begin();
  void peer(const PeerStatus& peer);  // in name order
  void end();                          // flushes
  size_t count() const { return count_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  size_t count_ = 0;
};

}  // namespace autowg
