#include "identity.h"

#include "certificate.h"
#include "dn.h"

namespace autowg {

Result<Identity> identify(const IdentitySettings& settings, const CnPattern& pattern, const ParamLookup& params) {
  if (!settings.verify_param.empty()) {
    auto verdict = params(settings.verify_param);
    if (!verdict || *verdict != "SUCCESS")
      return fail("client certificate not verified (" + settings.verify_param + "=" +
                  std::string(verdict ? verdict->substr(0, 64) : "unset") + ")");
  }
  Result<std::string> cn = fail("");
  if (!settings.cert_param.empty()) {
    auto pem = params(settings.cert_param);
    if (!pem || pem->empty()) return fail("no client certificate (" + settings.cert_param + " is empty)");
    cn = cn_from_certificate(*pem);
  } else {
    auto subject = params(settings.subject_param);
    if (!subject || subject->empty()) return fail("no client certificate subject (" + settings.subject_param + ")");
    cn = cn_from_subject(*subject);
  }
  if (!cn) return fail("bad certificate subject: " + cn.error());
  auto name = pattern.name_for(*cn);
  if (!name) return fail("CN '" + *cn + "' refused: " + name.error());
  return Identity{*cn, *name};
}

}  // namespace autowg
