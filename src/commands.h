// The short-lived commands: `address`, `cleanup`, `list`, `evict`. Each
// returns its exit status and prints its own errors.
#pragma once

#include "options.h"

namespace autowg {

int run_address(const Config& config);
int run_cleanup(const Config& config);
// list and evict: through the running responder when there is one, else on
// the interface directly, under its lock.
int run_list(const Config& config);
int run_evict(const Config& config);

}  // namespace autowg
