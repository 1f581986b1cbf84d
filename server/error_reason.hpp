// brigade: why a request failed, for brigade_errors_total{reason}: a small fixed set, so the
// metric's cardinality is bounded whatever clients send.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace brigade::server {

enum class ErrorReason {
  kNone,              ///< not an error
  kBadRequest,        ///< malformed query, JSON prefix or container
  kBadAudio,          ///< undecodable or misaligned Opus upload
  kClock,             ///< a read/write clock out of range or out of sequence
  kForbidden,         ///< a room-wide control without the admin token
  kConflict,          ///< controlling someone else's running song (409)
  kNotFound,          ///< no such file, recording or track feature
  kMethodNotAllowed,  ///< wrong HTTP method for the route
  kBodyTooLarge,      ///< request body over its limit (413)
  kHeaderTooLarge,    ///< request header over 16 KiB (431)
  kMalformedHttp,     ///< not parseable as HTTP
  kRoomFull,          ///< --max-users singers active already (503)
  kDraining,          ///< a new singer while the server shuts down (503)
  kBadUpload,         ///< an uploaded track refused
  kEncoder,           ///< Opus encoder failure (500)
  kRecording,         ///< writing a recording failed
  kAccept,            ///< accepting a connection failed (e.g. out of descriptors)
  kRateLimited,       ///< a singer over its request, event or chat rate (429)
  kStorageFull,       ///< the tracks folder at --max-tracks or --max-tracks-mib (507)
};

/// Every reason but kNone, in metric order.
inline constexpr std::array<ErrorReason, 18> kErrorReasons{
    ErrorReason::kBadRequest,       ErrorReason::kBadAudio,     ErrorReason::kClock,
    ErrorReason::kForbidden,        ErrorReason::kConflict,     ErrorReason::kNotFound,
    ErrorReason::kMethodNotAllowed, ErrorReason::kBodyTooLarge, ErrorReason::kHeaderTooLarge,
    ErrorReason::kMalformedHttp,    ErrorReason::kRoomFull,     ErrorReason::kDraining,
    ErrorReason::kBadUpload,        ErrorReason::kEncoder,      ErrorReason::kRecording,
    ErrorReason::kAccept,           ErrorReason::kRateLimited,  ErrorReason::kStorageFull,
};

/// The label value, e.g. "bad_request".
constexpr std::string_view to_string(ErrorReason r) {
  switch (r) {
    case ErrorReason::kNone:
      return "none";
    case ErrorReason::kBadRequest:
      return "bad_request";
    case ErrorReason::kBadAudio:
      return "bad_audio";
    case ErrorReason::kClock:
      return "clock";
    case ErrorReason::kConflict:
      return "conflict";
    case ErrorReason::kForbidden:
      return "forbidden";
    case ErrorReason::kNotFound:
      return "not_found";
    case ErrorReason::kMethodNotAllowed:
      return "method_not_allowed";
    case ErrorReason::kBodyTooLarge:
      return "body_too_large";
    case ErrorReason::kHeaderTooLarge:
      return "header_too_large";
    case ErrorReason::kMalformedHttp:
      return "malformed_http";
    case ErrorReason::kRoomFull:
      return "room_full";
    case ErrorReason::kDraining:
      return "draining";
    case ErrorReason::kBadUpload:
      return "bad_upload";
    case ErrorReason::kEncoder:
      return "encoder";
    case ErrorReason::kRecording:
      return "recording";
    case ErrorReason::kAccept:
      return "accept";
    case ErrorReason::kRateLimited:
      return "rate_limited";
    case ErrorReason::kStorageFull:
      return "storage_full";
  }
  return "none";
}

/// The reason a status implies when the caller names none.
constexpr ErrorReason reason_for_status(unsigned status) {
  switch (status) {
    case 403:
      return ErrorReason::kForbidden;
    case 404:
      return ErrorReason::kNotFound;
    case 405:
      return ErrorReason::kMethodNotAllowed;
    case 413:
      return ErrorReason::kBodyTooLarge;
    case 429:
      return ErrorReason::kRateLimited;
    case 431:
      return ErrorReason::kHeaderTooLarge;
    case 503:
      return ErrorReason::kRoomFull;
    case 507:
      return ErrorReason::kStorageFull;
    default:
      return status >= 500 ? ErrorReason::kEncoder
                           : (status >= 400 ? ErrorReason::kBadRequest : ErrorReason::kNone);
  }
}

}  // namespace brigade::server
