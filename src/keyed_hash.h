// Hashing for indexes whose content a client chooses (keys, addresses):
// SipHash (libsodium's crypto_shorthash) under a key drawn at start, so that
// nobody can pick many entries that fall into one bucket.
#pragma once

#include <cstddef>
#include <cstdint>

namespace autowg {

size_t keyed_hash(const uint8_t* data, size_t length);

}  // namespace autowg
