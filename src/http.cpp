#include "http.h"

#include "text.h"

namespace autowg {

int http_status(Refusal::Kind kind) {
  switch (kind) {
    case Refusal::Kind::BadRequest: return 400;
    case Refusal::Kind::Conflict: return 409;
    case Refusal::Kind::Unavailable: return 503;
    case Refusal::Kind::Internal: return 500;
  }
  return 500;
}

std::string_view status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

void reply(HttpResponse& response, int status, std::string_view text, HttpResponse::Headers extra) {
  extra.insert(extra.begin(), {"Content-Type", kTextType});
  response.start(status, extra);
  response.write(escape_controls(text));
  response.write("\n");
}

std::string request_path(const HttpRequest& request) {
  if (auto uri = request.param("REQUEST_URI")) return std::string(uri->substr(0, uri->find('?')));
  if (auto doc = request.param("DOCUMENT_URI")) return std::string(*doc);
  return std::string(request.param("SCRIPT_NAME").value_or("")) + std::string(request.param("PATH_INFO").value_or(""));
}

std::pair<int, std::string> body_error(HttpRequest::BodyError error) {
  switch (error) {
    case HttpRequest::BodyError::TooLarge: return {413, "body over 1 KiB"};
    case HttpRequest::BodyError::Incomplete: return {400, "the body ended early (shorter than CONTENT_LENGTH)"};
    case HttpRequest::BodyError::Longer: return {400, "the body is longer than CONTENT_LENGTH"};
    case HttpRequest::BodyError::BadLength: return {400, "CONTENT_LENGTH is not a plain decimal number"};
  }
  return {400, "bad body"};
}

Result<std::optional<size_t>, HttpRequest::BodyError> declared_length(const HttpRequest& request) {
  auto length = request.param("CONTENT_LENGTH");
  if (!length || length->empty()) return std::optional<size_t>();
  if (length->find_first_not_of("0123456789") != std::string_view::npos)
    return Failure<HttpRequest::BodyError>{HttpRequest::BodyError::BadLength};
  auto n = parse_number<size_t>(*length);
  // All digits: only too large for size_t can fail, which is simply too large.
  if (!n) return Failure<HttpRequest::BodyError>{HttpRequest::BodyError::TooLarge};
  return std::optional<size_t>(*n);
}

}  // namespace autowg
