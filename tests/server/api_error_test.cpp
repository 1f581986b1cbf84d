// The server's one error type: how statuses imply reasons, how the engine's refusals map onto
// it, and how an error becomes an HTTP response (the JSON every client understands).
#include "api_error.hpp"

#include <gtest/gtest.h>

#include "api_response.hpp"

namespace brigade::server {
namespace {

TEST(ApiError, AStatusImpliesItsReason) {
  EXPECT_EQ(ApiError::of_status(400, "x").reason, ErrorReason::kBadRequest);
  EXPECT_EQ(ApiError::of_status(403, "x").reason, ErrorReason::kForbidden);
  EXPECT_EQ(ApiError::of_status(404, "x").reason, ErrorReason::kNotFound);
  EXPECT_EQ(ApiError::of_status(429, "x").reason, ErrorReason::kRateLimited);
  EXPECT_EQ(ApiError::of_status(500, "x").reason, ErrorReason::kEncoder);
  EXPECT_EQ(ApiError::of_status(507, "x").reason, ErrorReason::kStorageFull);
  const ApiError bad = ApiError::bad_request("no", ErrorReason::kBadAudio);
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(bad.reason, ErrorReason::kBadAudio);
  EXPECT_EQ(bad.message, "no");
  const ApiError slow = ApiError::rate_limited("slow down");
  EXPECT_EQ(slow.status, 429u);
  EXPECT_EQ(slow.retry_after_seconds, kRateLimitedRetryAfterSeconds);
}

TEST(ApiError, TheRoomsRefusalsMapToStatusReasonAndRetry) {
  struct Case {
    ExchangeStatus status;
    unsigned http;
    ErrorReason reason;
    int retry_after;
  };
  for (const Case& c :
       {Case{ExchangeStatus::kBadRequest, 400, ErrorReason::kClock, 0},
        Case{ExchangeStatus::kForbidden, 403, ErrorReason::kForbidden, 0},
        Case{ExchangeStatus::kConflict, 409, ErrorReason::kConflict, 0},
        Case{ExchangeStatus::kRoomFull, 503, ErrorReason::kRoomFull, kRoomFullRetryAfterSeconds},
        Case{ExchangeStatus::kDraining, 503, ErrorReason::kDraining, 0}}) {
    const ApiError e = from_room(ExchangeOutcome{c.status, Refusal::kReadDesync});
    EXPECT_EQ(e.status, c.http);
    EXPECT_EQ(e.reason, c.reason);
    EXPECT_EQ(e.retry_after_seconds, c.retry_after);
    EXPECT_EQ(e.message, "read clock desync") << "the server words the room's reason";
  }
}

TEST(ApiError, BecomesTheKillClientResponse) {
  ApiError e = ApiError::of_status(503, "room is \"full\"");
  e.retry_after_seconds = 10;
  const ApiResponse r = error_response(e);
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.reason, ErrorReason::kRoomFull);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.audio_metadata, R"({"kill_client": true, "message": "room is \"full\""})");
  EXPECT_EQ(r.body, r.audio_metadata + "\n");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Retry-After");
  EXPECT_EQ(r.headers[0].second, "10");
  EXPECT_TRUE(error_response(ApiError::bad_request("x")).headers.empty());
}

TEST(ApiError, ATypedReplyBecomesAnHttpResponse) {
  wire::ExchangeReply ok;
  ok.body = std::string("{}\0\0x", 5);
  ok.metadata_len = 2;
  const ApiResponse r = http_response(std::move(ok));
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.reason, ErrorReason::kNone);
  EXPECT_EQ(r.audio_metadata, R"({"metadata_len": 2})");
  EXPECT_EQ(r.body, std::string("{}\0\0x", 5));
  const ApiResponse refused =
      http_response(wire::ExchangeReply::failed(ApiError::rate_limited("slow")));
  EXPECT_EQ(refused.status, 429u);
  EXPECT_EQ(refused.reason, ErrorReason::kRateLimited);
  EXPECT_EQ(refused.body, "{\"kill_client\": true, \"message\": \"slow\"}\n");
}

}  // namespace
}  // namespace brigade::server
