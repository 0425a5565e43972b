// CN → name → address (src/cn_pattern.h, src/naming.h): for any CN, each
// pattern and converter either refuses it or gives an address inside the
// pool. The default pattern's name is the whole CN; direct-bcd writes the
// digits as BCD; metans ignores ASCII case.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cn_pattern.h"
#include "fuzz_check.h"
#include "naming.h"
#include "text.h"

using namespace autowg;

namespace {

struct Setup {
  std::vector<CnPattern> patterns;
  struct Pool {
    ConverterKind kind;
    std::unique_ptr<Converter> converter;
  };
  std::vector<Pool> converters;

  Setup() {
    for (std::string_view regex : {CnPattern::kDefault, std::string_view("smart-toilet-(\\d+)"),
                                   std::string_view("(?i)(?:dev|node)-(?P<id>[a-z0-9.-]+)(?:\\.fleet)?")}) {
      auto pattern = CnPattern::compile(regex);
      if (!pattern) fuzz::violated("pattern compiles", __FILE__, __LINE__, pattern.error());
      patterns.push_back(*pattern);
    }
    add(ConverterKind::DirectBcd, "fde3:25fb:7f6c:1::/64");
    add(ConverterKind::DirectBcd, "fde3:25fb:7f6c:1::ab:0/112");
    add(ConverterKind::Metans, "fde3:25fb:7f6c:1::/64");
    add(ConverterKind::Metans, "fde3:25fb:7f6c:1:0:1::/96", "st%s.0");
    add(ConverterKind::Metans, "fde3:25fb:7f6c:1::/64", "%s.dev.example.com");
  }

  void add(ConverterKind kind, std::string_view pool, std::string_view tmpl = "%s") {
    auto converter = make_converter(kind, *Prefix::parse(pool), tmpl);
    if (!converter) fuzz::violated("converter is made", __FILE__, __LINE__, converter.error());
    converters.push_back(Pool{kind, std::move(*converter)});
  }
};

bool all_digits(const std::string& s) { return s.find_first_not_of("0123456789") == std::string::npos; }

void check(const Setup::Pool& pool, const Name& name) {
  const Converter& converter = *pool.converter;
  auto address = converter.address_for(name);
  if (!address) return;
  std::string what = fuzz::printable(name.value) + " -> " + address->str();
  FUZZ_CHECK(converter.pool().contains(*address), what);
  if (pool.kind == ConverterKind::DirectBcd) {
    FUZZ_CHECK(!name.value.empty() && name.value.size() <= 4 && all_digits(name.value), what);
    Address::Bytes host{};
    unsigned bcd = std::stoul(name.value, nullptr, 16);
    host[14] = uint8_t(bcd >> 8);
    host[15] = uint8_t(bcd);
    FUZZ_CHECK(*address == converter.pool().combine(host), what);
  } else {
    std::string upper = name.value;
    for (char& c : upper)
      if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
    auto again = converter.address_for(Name{upper});
    FUZZ_CHECK(again && *again == *address, what + ", but " + fuzz::printable(upper) + " is refused or elsewhere");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Setup setup;
  std::string_view cn = fuzz::as_text(data, size);
  for (size_t i = 0; i < setup.patterns.size(); ++i) {
    auto name = setup.patterns[i].name_for(cn);
    if (!name) continue;
    std::string what = "CN " + fuzz::printable(cn) + " gave the name " + fuzz::printable(name->value);
    FUZZ_CHECK(!name->value.empty() && cn.find(name->value) != std::string_view::npos, what);
    if (i == 0) FUZZ_CHECK(name->value == cn, what);
    for (const auto& pool : setup.converters) check(pool, *name);
  }
  // The converters also see names no pattern would let through.
  for (const auto& pool : setup.converters) check(pool, Name{std::string(cn)});
  return 0;
}
