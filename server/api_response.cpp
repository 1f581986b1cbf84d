// brigade: HTTP responses for errors and exchange replies.
#include "api_response.hpp"

#include <string>

namespace brigade::server {

ApiResponse error_response(unsigned status, std::string_view message) {
  return error_response(ApiError::of_status(status, message));
}

ApiResponse error_response(unsigned status, std::string_view message, ErrorReason reason) {
  ApiError error = ApiError::of_status(status, message);
  error.reason = reason;
  return error_response(error);
}

ApiResponse error_response(const ApiError& error) {
  ApiResponse r;
  r.status = error.status;
  r.reason = error.reason;
  r.content_type = "application/json";
  r.audio_metadata = wire::error_metadata(error.message);
  r.body = r.audio_metadata;
  r.body += "\n";
  if (error.retry_after_seconds > 0) {
    r.headers.emplace_back("Retry-After", std::to_string(error.retry_after_seconds));
  }
  return r;
}

ApiResponse http_response(wire::ExchangeReply&& reply) {
  if (reply.error) return error_response(*reply.error);
  ApiResponse r;
  r.audio_metadata = wire::metadata_header(reply.metadata_len);
  r.body = std::move(reply.body);
  return r;
}

}  // namespace brigade::server
