// Makes a benchmark's starting point: N pool peers named d0..d(N-1) with
// their metans addresses, as a `wg addconf` file and as autowg's journal, so
// that a responder started on it knows every peer by name.
//
//   bench_fixture N POOL TEMPLATE PEERS.conf IFACE.journal [FIRST]
// FIRST (default 0) names them d<FIRST>..d<FIRST+N-1>, with keys of their
// own: a second batch of new peers beside the first.
// TEMPLATE "-" gives consecutive addresses instead (pool + 1, + 2, ...):
// the kernel installs those several times faster than hashed ones, which is
// all the cleanup benchmark needs.
#include <fstream>
#include <iostream>
#include <random>

#include "journal.h"
#include "naming.h"

using namespace autowg;

int main(int argc, char** argv) {
  if (argc != 6 && argc != 7) {
    std::cerr << "usage: bench_fixture N POOL TEMPLATE PEERS.conf JOURNAL [FIRST]\n";
    return 2;
  }
  size_t n = std::stoul(argv[1]);
  size_t first = argc == 7 ? std::stoul(argv[6]) : 0;
  auto pool = Prefix::parse(argv[2]);
  if (!pool) {
    std::cerr << "bench_fixture: " << pool.error() << "\n";
    return 2;
  }
  bool consecutive = std::string(argv[3]) == "-";
  auto converter = make_converter(ConverterKind::Metans, *pool, consecutive ? "%s" : argv[3]);
  if (!converter) {
    std::cerr << "bench_fixture: " << converter.error() << "\n";
    return 2;
  }
  std::ofstream conf(argv[4]), journal(argv[5]);
  std::mt19937_64 random(42 + first);
  for (size_t i = first; i < first + n; ++i) {
    Name name{"d" + std::to_string(i)};
    Result<Address> address = (*converter)->address_for(name);
    if (consecutive) {
      auto bytes = pool->network().bytes();
      for (size_t k = 0, carry = i + 1; k < 8 && carry; ++k, carry >>= 8) bytes[15 - k] = uint8_t(carry);
      address = Address(bytes);
    }
    if (!address) {
      std::cerr << "bench_fixture: " << name.value << ": " << address.error() << "\n";
      return 1;
    }
    WgKey::Bytes bytes;
    for (size_t b = 0; b < bytes.size(); b += 8) {
      uint64_t r = random();
      for (size_t k = 0; k < 8; ++k) bytes[b + k] = uint8_t(r >> (8 * k));
    }
    WgKey key(bytes);
    conf << "[Peer]\nPublicKey = " << key.base64() << "\nAllowedIPs = " << address->str() << "/128\n";
    journal << format_journal_line({name, key, 1735689600});
  }
  return conf && journal ? 0 : 1;
}
