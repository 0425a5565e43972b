// FcgiGuard (src/fcgi_guard.h), the strict reader in front of libfcgi, on
// any bytes a peer of the socket may send, cut into feed() calls at points
// the input chooses. Each completed request is finished as the responder
// does, and after every call:
// - the body is at most the limit; the params are within their byte and
//   pair limits, hold no empty name and no NUL, and re-encode to pairs that
//   parse back the same;
// - at most one record's worth of bytes waits (8 + 65535 + 255);
// - what autowg writes back is well-formed records of the types it may send.
// Cutting the bytes differently changes nothing: a run that is fed all at
// once and stays error-free gives the same requests and replies when cut.
//
// Input: [flags] [k] [k cut lengths] [the byte stream]. Flags bit 0 selects
// small limits, so that every limit is reachable with small inputs; bits 1-2
// append one largest STDIN record of request 1 (8 + 65535 + 255 bytes) to the
// stream, and with 3 one byte more: what waits behind a request reaches its
// bound without inputs of that size.
#include <fastcgi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "fcgi_guard.h"
#include "fuzz_check.h"

using namespace autowg;

namespace {

constexpr size_t kMaxPending = FCGI_HEADER_LEN + FCGI_MAX_LENGTH + 255;

void check_reply(std::string_view reply) {
  while (!reply.empty()) {
    FUZZ_CHECK(reply.size() >= FCGI_HEADER_LEN);
    auto u8 = [&](size_t i) { return uint8_t(reply[i]); };
    FUZZ_CHECK(u8(0) == FCGI_VERSION_1);
    uint8_t type = u8(1);
    FUZZ_CHECK(type == FCGI_END_REQUEST || type == FCGI_GET_VALUES_RESULT || type == FCGI_UNKNOWN_TYPE,
               std::to_string(type));
    size_t content = size_t(u8(4)) << 8 | u8(5);
    size_t total = FCGI_HEADER_LEN + content + u8(6);
    FUZZ_CHECK(total % 8 == 0 && reply.size() >= total);
    if (type == FCGI_GET_VALUES_RESULT)
      FUZZ_CHECK(fcgi::parse_name_values(reply.substr(FCGI_HEADER_LEN, content), 64));
    else
      FUZZ_CHECK(content == 8);
    reply.remove_prefix(total);
  }
}

void check_state(const FcgiGuard& guard, const FcgiLimits& limits) {
  FUZZ_CHECK(guard.pending() <= kMaxPending, std::to_string(guard.pending()));
  FUZZ_CHECK(guard.body().size() <= limits.max_body);
  if (guard.body_too_large()) FUZZ_CHECK(guard.body().size() == limits.max_body);
  if (!guard.params_complete()) {
    FUZZ_CHECK(guard.params().empty() && guard.body().empty());
    return;
  }
  const FcgiParams& params = guard.params();
  FUZZ_CHECK(params.size() <= limits.max_params);
  size_t bytes = 0;
  std::string encoded;
  for (const auto& [name, value] : params) {
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(name.find('\0') == std::string::npos && value.find('\0') == std::string::npos);
    bytes += name.size() + value.size();
    fcgi::append_name_value(encoded, name, value);
  }
  FUZZ_CHECK(bytes <= limits.max_params_bytes);
  auto decoded = fcgi::parse_name_values(encoded, params.size());
  FUZZ_CHECK(decoded && *decoded == params);
}

// What the responder sees of a finished request, as text.
void record_request(const FcgiGuard& guard, std::string& transcript) {
  transcript += "request " + std::to_string(guard.request_id()) + (guard.aborted() ? " aborted" : "") +
                (guard.keep_connection() ? " keep" : "") + (guard.body_too_large() ? " large" : "") + "\n";
  if (guard.params_complete()) {
    for (const auto& [name, value] : guard.params()) transcript += name + "=" + value + "\n";
    transcript += "body " + guard.body() + "\n";
  }
}

struct Run {
  std::string requests;  // record_request() of each, in order
  std::string replies;   // everything autowg wrote back
  bool error = false;
};

Run run(std::string_view stream, const std::vector<size_t>& cuts, const FcgiLimits& limits) {
  FcgiGuard guard(limits);
  Run out;
  std::string reply;
  auto step = [&](std::optional<std::string> error) {
    check_reply(reply);
    out.replies += reply;
    reply.clear();
    if (error) {
      out.error = true;
      return false;
    }
    check_state(guard, limits);
    return true;
  };
  auto finish_ready = [&] {
    while (guard.body_complete() || guard.aborted()) {
      record_request(guard, out.requests);
      if (!step(guard.finish_request(reply))) return false;
    }
    return true;
  };
  size_t at = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    size_t n = i < cuts.size() ? std::min(cuts[i], stream.size() - at) : stream.size() - at;
    if (!step(guard.feed(stream.substr(at, n), reply)) || !finish_ready()) return out;
    at += n;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Reader in(data, size);
  FcgiLimits limits;
  uint8_t flags = in.byte();
  if (flags & 1) {
    limits.max_params_bytes = 64;
    limits.max_params = 4;
    limits.max_body = 16;
    limits.max_management_records = 4;
    limits.max_ignored_records = 4;
  }
  std::vector<size_t> cuts(in.byte() % 16);
  for (size_t& cut : cuts) cut = in.byte();
  std::string stream(in.rest());
  if (int tail = flags >> 1 & 3) {
    std::string largest;
    fcgi::append_record(largest, FCGI_STDIN, 1, std::string(FCGI_MAX_LENGTH, 'x'));
    largest[6] = char(255);  // the largest padding
    largest.append(255 - (largest.size() - FCGI_HEADER_LEN - FCGI_MAX_LENGTH), '\0');
    stream += largest;
    if (tail == 3) stream += '\0';
  }

  Run cut = run(stream, cuts, limits);
  Run whole = run(stream, {}, limits);
  if (!whole.error) {
    FUZZ_CHECK(!cut.error, "an error only when the bytes come in pieces");
    FUZZ_CHECK(cut.requests == whole.requests);
    FUZZ_CHECK(cut.replies == whole.replies);
  }
  return 0;
}
