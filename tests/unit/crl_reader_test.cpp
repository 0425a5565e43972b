#include <catch2/catch.hpp>

#include <openssl/rsa.h>

#include <string>
#include <vector>

#include "certificate.h"
#include "crl_reader.h"
#include "pki_fixture.h"
#include "revocation.h"

using namespace autowg;
using namespace autowg::testing;

namespace {

DerBytes bytes(const std::string& s) { return DerBytes(reinterpret_cast<const unsigned char*>(s.data()), s.size()); }

// The serials of a DER CRL as OpenSSL's whole decoding reads them.
std::vector<std::string> openssl_serials(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  Crl crl(d2i_X509_CRL(nullptr, &p, long(der.size())));
  check(bool(crl), "d2i_X509_CRL");
  std::vector<std::string> serials;
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    auto text = serial_text(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i)));
    serials.push_back(text ? *text : "refused");
  }
  return serials;
}

// The same, as read_crl and serial_from_integer read them.
std::vector<std::string> walked_serials(const std::string& der) {
  auto parts = read_crl(bytes(der));
  REQUIRE(parts);
  std::vector<std::string> serials;
  for (auto integer : parts->serials) {
    auto text = serial_from_integer(integer);
    serials.push_back(text ? *text : "refused");
  }
  return serials;
}

// A DER element: tag, length (short or long form), contents.
std::string tlv(unsigned char tag, const std::string& content) {
  std::string out(1, char(tag));
  size_t n = content.size();
  if (n < 0x80) {
    out += char(n);
  } else {
    std::string length;
    for (; n; n >>= 8) length.insert(length.begin(), char(n & 0xff));
    out += char(0x80 | length.size());
    out += length;
  }
  return out + content;
}

// A CRL built by hand around revoked entries (`entries`: their contents).
std::string hand_crl(const std::vector<std::string>& entries, const std::string& tail = "") {
  std::string algorithm = tlv(0x30, tlv(0x06, std::string("\x2a\x86\x48\xce\x3d\x04\x03\x02", 8)));
  std::string time = tlv(0x17, "260101000000Z");
  std::string list;
  for (const auto& e : entries) list += tlv(0x30, e);
  std::string tbs = tlv(0x02, std::string(1, '\x01')) + algorithm + tlv(0x30, "") + time +
                    (entries.empty() ? "" : tlv(0x30, list)) + tail;
  return tlv(0x30, tlv(0x30, tbs) + algorithm + tlv(0x03, std::string("\x00\x01\x02", 3)));
}
std::string entry(const std::string& integer_content) {
  return tlv(0x02, integer_content) + tlv(0x17, "260101000000Z");
}

std::string read_error(const std::string& der) {
  auto parts = read_crl(bytes(der));
  return parts ? "read" : parts.error();
}

// A CRL of `issuer` with some entry and CRL extensions, signed by `signer`
// with `sign` (which calls X509_CRL_sign or X509_CRL_sign_ctx).
template <class Sign>
std::string signed_crl(X509* issuer, const std::vector<std::string>& serials, Sign sign) {
  Crl crl(X509_CRL_new());
  check(crl && X509_CRL_set_version(crl.get(), 1), "X509_CRL_new");
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer));
  ASN1_TIME* now = X509_gmtime_adj(nullptr, 0);
  X509_CRL_set1_lastUpdate(crl.get(), now);
  X509_CRL_set1_nextUpdate(crl.get(), now);
  for (size_t i = 0; i < serials.size(); ++i) {
    X509_REVOKED* revoked = X509_REVOKED_new();
    ASN1_INTEGER* serial = asn1_serial(serials[i]);
    X509_REVOKED_set_serialNumber(revoked, serial);
    X509_REVOKED_set_revocationDate(revoked, now);
    if (i % 2) {  // every other entry with a reason code
      ASN1_ENUMERATED* reason = ASN1_ENUMERATED_new();
      ASN1_ENUMERATED_set(reason, 1);  // keyCompromise
      X509_REVOKED_add1_ext_i2d(revoked, NID_crl_reason, reason, 0, 0);
      ASN1_ENUMERATED_free(reason);
    }
    ASN1_INTEGER_free(serial);
    X509_CRL_add0_revoked(crl.get(), revoked);
  }
  ASN1_INTEGER* number = asn1_serial("2A");
  X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number, 0, 0);
  ASN1_INTEGER_free(number);
  ASN1_TIME_free(now);
  check(sign(crl.get()) > 0, "signing the CRL");
  return der(crl.get());
}

Cert self_signed(EVP_PKEY* key, const EVP_MD* md) {
  Cert cert(X509_new());
  check(cert && X509_set_version(cert.get(), 2), "X509_new");
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Odd CA"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key);
  check(X509_sign(cert.get(), key, md) > 0, "X509_sign");
  return cert;
}

}  // namespace

TEST_CASE("read_crl reads the serials that OpenSSL's decoding reads") {
  Key key = new_key();
  Cert ca = make_certificate(key.get(), "Fleet CA", "01", nullptr, nullptr, true);
  // Zero, a high bit that needs a sign byte, negatives (two's complement,
  // -128 and -256 at byte edges), 20 bytes, and 33 bytes (over the limit).
  std::vector<std::string> serials = {"0",  "5",    "7F",   "80",   "FF", "-1", "-80", "-81",  "-100", "-FF",
                                      "0123456789ABCDEF0123456789ABCDEF01234567", std::string(66, 'F')};
  std::string der_crl =
      signed_crl(ca.get(), serials, [&](X509_CRL* crl) { return X509_CRL_sign(crl, key.get(), EVP_sha256()); });
  auto walked = walked_serials(der_crl);
  CHECK(walked == openssl_serials(der_crl));
  REQUIRE(walked.size() == serials.size());
  CHECK(walked[0] == "0");
  CHECK(walked[3] == "80");
  CHECK(walked[8] == "-100");
  CHECK(walked[10] == "123456789ABCDEF0123456789ABCDEF01234567");
  CHECK(walked[11].rfind("refused", 0) == 0);

  auto parts = read_crl(bytes(der_crl));
  REQUIRE(parts);
  CHECK(parts->whole.size() == der_crl.size());
  CHECK_FALSE(parts->next_update.empty());
  CHECK(parts->signature.size() > 60);
  CHECK(std::equal(parts->algorithm.begin(), parts->algorithm.end(), parts->inner_algorithm.begin(),
                   parts->inner_algorithm.end()));

  // A version 1 CRL: no version, no nextUpdate, no extensions, no entries.
  Crl v1(X509_CRL_new());
  X509_CRL_set_issuer_name(v1.get(), X509_get_subject_name(ca.get()));
  ASN1_TIME* now = X509_gmtime_adj(nullptr, 0);
  X509_CRL_set1_lastUpdate(v1.get(), now);
  ASN1_TIME_free(now);
  REQUIRE(X509_CRL_sign(v1.get(), key.get(), EVP_sha256()) > 0);
  auto v1_parts = read_crl(bytes(der(v1.get())));
  REQUIRE(v1_parts);
  CHECK(v1_parts->serials.empty());
  CHECK(v1_parts->next_update.empty());
}

TEST_CASE("read_crl refuses what is not a whole, well-formed CRL") {
  Key key = new_key();
  Cert ca = make_certificate(key.get(), "Fleet CA", "01", nullptr, nullptr, true);
  std::string good = der(make_crl(ca.get(), key.get(), {"05", "06"}).get());
  REQUIRE(read_error(good) == "read");
  // Every prefix is truncated somewhere; nothing may follow.
  for (size_t n = 0; n < good.size(); ++n) CHECK(read_error(good.substr(0, n)) != "read");
  CHECK(read_error(good + '\0').find("bytes follow the CRL") != std::string::npos);
  CHECK(read_error("").find("is missing at byte 0") != std::string::npos);

  CHECK(read_error(hand_crl({entry("\x05")})) == "read");
  CHECK(walked_serials(hand_crl({entry(std::string("\x00\x80", 2))})) == std::vector<std::string>{"80"});
  // INTEGERs that X.690 does not allow: empty, or a superfluous first byte.
  CHECK(read_error(hand_crl({entry("")})).find("not a valid INTEGER") != std::string::npos);
  CHECK(read_error(hand_crl({entry(std::string("\x00\x05", 2))})).find("not a valid INTEGER") != std::string::npos);
  CHECK(read_error(hand_crl({entry("\xff\x85")})).find("not a valid INTEGER") != std::string::npos);
  // An entry with a field too many, a CRL with one, a wrong type.
  CHECK(read_error(hand_crl({entry("\x05") + tlv(0x30, "") + tlv(0x05, "")})).find("extra fields") !=
        std::string::npos);
  CHECK(read_error(hand_crl({}, tlv(0x05, ""))).find("the TBSCertList has extra fields") != std::string::npos);
  CHECK(read_error(hand_crl({tlv(0x04, "\x05") + tlv(0x17, "x")})).find("a revoked serial has the wrong type") !=
        std::string::npos);
  // An indefinite length (BER), a length over 4 GiB, a multi-byte tag.
  std::string indefinite = good;
  indefinite[1] = '\x80';
  CHECK(read_error(indefinite).find("indefinite length") != std::string::npos);
  CHECK(read_error(std::string("\x30\x85\x01\x00\x00\x00\x00", 7)).find("longer than 4 GiB") != std::string::npos);
  CHECK(read_error(std::string("\x3f\x01\x00", 3)).find("wrong type") != std::string::npos);
  // A signature that is not a whole number of bytes.
  std::string bits = hand_crl({});
  bits[bits.size() - 3] = '\x01';
  CHECK(read_error(bits).find("whole number of bytes") != std::string::npos);
}

TEST_CASE("CRL signatures of RSA, RSA-PSS, Ed25519 and P-384 CAs verify; altered ones do not") {
  Key rsa(EVP_RSA_gen(2048));
  Key ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  Key p384(EVP_EC_gen("P-384"));
  REQUIRE((rsa && ed && p384));
  struct Case {
    const char* what;
    EVP_PKEY* key;
    const EVP_MD* md;
    bool pss;
  };
  for (const Case& c : {Case{"RSA", rsa.get(), EVP_sha256(), false}, Case{"RSA-PSS", rsa.get(), EVP_sha256(), true},
                        Case{"Ed25519", ed.get(), nullptr, false}, Case{"P-384", p384.get(), EVP_sha384(), false}}) {
    INFO(c.what);
    Cert ca = self_signed(c.key, c.md);
    std::string crl = signed_crl(ca.get(), {"05", "06", "07"}, [&](X509_CRL* crl) {
      if (!c.pss) return X509_CRL_sign(crl, c.key, c.md);
      ossl::MdCtxPtr ctx(EVP_MD_CTX_new());
      EVP_PKEY_CTX* pctx = nullptr;
      if (EVP_DigestSignInit(ctx.get(), &pctx, c.md, nullptr, c.key) != 1 ||
          EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
          EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)
        return 0;
      return X509_CRL_sign_ctx(crl, ctx.get());
    });
    TempFiles files;
    std::string ca_path = files.write("ca.pem", pem(ca.get()));
    auto list = RevocationList::load(files.write("crl.der", crl), ca_path);
    REQUIRE(list);
    CHECK(list->size() == 3);
    CHECK(list->revoked("6", "CN=Odd CA"));

    // A revoked serial changed after signing: 07 becomes 08.
    std::string altered = crl;
    auto at = altered.find(std::string("\x02\x01\x07", 3));
    REQUIRE(at != std::string::npos);
    altered[at + 2] = '\x08';
    auto refused = RevocationList::load(files.write("altered.der", altered), ca_path);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().find("does not verify") != std::string::npos);
    CHECK(RevocationList::load(files.write("altered.der", altered), ""));  // no CA file: not checked
  }
}

TEST_CASE("a CRL whose outer signature algorithm is not the signed one is refused") {
  Key key = new_key();
  Cert ca = make_certificate(key.get(), "Fleet CA", "01", nullptr, nullptr, true);
  std::string crl = der(make_crl(ca.get(), key.get(), {"05"}).get());
  // ecdsa-with-SHA256 (1.2.840.10045.4.3.2): the outer one becomes SHA-384's.
  std::string oid("\x06\x08\x2a\x86\x48\xce\x3d\x04\x03\x02", 10);
  auto outer = crl.rfind(oid);
  REQUIRE(outer != std::string::npos);
  REQUIRE(crl.find(oid) < outer);
  crl[outer + oid.size() - 1] = '\x03';
  TempFiles files;
  auto list = RevocationList::load(files.write("crl.der", crl), files.write("ca.pem", pem(ca.get())));
  REQUIRE_FALSE(list);
  CHECK(list.error().find("does not verify") != std::string::npos);
}
