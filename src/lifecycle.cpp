#include "lifecycle.h"

#include "log.h"

namespace autowg {

std::string_view reason_name(EvictionReason reason) {
  switch (reason) {
    case EvictionReason::Revoked: return "revoked";
    case EvictionReason::Denied: return "denied";
    case EvictionReason::Expired: return "expired";
    case EvictionReason::Idle: return "idle";
    case EvictionReason::Operator: return "operator";
    case EvictionReason::Cleanup: return "cleanup";
  }
  return "?";
}

void log_eviction(const Eviction& e, EvictionReason reason) {
  // Warning: a device loses its tunnel, which an operator wants to see.
  log_event(LogLevel::Warning, "evict",
            {{"reason", std::string(reason_name(reason))}, {"name", e.name}, {"ip", e.address.str()},
             {"key", e.key.fingerprint()}});
}

}  // namespace autowg
