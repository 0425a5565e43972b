#include "fcgi_guard.h"

#include <fastcgi.h>

#include <algorithm>

namespace autowg {
namespace fcgi {

void append_record(std::string& out, uint8_t type, uint16_t id, std::string_view content) {
  uint8_t padding = uint8_t((8 - content.size() % 8) % 8);
  char header[FCGI_HEADER_LEN] = {FCGI_VERSION_1,
                                  char(type),
                                  char(id >> 8),
                                  char(id & 0xff),
                                  char(content.size() >> 8),
                                  char(content.size() & 0xff),
                                  char(padding),
                                  0};
  out.append(header, sizeof header);
  out.append(content);
  out.append(padding, '\0');
}

void append_stream(std::string& out, uint8_t type, uint16_t id, std::string_view data) {
  constexpr size_t kChunk = 32 * 1024;
  for (size_t at = 0; at < data.size(); at += kChunk) append_record(out, type, id, data.substr(at, kChunk));
  append_record(out, type, id, {});
}

void append_begin_request(std::string& out, uint16_t id, uint16_t role, bool keep_conn) {
  char body[8] = {char(role >> 8), char(role & 0xff), char(keep_conn ? FCGI_KEEP_CONN : 0), 0, 0, 0, 0, 0};
  append_record(out, FCGI_BEGIN_REQUEST, id, std::string_view(body, sizeof body));
}

void append_end_request(std::string& out, uint16_t id, uint32_t app_status, uint8_t protocol_status) {
  char body[8] = {char(app_status >> 24), char(app_status >> 16), char(app_status >> 8), char(app_status),
                  char(protocol_status), 0, 0, 0};
  append_record(out, FCGI_END_REQUEST, id, std::string_view(body, sizeof body));
}

namespace {
void append_length(std::string& out, size_t n) {
  if (n < 128) {
    out += char(n);
    return;
  }
  out += char(0x80 | (n >> 24));
  out += char(n >> 16);
  out += char(n >> 8);
  out += char(n);
}

// A length of the name-value encoding; nullopt when cut short.
std::optional<size_t> take_length(std::string_view& in) {
  if (in.empty()) return std::nullopt;
  auto b = [&](size_t i) { return size_t(uint8_t(in[i])); };
  if (b(0) < 128) {
    size_t n = b(0);
    in.remove_prefix(1);
    return n;
  }
  if (in.size() < 4) return std::nullopt;
  size_t n = (b(0) & 0x7f) << 24 | b(1) << 16 | b(2) << 8 | b(3);
  in.remove_prefix(4);
  return n;
}
}  // namespace

void append_name_value(std::string& out, std::string_view name, std::string_view value) {
  append_length(out, name.size());
  append_length(out, value.size());
  out.append(name);
  out.append(value);
}

std::optional<FcgiParams> parse_name_values(std::string_view in, size_t max_pairs) {
  FcgiParams pairs;
  while (!in.empty()) {
    auto name_len = take_length(in);
    auto value_len = name_len ? take_length(in) : std::nullopt;
    // Each length alone, and their sum, must fit what is left (no overflow:
    // both are below 2^31).
    if (!value_len || *name_len > in.size() || *value_len > in.size() - *name_len) return std::nullopt;
    if (pairs.size() == max_pairs) return std::nullopt;
    pairs.emplace_back(std::string(in.substr(0, *name_len)), std::string(in.substr(*name_len, *value_len)));
    in.remove_prefix(*name_len + *value_len);
  }
  return pairs;
}

}  // namespace fcgi

std::optional<std::string> FcgiGuard::feed(std::string_view data, std::string& reply) {
  pending_.append(data);
  return process(reply);
}

std::optional<std::string> FcgiGuard::finish_request(std::string& reply) {
  active_ = aborted_ = params_done_ = body_done_ = body_too_large_ = false;
  params_raw_.clear();
  params_.clear();
  body_.clear();
  ignored_records_ = 0;
  return process(reply);
}

std::optional<std::string> FcgiGuard::process(std::string& reply) {
  size_t at = 0;
  std::optional<std::string> error;
  // A complete request waits for its answer; what follows it waits too, but
  // no more than one largest record.
  while (!error && !(active_ && (body_done_ || aborted_))) {
    std::string_view rest = std::string_view(pending_).substr(at);
    if (rest.size() < FCGI_HEADER_LEN) break;
    auto u8 = [&](size_t i) { return uint8_t(rest[i]); };
    if (u8(0) != FCGI_VERSION_1) {
      error = "FastCGI version " + std::to_string(u8(0)) + " (only version 1 is spoken)";
      break;
    }
    uint8_t type = u8(1);
    uint16_t id = uint16_t(u8(2) << 8 | u8(3));
    size_t content = size_t(u8(4)) << 8 | u8(5);
    size_t total = FCGI_HEADER_LEN + content + u8(6);
    if (rest.size() < total) break;
    error = record(type, id, rest.substr(FCGI_HEADER_LEN, content), reply);
    at += total;
  }
  pending_.erase(0, at);
  if (!error && pending_.size() > FCGI_HEADER_LEN + FCGI_MAX_LENGTH + 255)
    error = "more than one record sent ahead of the answer";
  return error;
}

std::optional<std::string> FcgiGuard::record(uint8_t type, uint16_t id, std::string_view content,
                                               std::string& reply) {
  if (id == FCGI_NULL_REQUEST_ID) return management(type, content, reply);
  switch (type) {
    case FCGI_BEGIN_REQUEST: {
      if (content.size() != 8) return "a BEGIN_REQUEST record of the wrong length";
      uint16_t role = uint16_t(uint8_t(content[0]) << 8 | uint8_t(content[1]));
      if (active_) {
        // One request at a time on a connection (FCGI_MPXS_CONNS=0).
        if (++ignored_records_ > limits_.max_ignored_records) return "too many requests multiplexed";
        fcgi::append_end_request(reply, id, 0, FCGI_CANT_MPX_CONN);
        return std::nullopt;
      }
      if (role != FCGI_RESPONDER) {
        fcgi::append_end_request(reply, id, 0, FCGI_UNKNOWN_ROLE);
        return std::nullopt;
      }
      active_ = true;
      id_ = id;
      keep_conn_ = (uint8_t(content[2]) & FCGI_KEEP_CONN) != 0;
      return std::nullopt;
    }
    case FCGI_ABORT_REQUEST:
      if (active_ && id == id_) aborted_ = true;
      return std::nullopt;
    case FCGI_PARAMS:
    case FCGI_STDIN:
      break;
    default:
      return "a record of type " + std::to_string(type) + " from the web server";
  }
  if (!active_ || id != id_) {
    // Records of a request that is not (or no longer) open are ignored, as the
    // protocol says, but not without end.
    if (++ignored_records_ > limits_.max_ignored_records) return "too many records for no open request";
    return std::nullopt;
  }
  if (type == FCGI_PARAMS) {
    if (params_done_) return "PARAMS after the end of the params";
    if (content.empty()) return end_of_params();
    if (content.size() > limits_.max_params_bytes - params_raw_.size())
      return "the params are larger than " + std::to_string(limits_.max_params_bytes) + " bytes";
    params_raw_.append(content);
    return std::nullopt;
  }
  if (!params_done_) return "STDIN before the end of the params";
  if (content.empty()) {
    body_done_ = true;
    return std::nullopt;
  }
  size_t room = limits_.max_body + 1 - std::min(body_.size(), limits_.max_body + 1);
  body_.append(content.substr(0, room));
  if (body_.size() > limits_.max_body) {
    body_.resize(limits_.max_body);
    body_too_large_ = true;
  }
  return std::nullopt;
}

std::optional<std::string> FcgiGuard::end_of_params() {
  auto params = fcgi::parse_name_values(params_raw_, limits_.max_params);
  if (!params) return "malformed params (bad lengths, or more than " + std::to_string(limits_.max_params) + ")";
  for (const auto& [name, value] : *params) {
    if (name.empty()) return "a param with an empty name";
    if (name.find('\0') != std::string::npos || value.find('\0') != std::string::npos)
      return "a param holds a NUL byte";
  }
  params_ = std::move(*params);
  params_raw_.clear();
  params_raw_.shrink_to_fit();
  params_done_ = true;
  return std::nullopt;
}

std::optional<std::string> FcgiGuard::management(uint8_t type, std::string_view content, std::string& reply) {
  if (++management_records_ > limits_.max_management_records) return "too many management records";
  if (type != FCGI_GET_VALUES) {
    char body[8] = {char(type), 0, 0, 0, 0, 0, 0, 0};
    fcgi::append_record(reply, FCGI_UNKNOWN_TYPE, 0, std::string_view(body, sizeof body));
    return std::nullopt;
  }
  auto asked = fcgi::parse_name_values(content, 64);
  if (!asked) return "a malformed GET_VALUES record";
  std::string result;
  for (const char* name : {FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS}) {
    bool wanted = std::any_of(asked->begin(), asked->end(), [&](const auto& p) { return p.first == name; });
    if (!wanted) continue;
    std::string value = std::string_view(name) == FCGI_MPXS_CONNS ? "0" : std::to_string(limits_.max_conns);
    fcgi::append_name_value(result, name, value);
  }
  fcgi::append_record(reply, FCGI_GET_VALUES_RESULT, 0, result);
  return std::nullopt;
}

}  // namespace autowg
