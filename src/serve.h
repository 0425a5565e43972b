// `autowg serve`: the long-lived responder. It puts together the event loop,
// the FastCGI front end, the registry and the signals (SIGTERM/SIGINT stop
// once the requests under way are answered, a second one at once; SIGHUP
// re-reads the interface).
#pragma once

#include "options.h"

namespace autowg {

// Returns the exit status.
int serve(const Config& config);

}  // namespace autowg
