#include "revocation.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>

#include "bounded_read.h"
#include "cert_params.h"
#include "certificate.h"
#include "crl_reader.h"
#include "openssl_ptr.h"
#include "text.h"

namespace autowg {
namespace {

using ossl::X509Ptr;

using DerVisitor = std::function<Result<bool>(const unsigned char* der, long len)>;

// Hands the DER of each PEM block of `data` whose type is `type` to `visit`,
// one at a time; blocks of another type are skipped when `skip_others`,
// else refused. Text before a block is skipped, as PEM allows; a block that
// does not decode (truncated, bad base64) and text after the last block are
// refused.
Result<bool> for_each_pem_block(std::string_view data, const char* type, bool skip_others, const DerVisitor& visit) {
  ossl::BioPtr bio(BIO_new_mem_buf(data.data(), int(data.size())));
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
    ossl::OpenSslPtr<char> found_owner(found), header_owner(header);
    ossl::OpenSslPtr<unsigned char> der_owner(der);
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

// What tells one version of a file from another without reading it.
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  timespec modified{}, changed{};
  bool operator==(const FileIdentity& o) const {
    return device == o.device && inode == o.inode && size == o.size && modified.tv_sec == o.modified.tv_sec &&
           modified.tv_nsec == o.modified.tv_nsec && changed.tv_sec == o.changed.tv_sec &&
           changed.tv_nsec == o.changed.tv_nsec;
  }
};

std::optional<FileIdentity> identity_of(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileIdentity{st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim};
}

// Whether `key` made the CRL's signature: a digest and a key type named by
// the algorithm (or a key type that hashes itself, as Ed25519 does) are
// checked over the signed bytes as they are in the file. Algorithms with
// parameters of their own (RSA-PSS) go through OpenSSL's whole CRL, which
// reads them.
bool signed_by(const CrlParts& parts, EVP_PKEY* key) {
  // RFC 5280 5.1.1.2: the algorithm inside the signed part must be the same.
  if (!std::ranges::equal(parts.algorithm, parts.inner_algorithm)) return false;
  const unsigned char* p = parts.algorithm.data();
  ossl::AlgorPtr algorithm(d2i_X509_ALGOR(nullptr, &p, long(parts.algorithm.size())));
  int digest = NID_undef, key_type = NID_undef;
  if (!algorithm || !OBJ_find_sigid_algs(OBJ_obj2nid(algorithm->algorithm), &digest, &key_type)) return false;
  if (digest == NID_undef && key_type != NID_ED25519 && key_type != NID_ED448) {
    const unsigned char* whole = parts.whole.data();
    ossl::CrlPtr crl(d2i_X509_CRL(nullptr, &whole, long(parts.whole.size())));
    return crl && X509_CRL_verify(crl.get(), key) == 1;
  }
  if (!EVP_PKEY_is_a(key, OBJ_nid2sn(key_type))) return false;
  const EVP_MD* md = digest == NID_undef ? nullptr : EVP_get_digestbynid(digest);
  if (digest != NID_undef && !md) return false;
  ossl::MdCtxPtr ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) == 1 &&
         EVP_DigestVerify(ctx.get(), parts.signature.data(), parts.signature.size(), parts.signed_part.data(),
                          parts.signed_part.size()) == 1;
}

// Whether a CA certificate named as the CRL's issuer signed it; the error
// says what is missing.
Result<bool> check_signature(const CrlParts& parts, const X509_NAME* issuer_name, const std::vector<X509Ptr>& cas,
                             const std::string& issuer) {
  bool named = false, may_sign = false;
  for (const auto& ca : cas) {
    if (X509_NAME_cmp(X509_get_subject_name(ca.get()), issuer_name) != 0) continue;
    named = true;
    // No keyUsage extension at all reads as "every usage".
    if (!(X509_get_key_usage(ca.get()) & KU_CRL_SIGN)) continue;
    may_sign = true;
    EVP_PKEY* key = X509_get0_pubkey(ca.get());
    if (key && signed_by(parts, key)) return true;
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

struct CrlCaCache::Cached {
  std::string path;
  FileIdentity identity;
  std::vector<X509Ptr> cas;
};

CrlCaCache::CrlCaCache() = default;
CrlCaCache::~CrlCaCache() = default;

Result<RevocationList> RevocationList::load(const std::string& crl_path, const std::string& ca_path,
                                            CrlCaCache* cache) {
  std::vector<X509Ptr> read_now;
  const std::vector<X509Ptr>* cas = &read_now;
  if (!ca_path.empty()) {
    // Taken before the read: a file that changes in between is read again next time.
    auto identity = identity_of(ca_path);
    const CrlCaCache::Cached* cached = cache ? cache->cached_.get() : nullptr;
    if (cached && identity && cached->path == ca_path && cached->identity == *identity) {
      cas = &cached->cas;
    } else {
      auto loaded = load_ca_certificates(ca_path);
      if (!loaded) return fail(loaded.error());
      read_now = std::move(*loaded);
      if (cache && identity) {
        cache->cached_.reset(new CrlCaCache::Cached{ca_path, *identity, std::move(read_now)});
        cas = &cache->cached_->cas;
      }
    }
  }
  auto data = read_file_bounded(crl_path, kMaxFileSize);
  if (!data) return fail(data.error());

  RevocationList list;
  size_t crls = 0;
  auto add = [&](const unsigned char* der, long len) -> Result<bool> {
    auto parts = read_crl(DerBytes(der, size_t(len)));
    if (!parts) return fail("not a CRL (truncated or malformed DER: " + parts.error() + ")");
    const unsigned char* p = parts->issuer.data();
    ossl::NamePtr issuer_name(d2i_X509_NAME(nullptr, &p, long(parts->issuer.size())));
    if (!issuer_name || p != parts->issuer.data() + parts->issuer.size())
      return fail("not a CRL (truncated or malformed DER: the issuer is not a Name)");
    std::string issuer = name_text(issuer_name.get());
    if (!ca_path.empty()) {
      auto signed_ok = check_signature(*parts, issuer_name.get(), *cas, issuer);
      if (!signed_ok) return fail(signed_ok.error() + " in " + ca_path);
    }
    auto [it, added] = list.by_issuer_text_.try_emplace(issuer, list.issuers_.size());
    if (added) {
      list.issuers_.push_back(issuer);
      list.serials_.emplace_back();
      list.by_issuer_text_.try_emplace(name_text(issuer_name.get(), false), it->second);
    }
    auto& serials = list.serials_[it->second];
    serials.reserve(serials.size() + parts->serials.size());
    for (const auto& integer : parts->serials) {
      // A serial longer than any certificate autowg accepts can match none.
      auto serial = serial_from_integer(integer);
      if (serial) serials.push_back(std::move(*serial));
    }
    if (!parts->next_update.empty()) {
      p = parts->next_update.data();
      ossl::TimePtr time(d2i_ASN1_TIME(nullptr, &p, long(parts->next_update.size())));
      int64_t next = unix_time(time.get());
      if (next != 0 && (list.next_update_ == 0 || next < list.next_update_)) list.next_update_ = next;
    }
    ++crls;
    return true;
  };
  auto read = for_each_object(*data, PEM_STRING_X509_CRL, false, add);
  ERR_clear_error();
  if (!read) return fail("CRL file " + crl_path + ": " + read.error());
  if (crls == 0) return fail("CRL file " + crl_path + " holds no CRL");
  for (auto& serials : list.serials_) {
    std::sort(serials.begin(), serials.end());
    serials.erase(std::unique(serials.begin(), serials.end()), serials.end());
    list.size_ += serials.size();
  }
  return list;
}

bool RevocationList::revoked(std::string_view serial, std::string_view issuer) const {
  auto canonical = normalise_serial(serial);
  if (!canonical) return false;
  if (!issuer.empty())
    if (auto it = by_issuer_text_.find(std::string(issuer)); it != by_issuer_text_.end())
      return std::binary_search(serials_[it->second].begin(), serials_[it->second].end(), *canonical);
  for (const auto& serials : serials_)
    if (std::binary_search(serials.begin(), serials.end(), *canonical)) return true;
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
