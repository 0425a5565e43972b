#include "dn.h"

#include <vector>

#include "text.h"

namespace autowg {
namespace {

struct Attribute {
  std::string type;
  std::string value;
};
using Rdn = std::vector<Attribute>;

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// descr ("CN", "commonName") or numericoid ("2.5.4.3", also "OID.2.5.4.3").
bool valid_type(std::string_view type) {
  std::string lower = ascii_lower(type);
  if (lower.rfind("oid.", 0) == 0) type.remove_prefix(4);
  if (type.empty()) return false;
  if (is_alpha(type[0])) {
    for (char c : type)
      if (!is_alpha(c) && !is_digit(c) && c != '-') return false;
    return true;
  }
  bool digit_seen = false;
  for (char c : type) {
    if (is_digit(c)) {
      digit_seen = true;
    } else if (c == '.' && digit_seen) {
      digit_seen = false;
    } else {
      return false;
    }
  }
  return digit_seen;
}

bool is_common_name(std::string_view type) {
  std::string t = ascii_lower(type);
  return t == "cn" || t == "commonname" || t == "2.5.4.3" || t == "oid.2.5.4.3";
}

class Rfc4514Parser {
 public:
  explicit Rfc4514Parser(std::string_view text) : s_(text) {}

  Result<std::vector<Rdn>> parse() {
    std::vector<Rdn> rdns(1);
    for (;;) {
      skip_spaces();
      auto type = parse_type();
      if (!type) return fail(type.error());
      skip_spaces();
      if (!eat('=')) return fail("expected '=' after '" + *type + "'");
      auto value = parse_value();
      if (!value) return fail(value.error());
      rdns.back().push_back(Attribute{*type, *value});
      if (at_end()) return rdns;
      char sep = s_[pos_++];
      if (sep == ',' || sep == ';') rdns.emplace_back();
      // '+' continues the same RDN.
    }
  }

 private:
  Result<std::string> parse_type() {
    size_t start = pos_;
    while (!at_end() && s_[pos_] != '=' && s_[pos_] != ' ') ++pos_;
    std::string type(s_.substr(start, pos_ - start));
    if (!valid_type(type)) return fail("bad attribute type '" + type + "'");
    return type;
  }

  Result<std::string> parse_value() {
    skip_spaces();
    if (!at_end() && s_[pos_] == '#') return fail("hex-encoded (#) attribute values are not accepted");
    std::string out;
    size_t keep = 0;  // length of `out` up to its last character that is not an unescaped space
    while (!at_end()) {
      char c = s_[pos_];
      if (c == ',' || c == '+' || c == ';') break;
      ++pos_;
      if (c == '\\') {
        auto escaped = parse_escape();
        if (!escaped) return fail(escaped.error());
        out += *escaped;
        keep = out.size();
        continue;
      }
      if (c == '"' || c == '<' || c == '>') return fail(std::string("unescaped '") + c + "' in a value");
      out += c;
      if (c != ' ') keep = out.size();
    }
    out.resize(keep);  // spaces before a separator are not part of the value
    return out;
  }

  Result<char> parse_escape() {
    if (at_end()) return fail("a value ends in a lone backslash");
    char c = s_[pos_];
    int hi = hex_value(c);
    if (hi >= 0) {
      int lo = pos_ + 1 < s_.size() ? hex_value(s_[pos_ + 1]) : -1;
      if (lo < 0) return fail("bad hex escape in a value");
      pos_ += 2;
      return char(hi << 4 | lo);
    }
    static const std::string_view kSpecial = ",+\"\\<>;= #";
    if (kSpecial.find(c) == std::string_view::npos) return fail(std::string("bad escape '\\") + c + "'");
    ++pos_;
    return c;
  }

  void skip_spaces() {
    while (!at_end() && s_[pos_] == ' ') ++pos_;
  }
  bool eat(char c) {
    if (at_end() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool at_end() const { return pos_ >= s_.size(); }

  std::string_view s_;
  size_t pos_ = 0;
};

// "/C=DE/O=Fleet/CN=1234": each '/'-piece is TYPE=VALUE, '+' joins a
// multi-valued RDN. OpenSSL writes non-printable bytes as \xHH.
Result<std::vector<Rdn>> parse_legacy(std::string_view text) {
  std::vector<Rdn> rdns;
  text.remove_prefix(1);
  for (;;) {
    auto slash = text.find('/');
    std::string_view piece = text.substr(0, slash);
    Rdn rdn;
    for (;;) {
      auto plus = piece.find('+');
      std::string_view part = piece.substr(0, plus);
      auto eq = part.find('=');
      if (eq == std::string_view::npos || !valid_type(part.substr(0, eq)))
        return fail("'" + std::string(part) + "' is not TYPE=VALUE");
      std::string value;
      std::string_view raw = part.substr(eq + 1);
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '\\' && i + 3 < raw.size() && raw[i + 1] == 'x' && hex_value(raw[i + 2]) >= 0 &&
            hex_value(raw[i + 3]) >= 0) {
          value += char(hex_value(raw[i + 2]) << 4 | hex_value(raw[i + 3]));
          i += 3;
        } else {
          value += raw[i];
        }
      }
      rdn.push_back(Attribute{std::string(part.substr(0, eq)), value});
      if (plus == std::string_view::npos) break;
      piece.remove_prefix(plus + 1);
    }
    rdns.push_back(std::move(rdn));
    if (slash == std::string_view::npos) return rdns;
    text.remove_prefix(slash + 1);
  }
}

}  // namespace

Result<std::string> cn_from_subject(std::string_view subject) {
  if (subject.empty()) return fail("the subject is empty");
  if (subject.size() > kMaxSubjectLength) return fail("the subject is too long");
  auto rdns = subject.front() == '/' ? parse_legacy(subject) : Rfc4514Parser(subject).parse();
  if (!rdns) return fail("malformed subject: " + rdns.error());

  const std::string* cn = nullptr;
  for (const auto& rdn : *rdns) {
    for (const auto& attribute : rdn) {
      if (!is_common_name(attribute.type)) continue;
      if (rdn.size() > 1) return fail("the CN is part of a multi-valued RDN");
      if (cn) return fail("the subject has more than one CN");
      cn = &attribute.value;
    }
  }
  if (!cn) return fail("the subject has no CN");
  return checked_cn(*cn);
}

}  // namespace autowg
