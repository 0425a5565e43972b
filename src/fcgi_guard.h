// FcgiGuard: autowg's own strict reader of one FastCGI connection, in front
// of libfcgi. It takes the bytes a peer of the socket sends, checks every
// record (version, type, lengths, request ids, how much a request may hold),
// answers management records itself, and says when a request's params and
// then its body are complete. Only such a complete, validated request is
// handed to libfcgi, re-encoded (see fastcgi.cpp). It does no I/O, so it is
// unit-tested and fuzzed on its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace autowg {

struct FcgiLimits {
  size_t max_params_bytes = 64 * 1024;  // the whole PARAMS stream of a request
  size_t max_params = 512;              // name-value pairs in it
  size_t max_body = 1024;               // STDIN bytes kept; one more marks the body too large
  size_t max_management_records = 64;   // per connection
  size_t max_ignored_records = 64;      // records for other request ids, per request
  uint32_t max_conns = 1024;            // told to FCGI_GET_VALUES
};

using FcgiParams = std::vector<std::pair<std::string, std::string>>;

class FcgiGuard {
 public:
  explicit FcgiGuard(const FcgiLimits& limits) : limits_(limits) {}

  // Takes bytes from the peer. Records autowg answers itself (management
  // replies, FCGI_END_REQUEST for a refused second request) are appended to
  // `reply`. An error means a protocol violation: drop the connection.
  std::optional<std::string> feed(std::string_view data, std::string& reply);

  bool has_request() const { return active_; }
  bool params_complete() const { return active_ && params_done_; }
  bool body_complete() const { return active_ && body_done_; }
  bool aborted() const { return aborted_; }
  uint16_t request_id() const { return id_; }
  bool keep_connection() const { return keep_conn_; }
  const FcgiParams& params() const { return params_; }
  // At most max_body bytes; body_too_large() when more arrived.
  const std::string& body() const { return body_; }
  bool body_too_large() const { return body_too_large_; }

  // After the answer: ready for the next request of a kept connection. The
  // bytes that came after the finished request are processed now.
  std::optional<std::string> finish_request(std::string& reply);

  // Bytes taken but not yet processed (a partial record, or what follows a
  // complete request).
  size_t pending() const { return pending_.size(); }

 private:
  std::optional<std::string> process(std::string& reply);
  std::optional<std::string> record(uint8_t type, uint16_t id, std::string_view content, std::string& reply);
  std::optional<std::string> management(uint8_t type, std::string_view content, std::string& reply);
  std::optional<std::string> end_of_params();

  FcgiLimits limits_;
  std::string pending_;
  size_t management_records_ = 0;
  size_t ignored_records_ = 0;

  bool active_ = false;
  bool aborted_ = false;
  uint16_t id_ = 0;
  bool keep_conn_ = false;
  bool params_done_ = false;
  bool body_done_ = false;
  bool body_too_large_ = false;
  std::string params_raw_;
  FcgiParams params_;
  std::string body_;
};

// Record encoding, for the answers autowg writes and for handing a request
// to libfcgi.
namespace fcgi {
void append_record(std::string& out, uint8_t type, uint16_t id, std::string_view content);
// A stream (PARAMS, STDIN, STDOUT) in records of at most 64 KiB, closed by
// an empty record.
void append_stream(std::string& out, uint8_t type, uint16_t id, std::string_view data);
void append_begin_request(std::string& out, uint16_t id, uint16_t role, bool keep_conn);
void append_end_request(std::string& out, uint16_t id, uint32_t app_status, uint8_t protocol_status);
void append_name_value(std::string& out, std::string_view name, std::string_view value);
// Name-value pairs; nullopt when malformed.
std::optional<FcgiParams> parse_name_values(std::string_view content, size_t max_pairs);
}  // namespace fcgi

}  // namespace autowg
