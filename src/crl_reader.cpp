#include "crl_reader.h"

#include <cstdint>
#include <string_view>

#include "cert_params.h"

namespace autowg {
namespace {

constexpr unsigned char kInteger = 0x02, kBitString = 0x03, kSequence = 0x30, kUtcTime = 0x17,
                        kGeneralizedTime = 0x18, kExtensions = 0xA0;  // [0] EXPLICIT, constructed

struct Element {
  unsigned char tag = 0;
  DerBytes whole;    // tag, length and contents
  DerBytes content;
};

// The elements of one DER content, in order. Offsets in errors count from
// the start of the CRL.
class Reader {
 public:
  Reader(DerBytes bytes, const unsigned char* origin)
      : at_(bytes.data()), end_(bytes.data() + bytes.size()), origin_(origin) {}

  bool at_end() const { return at_ == end_; }
  // The tag of the next element; 0 (no DER tag autowg reads) at the end.
  unsigned char peek() const { return at_ == end_ ? 0 : *at_; }

  Result<Element> next(unsigned char expected, const char* what) {
    const unsigned char* begin = at_;
    auto refused = [&](const char* why) { return fail(std::string(what) + why + offset(begin)); };
    if (at_ == end_) return refused(" is missing at byte ");
    if (*at_ != expected) return refused(" has the wrong type at byte ");
    if (end_ - at_ < 2) return refused(" is truncated at byte ");
    const unsigned char* p = at_ + 1;
    size_t length = *p++;
    if (length & 0x80) {
      // Long form; BER's non-minimal lengths are read as OpenSSL reads them.
      size_t bytes = length & 0x7f;
      if (bytes == 0) return refused(" has an indefinite length at byte ");
      if (bytes > 4) return refused(" is longer than 4 GiB at byte ");
      if (size_t(end_ - p) < bytes) return refused(" is truncated at byte ");
      length = 0;
      for (size_t i = 0; i < bytes; ++i) length = length << 8 | *p++;
    }
    if (length > size_t(end_ - p)) return refused(" is truncated at byte ");
    at_ = p + length;
    return Element{expected, DerBytes(begin, size_t(at_ - begin)), DerBytes(p, length)};
  }

  // A Time (UTCTime or GeneralizedTime).
  Result<Element> next_time(const char* what) {
    return next(peek() == kGeneralizedTime ? kGeneralizedTime : kUtcTime, what);
  }

  std::string offset(const unsigned char* at = nullptr) const { return std::to_string((at ? at : at_) - origin_); }

 private:
  const unsigned char* at_;
  const unsigned char* end_;
  const unsigned char* origin_;
};

// Each step of the walk: the next element, or the refusal passed up.
#define AUTOWG_TRY(decl, expr)                          \
  auto decl##_or = (expr);                              \
  if (!decl##_or) return fail(decl##_or.error());       \
  const Element& decl = *decl##_or

// X.690 8.3.2: an INTEGER has at least one byte, and its first nine bits
// are not all equal.
bool valid_integer(DerBytes n) {
  if (n.empty()) return false;
  return n.size() == 1 || !((n[0] == 0 && !(n[1] & 0x80)) || (n[0] == 0xff && (n[1] & 0x80)));
}

Result<bool> read_revoked(const Element& list, const unsigned char* origin, std::vector<DerBytes>& serials) {
  Reader entries(list.content, origin);
  while (!entries.at_end()) {
    AUTOWG_TRY(entry, entries.next(kSequence, "a revoked certificate entry"));
    Reader fields(entry.content, origin);
    AUTOWG_TRY(serial, fields.next(kInteger, "a revoked serial"));
    if (!valid_integer(serial.content))
      return fail("a revoked serial is not a valid INTEGER at byte " + std::to_string(serial.whole.data() - origin));
    if (auto date = fields.next_time("a revocation date"); !date) return fail(date.error());
    if (fields.peek() == kSequence)
      if (auto extensions = fields.next(kSequence, "an entry's extensions"); !extensions)
        return fail(extensions.error());
    if (!fields.at_end()) return fail("a revoked certificate entry has extra fields at byte " + fields.offset());
    serials.push_back(serial.content);
  }
  return true;
}

}  // namespace

Result<CrlParts> read_crl(DerBytes der) {
  const unsigned char* origin = der.data();
  CrlParts parts;
  Reader file(der, origin);
  AUTOWG_TRY(crl, file.next(kSequence, "the CertificateList"));
  if (!file.at_end()) return fail("bytes follow the CRL at byte " + file.offset());

  Reader top(crl.content, origin);
  AUTOWG_TRY(tbs, top.next(kSequence, "the TBSCertList"));
  AUTOWG_TRY(algorithm, top.next(kSequence, "the signature algorithm"));
  AUTOWG_TRY(signature, top.next(kBitString, "the signature"));
  if (!top.at_end()) return fail("the CertificateList has extra fields at byte " + top.offset());
  if (signature.content.empty() || signature.content[0] != 0)
    return fail("the signature is not a whole number of bytes");
  parts.whole = crl.whole;
  parts.signed_part = tbs.whole;
  parts.algorithm = algorithm.whole;
  parts.signature = signature.content.subspan(1);

  Reader fields(tbs.content, origin);
  if (fields.peek() == kInteger)
    if (auto version = fields.next(kInteger, "the version"); !version) return fail(version.error());
  AUTOWG_TRY(inner, fields.next(kSequence, "the TBSCertList's signature algorithm"));
  AUTOWG_TRY(issuer, fields.next(kSequence, "the issuer"));
  if (auto this_update = fields.next_time("thisUpdate"); !this_update) return fail(this_update.error());
  parts.inner_algorithm = inner.whole;
  parts.issuer = issuer.whole;
  if (fields.peek() == kUtcTime || fields.peek() == kGeneralizedTime) {
    AUTOWG_TRY(next_update, fields.next_time("nextUpdate"));
    parts.next_update = next_update.whole;
  }
  if (fields.peek() == kSequence) {
    AUTOWG_TRY(revoked, fields.next(kSequence, "the revoked certificates"));
    if (auto read = read_revoked(revoked, origin, parts.serials); !read) return fail(read.error());
  }
  if (fields.peek() == kExtensions)
    if (auto extensions = fields.next(kExtensions, "the CRL extensions"); !extensions) return fail(extensions.error());
  if (!fields.at_end()) return fail("the TBSCertList has extra fields at byte " + fields.offset());
  return parts;
}

#undef AUTOWG_TRY

Result<std::string> serial_from_integer(DerBytes integer) {
  constexpr size_t kMaxBytes = kMaxSerialDigits / 2 + 1;  // the most digits, and a sign byte
  if (integer.empty()) return fail("an empty INTEGER");
  if (integer.size() > kMaxBytes) return fail("longer than " + std::to_string(kMaxSerialDigits) + " hex digits");
  bool negative = integer[0] & 0x80;
  static const char hex[] = "0123456789ABCDEF";
  char digits[2 * kMaxBytes];
  // A negative number's magnitude is its two's complement (-x = ~x + 1),
  // from the last byte up.
  unsigned carry = negative ? 1 : 0;
  for (size_t i = integer.size(); i-- > 0;) {
    unsigned byte = negative ? (~unsigned(integer[i]) & 0xff) + carry : integer[i];
    carry = byte >> 8;
    digits[2 * i] = hex[(byte >> 4) & 15];
    digits[2 * i + 1] = hex[byte & 15];
  }
  std::string_view significant(digits, 2 * integer.size());
  while (significant.size() > 1 && significant.front() == '0') significant.remove_prefix(1);
  if (significant.size() > kMaxSerialDigits)
    return fail("longer than " + std::to_string(kMaxSerialDigits) + " hex digits");
  // As normalise_serial writes it: upper-case, no leading zeros, "-" before a negative one.
  return (negative ? "-" : "") + std::string(significant);
}

}  // namespace autowg
