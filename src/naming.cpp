#include "naming.h"

#include <sodium.h>

#include <stdexcept>
#include <vector>

#include "text.h"

namespace autowg {
namespace {

class DirectBcd final : public Converter {
 public:
  explicit DirectBcd(const Prefix& pool) : Converter(pool) {}

  Result<Address> address_for(const Name& name) const override {
    const std::string& s = name.value;
    if (s.empty() || s.size() > 4) return fail("direct-bcd needs a name of 1-4 digits, got '" + s + "'");
    Address::Bytes host{};
    unsigned bcd = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return fail("direct-bcd needs a name of 1-4 digits, got '" + s + "'");
      bcd = bcd << 4 | unsigned(c - '0');
    }
    host[14] = uint8_t(bcd >> 8);
    host[15] = uint8_t(bcd);
    return pool().combine(host);
  }
};

bool valid_label(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  for (char c : label)
    if (!alnum(c) && c != '-') return false;
  return alnum(label.front()) && alnum(label.back());
}

// Expands the printf-style template: exactly one %s, %% is a literal %.
Result<std::string> expand(std::string_view tmpl, std::string_view name) {
  std::string out;
  int substitutions = 0;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '%') {
      out += tmpl[i];
      continue;
    }
    char next = i + 1 < tmpl.size() ? tmpl[i + 1] : '\0';
    if (next == 's') {
      out += name;
      ++substitutions;
    } else if (next == '%') {
      out += '%';
    } else {
      return fail("metans template '" + std::string(tmpl) + "' has a '%' that is neither %s nor %%");
    }
    ++i;
  }
  if (substitutions != 1)
    return fail("metans template '" + std::string(tmpl) + "' must contain %s exactly once");
  return out;
}

class Metans final : public Converter {
 public:
  Metans(const Prefix& pool, std::string tmpl) : Converter(pool), template_(std::move(tmpl)) {}

  Result<Address> address_for(const Name& name) const override {
    if (name.value.empty()) return fail("metans needs a non-empty name");
    auto fqdn = expand(template_, ascii_lower(name.value));
    if (!fqdn) return fail(fqdn.error());

    std::vector<std::string_view> labels;
    std::string_view rest = *fqdn;
    for (;;) {
      auto dot = rest.find('.');
      labels.push_back(rest.substr(0, dot));
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
    for (auto label : labels)
      if (!valid_label(label))
        return fail("metans name '" + *fqdn + "' has an invalid DNS label '" + std::string(label) + "'");

    // Labels in reverse order, joined by one NUL byte.
    std::string message;
    for (auto it = labels.rbegin(); it != labels.rend(); ++it) {
      if (it != labels.rbegin()) message += '\0';
      message += *it;
    }
    Address::Bytes digest{};
    crypto_generichash(digest.data(), digest.size(), reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), nullptr, 0);
    return pool().combine(digest);
  }

 private:
  std::string template_;
};

}  // namespace

std::string_view converter_name(ConverterKind kind) {
  return kind == ConverterKind::DirectBcd ? "direct-bcd" : "metans";
}

Result<std::unique_ptr<Converter>> make_converter(ConverterKind kind, const Prefix& pool,
                                                  std::string_view metans_template) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  if (kind == ConverterKind::DirectBcd) {
    if (pool.length() > kDirectBcdMaxPrefix)
      return fail("pool " + pool.str() + " is too small for direct-bcd: it needs /" +
                  std::to_string(kDirectBcdMaxPrefix) + " or shorter (16 host bits)");
    return std::unique_ptr<Converter>(new DirectBcd(pool));
  }
  if (pool.length() > kMetansMaxPrefix)
    return fail("pool " + pool.str() + " is too small for metans: it needs /" + std::to_string(kMetansMaxPrefix) +
                " or shorter (32 host bits or more, so that hash collisions stay rare)");
  // The template's own labels must be valid whatever the name is.
  auto sample = expand(metans_template, "0");
  if (!sample) return fail(sample.error());
  auto converter = std::unique_ptr<Converter>(new Metans(pool, std::string(metans_template)));
  auto probe = converter->address_for(Name{"0"});
  if (!probe) return fail("metans template '" + std::string(metans_template) + "' is unusable: " + probe.error());
  return converter;
}

}  // namespace autowg
