// brigade: the server's one error type. Every server-layer parser and exchange step reports a
// failure as an ApiError (status, machine reason, message); the edges turn it into their reply
// (HTTP: api_response.hpp; any transport: wire::error_metadata). The engine and the storage
// library keep their own (ExchangeOutcome, Result<T>): one error type per layer, mapped here.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "brigade/engine/exchange.hpp"
#include "error_reason.hpp"

namespace brigade::server {

/// Retry-After of a 503 "room is full", seconds: clients that ignore action=status wait.
inline constexpr int kRoomFullRetryAfterSeconds = 10;
/// Retry-After of a 429 (a singer over its request, event or chat rate), seconds.
inline constexpr int kRateLimitedRetryAfterSeconds = 1;

struct ApiError {
  unsigned status = 400;                          ///< HTTP status (also the WebSocket's code)
  ErrorReason reason = ErrorReason::kBadRequest;  ///< for metrics: a small fixed set
  std::string message;                            ///< for the client and the log, in words
  int retry_after_seconds = 0;                    ///< > 0: ask the client to wait (Retry-After)

  /// `status` with the reason it implies (reason_for_status).
  static ApiError of_status(unsigned status, std::string_view message);
  /// A malformed request (400) for the given reason.
  static ApiError bad_request(std::string_view message,
                              ErrorReason reason = ErrorReason::kBadRequest);
  /// A singer over one of its rates (429, Retry-After 1 s).
  static ApiError rate_limited(std::string_view message);

  friend bool operator==(const ApiError&, const ApiError&) = default;
};

/// Nothing went wrong, or what did: what every fallible server-layer step returns.
using MaybeError = std::optional<ApiError>;

/// The engine's refusal of an exchange (nothing applied) as the server reports it.
ApiError from_room(const ExchangeOutcome& outcome);

}  // namespace brigade::server
