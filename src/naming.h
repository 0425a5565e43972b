// Converters: a device name → its address in the pool (README "Which address
// will device X get?").
//
// direct-bcd writes a 1-4 digit number as BCD into the last 16 bits;
// metans hashes the name's DNS labels with BLAKE2b-128 (metans.net scheme).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ip6.h"
#include "result.h"

namespace autowg {

// A device's name: the first capture group of --cn-pattern applied to the CN.
struct Name {
  std::string value;
  bool operator==(const Name&) const = default;
};

struct NameHash {
  size_t operator()(const Name& n) const { return std::hash<std::string>()(n.value); }
};

enum class ConverterKind { DirectBcd, Metans };

class Converter {
 public:
  virtual ~Converter() = default;
  // The address for `name`, or why the name cannot have one.
  virtual Result<Address> address_for(const Name& name) const = 0;
  const Prefix& pool() const { return pool_; }

 protected:
  explicit Converter(const Prefix& pool) : pool_(pool) {}

 private:
  Prefix pool_;
};

// Validates the pool (and the metans template) for the converter; the error
// is a one-line message for startup.
Result<std::unique_ptr<Converter>> make_converter(ConverterKind kind, const Prefix& pool,
                                                  std::string_view metans_template = "%s");

// The longest pool prefix each converter accepts.
constexpr int kDirectBcdMaxPrefix = 112;
constexpr int kMetansMaxPrefix = 96;

std::string_view converter_name(ConverterKind kind);

}  // namespace autowg
