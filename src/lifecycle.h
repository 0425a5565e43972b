// The device lifecycle: why a pool peer leaves the interface before the next
// reboot, and the one log line each such eviction gets.
#pragma once

#include <string_view>

#include "registry.h"

namespace autowg {

enum class EvictionReason { Revoked, Denied, Expired, Idle, Operator, Cleanup };

std::string_view reason_name(EvictionReason reason);

// level=info event=evict reason=… name=… ip=… key=…
void log_eviction(const Eviction& eviction, EvictionReason reason);

}  // namespace autowg
