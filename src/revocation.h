// Certificate revocation lists: which serial numbers the fleet's CA(s) have
// revoked, so that a revoked device can be refused and its peer removed
// even where the web server does not check a CRL itself.
//
// The file is PEM (one or more "X509 CRL" blocks: the union is taken) or
// one DER CRL. With a CA file, each CRL's signature must verify against a
// CA certificate in it whose subject is the CRL's issuer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "result.h"

namespace autowg {

// The CA certificates of a --crl-ca file, parsed once and kept between
// loads while the file stays the same (device, inode, size, modification
// and change times): a new CRL is then checked without reading the CAs
// again, which under OpenSSL 3 costs as much as checking the signature.
class CrlCaCache {
 public:
  CrlCaCache();
  ~CrlCaCache();
  CrlCaCache(const CrlCaCache&) = delete;
  CrlCaCache& operator=(const CrlCaCache&) = delete;

 private:
  friend class RevocationList;
  struct Cached;
  std::unique_ptr<Cached> cached_;
};

class RevocationList {
 public:
  static constexpr size_t kMaxFileSize = size_t(64) << 20;

  // Nothing revoked.
  RevocationList() = default;

  // `ca_path` empty: the signatures are not checked. Fails on a file that is
  // missing, over kMaxFileSize, truncated, holds anything but CRLs, or holds
  // a CRL that no CA certificate of `ca_path` has signed; the error says
  // which and where. With `cache`, the CA file is read only when it changed.
  static Result<RevocationList> load(const std::string& crl_path, const std::string& ca_path,
                                     CrlCaCache* cache = nullptr);

  // `serial` as normalise_serial takes it (canonical text, or nginx's hex).
  // `issuer` is RFC 2253 text as read_certificate or nginx's
  // $ssl_client_i_dn give it (Apache's SSL_CLIENT_I_DN, with UTF-8 left
  // unescaped, matches too). Empty, or an issuer none of the CRLs has: the
  // serial is looked up in every CRL, so that an issuer spelt differently
  // never lets a revoked certificate through.
  bool revoked(std::string_view serial, std::string_view issuer = {}) const;

  // Whether a CRL of this issuer (as revoked() matches it) was loaded.
  bool knows_issuer(std::string_view issuer) const;

  // Every revoked serial (canonical), once per issuer that revoked it.
  template <typename Visit>
  void visit_serials(Visit&& visit) const {
    for (const auto& serials : serials_)
      for (const auto& serial : serials) visit(serial);
  }

  // Revoked serials, over all issuers.
  size_t size() const { return size_; }
  // The CRL issuers (RFC 2253), in file order, and joined by "; " for a log line.
  const std::vector<std::string>& issuers() const { return issuers_; }
  std::string issuer() const;
  // The earliest nextUpdate of the CRLs (Unix seconds); 0 when none has one.
  int64_t next_update() const { return next_update_; }

 private:
  std::vector<std::string> issuers_;
  std::vector<std::vector<std::string>> serials_;          // per issuer, as issuers_: sorted, each once
  std::unordered_map<std::string, size_t> by_issuer_text_;  // both spellings of each issuer → index
  size_t size_ = 0;
  int64_t next_update_ = 0;
};

}  // namespace autowg
