#include "identity.h"

#include "certificate.h"
#include "dn.h"

namespace autowg {
namespace {

// The serial, notAfter and issuer from the web server's params, where it
// passes them beside the subject. A param that is set but malformed refuses
// the request: it can only mean a misconfigured web server.
Result<CertRecord> record_from_params(const IdentitySettings& settings, const ParamLookup& params) {
  CertRecord cert;
  auto given = [&](const std::string& name) -> std::optional<std::string_view> {
    if (name.empty()) return std::nullopt;
    auto value = params(name);
    if (!value || value->empty()) return std::nullopt;
    return value;
  };
  if (auto serial = given(settings.serial_param)) {
    auto canonical = normalise_serial(*serial, settings.serial_base);
    if (!canonical) return fail(settings.serial_param + ": " + canonical.error());
    cert.serial = *canonical;
  }
  if (auto end = given(settings.not_after_param)) {
    auto time = parse_openssl_time(*end);
    if (!time) return fail(settings.not_after_param + ": " + time.error());
    cert.not_after = *time;
  }
  if (auto issuer = given(settings.issuer_param)) {
    if (issuer->size() > kMaxIssuerText) return fail(settings.issuer_param + ": too long");
    cert.issuer = std::string(*issuer);
  }
  return cert;
}

}  // namespace

namespace {
Failure<IdentityError> refuse(IdentityError::Kind kind, std::string reason) { return {{kind, std::move(reason)}}; }
}  // namespace

Result<Identity, IdentityError> identify(const IdentitySettings& settings, const CnPattern& pattern,
                                         const ParamLookup& params) {
  using Kind = IdentityError::Kind;
  if (!settings.verify_param.empty()) {
    auto verdict = params(settings.verify_param);
    if (!verdict || *verdict != "SUCCESS")
      return refuse(Kind::Unverified, "client certificate not verified (" + settings.verify_param + "=" +
                                          std::string(verdict ? verdict->substr(0, 64) : "unset") + ")");
  }
  Identity identity;
  if (!settings.cert_param.empty()) {
    auto pem = params(settings.cert_param);
    if (!pem || pem->empty()) return refuse(Kind::Missing, "no client certificate (" + settings.cert_param + " is empty)");
    auto facts = read_certificate(*pem);
    if (!facts) return refuse(Kind::BadSubject, "bad certificate subject: " + facts.error());
    identity.cn = std::move(facts->cn);
    identity.cert = CertRecord{std::move(facts->serial), std::move(facts->issuer), facts->not_after};
  } else {
    auto subject = params(settings.subject_param);
    if (!subject || subject->empty())
      return refuse(Kind::Missing, "no client certificate subject (" + settings.subject_param + ")");
    auto cn = cn_from_subject(*subject);
    if (!cn) return refuse(Kind::BadSubject, "bad certificate subject: " + cn.error());
    identity.cn = std::move(*cn);
    auto cert = record_from_params(settings, params);
    if (!cert) return refuse(Kind::BadSubject, "bad certificate details: " + cert.error());
    identity.cert = std::move(*cert);
  }
  auto name = pattern.name_for(identity.cn);
  if (!name) return refuse(Kind::CnRefused, "CN '" + identity.cn + "' refused: " + name.error());
  identity.name = std::move(*name);
  return identity;
}

}  // namespace autowg
