// The request and the response as the API sees them: small interfaces, so
// that the FastCGI front end is a thin adapter and the API is unit-tested
// without a web server. And the few things every route shares.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "registry.h"
#include "result.h"

namespace autowg {

constexpr size_t kMaxBodySize = 1024;

class HttpRequest {
 public:
  virtual ~HttpRequest() = default;
  virtual std::optional<std::string_view> param(std::string_view name) const = 0;
  // Reads the body, at most `limit` bytes.
  enum class BodyError {
    TooLarge,   // over `limit` (413)
    Incomplete, // fewer bytes than CONTENT_LENGTH said (400)
    Longer,     // more bytes than CONTENT_LENGTH said (400)
    BadLength,  // CONTENT_LENGTH is not a number (400)
  };
  virtual Result<std::string, BodyError> read_body(size_t limit) = 0;
};

class HttpResponse {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;
  virtual ~HttpResponse() = default;
  virtual void start(int status, const Headers& headers) = 0;
  virtual void write(std::string_view data) = 0;
};

inline constexpr char kTextType[] = "text/plain; charset=utf-8";
inline constexpr char kJsonType[] = "application/json";

// The HTTP status that answers a refusal of each kind.
int http_status(Refusal::Kind kind);

// "Not Found" for 404.
std::string_view status_text(int status);

// A text/plain answer of one line. Control characters in `text` (it may
// quote a CN) are escaped, so that a client cannot shape the body.
void reply(HttpResponse& response, int status, std::string_view text, HttpResponse::Headers extra = {});

// The request path without the query string.
std::string request_path(const HttpRequest& request);

// What a body error means for the client: the status and the reason.
std::pair<int, std::string> body_error(HttpRequest::BodyError error);

// CONTENT_LENGTH checked: nullopt when absent; an error when it is not a
// plain decimal number.
Result<std::optional<size_t>, HttpRequest::BodyError> declared_length(const HttpRequest& request);

}  // namespace autowg
