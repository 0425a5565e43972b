// Identity: the FastCGI params the web server set → the device's name
// (README "Security model"). Where a verification param is configured anything but SUCCESS is
// refused; the CN comes from the PEM certificate when a certificate param is
// configured, else from the subject DN; --cn-pattern turns the CN into a name.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "cert_params.h"
#include "cn_pattern.h"
#include "naming.h"
#include "result.h"

namespace autowg {

using ParamLookup = std::function<std::optional<std::string_view>(std::string_view name)>;

// The original autowg's X-Client-Subject request header, as FastCGI names it.
// (A macro too, so that --help can splice it into its text at compile time.)
#define AUTOWG_DEFAULT_SUBJECT_PARAM "HTTP_X_CLIENT_SUBJECT"
inline constexpr std::string_view kDefaultSubjectParam = AUTOWG_DEFAULT_SUBJECT_PARAM;

struct IdentitySettings {
  std::string subject_param{kDefaultSubjectParam};
  std::string verify_param;  // empty: not checked
  std::string cert_param;    // empty: the subject is used
  // Where only the subject is passed, the certificate's serial, notAfter
  // and issuer may come from params too (empty: not looked for). With a
  // certificate param they come from the certificate.
  std::string serial_param;
  SerialBase serial_base = SerialBase::Hex;  // Caddy's placeholder is decimal
  std::string not_after_param;               // "Dec 31 23:59:59 2026 GMT"
  std::string issuer_param;
};

struct Identity {
  std::string cn;
  Name name;
  CertRecord cert;
};

// Why there is no identity: a 403, with a reason short enough for the body
// and the log.
struct IdentityError {
  enum class Kind {
    Unverified,  // --verify-param is not SUCCESS
    Missing,     // no certificate or subject at all
    BadSubject,  // a certificate or subject that does not parse, or whose CN is unusable
    CnRefused,   // --cn-pattern refused the CN
  };
  Kind kind;
  std::string reason;
};

Result<Identity, IdentityError> identify(const IdentitySettings& settings, const CnPattern& pattern,
                                         const ParamLookup& params);

}  // namespace autowg
