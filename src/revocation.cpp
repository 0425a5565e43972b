#include "revocation.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <ctime>
#include <functional>
#include <memory>

#include "bounded_read.h"
#include "cert_params.h"
#include "certificate.h"
#include "text.h"

namespace autowg {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct OpenSslFree {
  void operator()(void* p) const { OPENSSL_free(p); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct CrlFree {
  void operator()(X509_CRL* c) const { X509_CRL_free(c); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using CrlPtr = std::unique_ptr<X509_CRL, CrlFree>;

using DerVisitor = std::function<Result<bool>(const unsigned char* der, long len)>;

// Hands the DER of each PEM block of `data` whose type is `type` to `visit`,
// one at a time; blocks of another type are skipped when `skip_others`,
// else refused. Text before a block is skipped, as PEM allows; a block that
// does not decode (truncated, bad base64) and text after the last block are
// refused.
Result<bool> for_each_pem_block(std::string_view data, const char* type, bool skip_others, const DerVisitor& visit) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(data.data(), int(data.size())));
  if (!bio) return fail("out of memory");
  for (int n = 1;; ++n) {
    char* rest = nullptr;
    long left = BIO_get_mem_data(bio.get(), &rest);
    std::string_view remaining(rest, size_t(left > 0 ? left : 0));
    if (trim(remaining).empty()) return true;
    char *found = nullptr, *header = nullptr;
    unsigned char* der = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &found, &header, &der, &len) != 1) {
      ERR_clear_error();
      return fail(remaining.find("-----BEGIN ") == std::string_view::npos
                      ? "unexpected text after PEM block " + std::to_string(n - 1)
                      : "PEM block " + std::to_string(n) + " is truncated or malformed");
    }
    std::unique_ptr<char, OpenSslFree> found_owner(found), header_owner(header);
    std::unique_ptr<unsigned char, OpenSslFree> der_owner(der);
    if (std::strcmp(found, type) != 0) {
      if (skip_others) continue;
      return fail("PEM block " + std::to_string(n) + " is a " + found + " where an " + type + " was expected");
    }
    auto visited = visit(der, len);
    if (!visited) return fail("PEM block " + std::to_string(n) + ": " + visited.error());
  }
}

// The objects of a PEM file (as above), or the one object of a DER file.
Result<bool> for_each_object(std::string_view data, const char* type, bool skip_others, const DerVisitor& visit) {
  if (data.find("-----BEGIN ") != std::string_view::npos) return for_each_pem_block(data, type, skip_others, visit);
  return visit(reinterpret_cast<const unsigned char*>(data.data()), long(data.size()));
}

Result<std::vector<X509Ptr>> load_ca_certificates(const std::string& path) {
  auto data = read_file_bounded(path, RevocationList::kMaxFileSize);
  if (!data) return fail(data.error());
  std::vector<X509Ptr> cas;
  auto add = [&](const unsigned char* der, long len) -> Result<bool> {
    const unsigned char* p = der;
    X509Ptr cert(d2i_X509(nullptr, &p, len));
    if (!cert || p != der + len) return fail("not a certificate (malformed DER)");
    cas.push_back(std::move(cert));
    return true;
  };
  // A CA bundle may hold other blocks (keys, parameters): only certificates count.
  auto read = for_each_object(*data, PEM_STRING_X509, true, add);
  ERR_clear_error();
  if (!read) return fail("CA file " + path + ": " + read.error());
  if (cas.empty()) return fail("CA file " + path + " holds no certificate");
  return cas;
}

// Whether a CA certificate named as the CRL's issuer signed it; the error
// says what is missing.
Result<bool> check_signature(X509_CRL* crl, const std::vector<X509Ptr>& cas, const std::string& issuer) {
  bool named = false, may_sign = false;
  for (const auto& ca : cas) {
    if (X509_NAME_cmp(X509_get_subject_name(ca.get()), X509_CRL_get_issuer(crl)) != 0) continue;
    named = true;
    // No keyUsage extension at all reads as "every usage".
    if (!(X509_get_key_usage(ca.get()) & KU_CRL_SIGN)) continue;
    may_sign = true;
    EVP_PKEY* key = X509_get0_pubkey(ca.get());
    if (key && X509_CRL_verify(crl, key) == 1) return true;
  }
  ERR_clear_error();
  if (!named) return fail("no CA certificate has the CRL's issuer '" + issuer + "' as its subject");
  if (!may_sign) return fail("the CA certificate '" + issuer + "' may not sign CRLs (keyUsage without cRLSign)");
  return fail("the signature does not verify with the CA certificate '" + issuer + "'");
}

int64_t unix_time(const ASN1_TIME* time) {
  std::tm tm{};
  if (!time || ASN1_TIME_to_tm(time, &tm) != 1) return 0;
  return int64_t(timegm(&tm));
}

}  // namespace

Result<RevocationList> RevocationList::load(const std::string& crl_path, const std::string& ca_path) {
  std::vector<X509Ptr> cas;
  if (!ca_path.empty()) {
    auto loaded = load_ca_certificates(ca_path);
    if (!loaded) return fail(loaded.error());
    cas = std::move(*loaded);
  }
  auto data = read_file_bounded(crl_path, kMaxFileSize);
  if (!data) return fail(data.error());

  RevocationList list;
  size_t crls = 0;
  auto add = [&](const unsigned char* der, long len) -> Result<bool> {
    const unsigned char* p = der;
    CrlPtr crl(d2i_X509_CRL(nullptr, &p, len));
    if (!crl || p != der + len) return fail("not a CRL (truncated or malformed DER)");
    std::string issuer = name_text(X509_CRL_get_issuer(crl.get()));
    if (!ca_path.empty()) {
      auto signed_ok = check_signature(crl.get(), cas, issuer);
      if (!signed_ok) return fail(signed_ok.error() + " in " + ca_path);
    }
    auto [it, added] = list.by_issuer_text_.try_emplace(issuer, list.issuers_.size());
    if (added) {
      list.issuers_.push_back(issuer);
      list.serials_.emplace_back();
      list.by_issuer_text_.try_emplace(name_text(X509_CRL_get_issuer(crl.get()), false), it->second);
    }
    auto& serials = list.serials_[it->second];
    STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
    for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
      // A serial longer than any certificate autowg accepts can match none.
      auto serial = serial_text(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i)));
      if (serial) list.size_ += serials.insert(std::move(*serial)).second;
    }
    int64_t next = unix_time(X509_CRL_get0_nextUpdate(crl.get()));
    if (next != 0 && (list.next_update_ == 0 || next < list.next_update_)) list.next_update_ = next;
    ++crls;
    return true;
  };
  auto read = for_each_object(*data, PEM_STRING_X509_CRL, false, add);
  ERR_clear_error();
  if (!read) return fail("CRL file " + crl_path + ": " + read.error());
  if (crls == 0) return fail("CRL file " + crl_path + " holds no CRL");
  return list;
}

bool RevocationList::revoked(std::string_view serial, std::string_view issuer) const {
  auto canonical = normalise_serial(serial);
  if (!canonical) return false;
  if (!issuer.empty())
    if (auto it = by_issuer_text_.find(std::string(issuer)); it != by_issuer_text_.end())
      return serials_[it->second].count(*canonical) > 0;
  for (const auto& serials : serials_)
    if (serials.count(*canonical)) return true;
  return false;
}

bool RevocationList::knows_issuer(std::string_view issuer) const {
  return by_issuer_text_.count(std::string(issuer)) > 0;
}

std::string RevocationList::issuer() const {
  std::string joined;
  for (const auto& issuer : issuers_) joined += (joined.empty() ? "" : "; ") + issuer;
  return joined;
}

}  // namespace autowg
