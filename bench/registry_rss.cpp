// The responder's memory at N peers without a kernel: the registry's view
// built from a journal and an interface of N named pool peers (generated on
// the fly, so only autowg's own memory counts), then a peers.json pass.
// A quick host-side companion to the VM figure, for profiling.
//
//   registry_rss N STATE_DIR
// Prints: peers=N baseline_kib=B after_reconcile_kib=R peak_kib=P
#include <fstream>
#include <iostream>

#include "journal.h"
#include "registry.h"

using namespace autowg;

namespace {

long status_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(line.find(':') + 1));
  return -1;
}

WgKey key_of(size_t i) {
  WgKey::Bytes b{};
  for (size_t k = 0; k < 8; ++k) b[k] = uint8_t(i >> (8 * k));
  b[31] = 0x42;
  return WgKey(b);
}

Address address_of(const Prefix& pool, size_t i) {
  auto bytes = pool.network().bytes();
  for (size_t k = 0; k < 4; ++k) bytes[15 - k] = uint8_t((i + 1) >> (8 * k));
  return Address(bytes);
}

class SyntheticBackend final : public Backend {
 public:
  SyntheticBackend(size_t n, Prefix pool) : n_(n), pool_(pool) {}
  const std::string& interface() const override { return name_; }
  const char* name() const override { return "synthetic"; }
  uint64_t instance() override { return 1; }
  std::string missing_reason() override { return "never missing"; }
  DeviceInfo read(const PeerVisitor& on_peer) override {
    for (size_t i = 0; i < n_; ++i) on_peer(Peer{key_of(i), {AllowedIp::host(address_of(pool_, i))}, 0, 0, 0});
    return DeviceInfo{key_of(~size_t(0)), 51820};
  }
  void apply(const Change&) override {}

 private:
  size_t n_;
  Prefix pool_;
  std::string name_ = "wg0";
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: registry_rss N STATE_DIR\n";
    return 2;
  }
  size_t n = std::stoul(argv[1]);
  Prefix pool = *Prefix::parse("fde3:25fb:7f6c:1::/64");
  auto journal = Journal::open(argv[2], "wg0");
  if (!journal) {
    std::cerr << journal.error() << "\n";
    return 1;
  }
  {
    std::ofstream out(journal->path(), std::ios::trunc);
    for (size_t i = 0; i < n; ++i) out << format_journal_line({Name{"d" + std::to_string(i)}, key_of(i), 1735689600});
  }
  long baseline = status_kib("VmRSS");
  SyntheticBackend backend(n, pool);
  Registry registry(backend, pool, &journal.value(), Clock::system(), 60);
  registry.reconcile();
  long after = status_kib("VmRSS");
  size_t rows = 0;
  registry.visit_peers([&](const PeerStatus&) { ++rows; });
  std::cout << "peers=" << registry.named_count() << " rows=" << rows << " baseline_kib=" << baseline
            << " after_reconcile_kib=" << after << " peak_kib=" << status_kib("VmHWM") << "\n";
  return registry.named_count() == n && rows == n ? 0 : 1;
}
