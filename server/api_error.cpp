// brigade: the server's error type and the engine's refusals mapped onto it.
#include "api_error.hpp"

#include "wire/refusal.hpp"

namespace brigade::server {

ApiError ApiError::of_status(unsigned status, std::string_view message) {
  return ApiError{
      .status = status, .reason = reason_for_status(status), .message = std::string(message)};
}

ApiError ApiError::bad_request(std::string_view message, ErrorReason reason) {
  return ApiError{.status = 400, .reason = reason, .message = std::string(message)};
}

ApiError ApiError::rate_limited(std::string_view message) {
  return ApiError{.status = 429,
                  .reason = ErrorReason::kRateLimited,
                  .message = std::string(message),
                  .retry_after_seconds = kRateLimitedRetryAfterSeconds};
}

ApiError from_room(const ExchangeOutcome& outcome) {
  ApiError e{.message = std::string(wire::refusal_message(outcome.reason))};
  switch (outcome.status) {
    case ExchangeStatus::kOk:  // not a refusal: callers check ok() first
    case ExchangeStatus::kBadRequest:
      e.status = 400;
      e.reason = ErrorReason::kClock;  // the room refuses requests only for their clocks
      break;
    case ExchangeStatus::kForbidden:
      e.status = 403;
      e.reason = ErrorReason::kForbidden;
      break;
    case ExchangeStatus::kConflict:
      e.status = 409;
      e.reason = ErrorReason::kConflict;
      break;
    case ExchangeStatus::kRoomFull:
      e.status = 503;
      e.reason = ErrorReason::kRoomFull;
      e.retry_after_seconds = kRoomFullRetryAfterSeconds;
      break;
    case ExchangeStatus::kDraining:
      e.status = 503;
      e.reason = ErrorReason::kDraining;
      break;
  }
  return e;
}

}  // namespace brigade::server
