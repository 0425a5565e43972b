// WgKey::parse and WgKey::parse_hex (src/wgkey.h). Canonical base64 is one
// text per key, so an accepted text is exactly (blanks aside) the key's
// base64(), which parses back to the same key; the same for hex. And any 32
// bytes but zeros encode to a text that parses back to them.
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz_check.h"
#include "text.h"
#include "wgkey.h"

using namespace autowg;

namespace {

void check_key(const WgKey& key) {
  std::string b64 = key.base64();
  FUZZ_CHECK(b64.size() == 44 && b64.back() == '=', b64);
  FUZZ_CHECK(key.fingerprint() == b64.substr(0, 8), b64);
  auto again = WgKey::parse(b64);
  FUZZ_CHECK(again.ok() == !key.is_zero(), b64);
  if (again) FUZZ_CHECK(*again == key, b64);
  std::string hex = key.hex();
  FUZZ_CHECK(hex.size() == 64 && hex.find_first_not_of("0123456789abcdef") == std::string::npos, hex);
  auto from_hex = WgKey::parse_hex(hex);
  FUZZ_CHECK(from_hex && *from_hex == key, hex);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::as_text(data, size);

  if (auto key = WgKey::parse(text)) {
    FUZZ_CHECK(!key->is_zero());
    FUZZ_CHECK(key->base64() == trim(text), fuzz::printable(text));
    check_key(*key);
  }
  if (auto key = WgKey::parse_hex(text)) {
    FUZZ_CHECK(key->hex() == ascii_lower(text), fuzz::printable(text));
    check_key(*key);
  }
  if (size >= WgKey::kSize) {
    WgKey::Bytes bytes;
    std::memcpy(bytes.data(), data, bytes.size());
    check_key(WgKey(bytes));
  }
  return 0;
}
