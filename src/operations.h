// `autowg list` and `autowg evict`: what they do on a registry, answered as
// JSON (the wire format between the command and a running responder, and
// what `list --json` prints), and how the command shows that answer.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "lifecycle.h"
#include "registry.h"

namespace autowg {

// Request lines on the control socket.
std::string list_request();
std::string evict_request(const std::vector<std::string>& names);

// Runs one request line on `registry`; the answer is a JSON object, also
// for a refusal ({"error": "…"}).
// `evicted` hears of the devices an evict request removed.
std::string run_request(Registry& registry, const std::string& interface, std::string_view request,
                        const std::function<void(EvictionReason, size_t)>& evicted = {});

// Prints an answer for the operator; returns the exit status (list: 0, or 1
// on an error; evict: 0 when every name was there, 1 otherwise).
int show_list(const std::string& answer, bool json, int64_t now, std::ostream& out, std::ostream& err);
int show_evict(const std::string& answer, std::ostream& out, std::ostream& err);

}  // namespace autowg
