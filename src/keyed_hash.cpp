#include "keyed_hash.h"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

namespace autowg {
namespace {

struct HashKey {
  unsigned char bytes[crypto_shorthash_KEYBYTES];
  HashKey() {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
    crypto_shorthash_keygen(bytes);
  }
};

}  // namespace

size_t keyed_hash(const uint8_t* data, size_t length) {
  static const HashKey key;
  unsigned char out[crypto_shorthash_BYTES];
  crypto_shorthash(out, data, length, key.bytes);
  size_t h;
  std::memcpy(&h, out, sizeof h);
  return h;
}

}  // namespace autowg
