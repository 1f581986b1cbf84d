// brigade fuzzing: the WebSocket message framing (server/ws_message.hpp): a request message
// split into query and body, and a reply message read back by the client library's parser.
// Also the raw-query scans of the pushes (server/ws_push.hpp): the opt-in and the userid.
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "client/ws_client.hpp"
#include "fuzz_target.hpp"
#include "query.hpp"
#include "ws_message.hpp"
#include "ws_push.hpp"

namespace brigade::fuzz {

namespace {

/// A small body limit, so that libFuzzer's short inputs reach the over-limit branch too.
constexpr std::size_t kFuzzBodyLimit = 512;

}  // namespace

Outcome ws_message_input(Input data) {
  const std::string_view message(reinterpret_cast<const char*>(data.data()), data.size());
  // The push opt-in and the userid scan read raw queries: any bytes, no crash; a userid found
  // is the decimal digits of a userid= field, and push=1 is the only opt-in.
  if (const auto id = server::ws_query_userid(message)) {
    BRIGADE_FUZZ_CHECK(message.find("userid=") != std::string_view::npos);
  }
  if (server::ws_push_requested(message)) {
    BRIGADE_FUZZ_CHECK(message.find("push=1") != std::string_view::npos);
  }
  server::WsRequest req;
  const char* error = server::decode_ws_request(message, kFuzzBodyLimit, req);
  // The reply framing round-trips whatever the request held (independent parser: client/).
  {
    server::ApiResponse r;
    r.status = data.size() >= 2 ? (static_cast<unsigned>(data[0]) << 8 | data[1]) : 200;
    r.audio_metadata = std::string(message.substr(0, message.size() / 2));
    r.body = std::string(message.substr(message.size() / 2));
    std::string out;
    server::encode_ws_reply(r, out);
    client::HttpResponse back;
    BRIGADE_FUZZ_CHECK(client::parse_ws_reply(out, back));
    BRIGADE_FUZZ_CHECK(back.status == static_cast<int>(r.status));
    BRIGADE_FUZZ_CHECK(back.header("X-Audio-Metadata") == r.audio_metadata);
    BRIGADE_FUZZ_CHECK(back.body == r.body);
  }
  if (error != nullptr) {
    BRIGADE_FUZZ_CHECK(*error != '\0');
    return Outcome::kRefused;
  }
  // Accepted: the length prefix names the query, the rest is the body, both views into the
  // message, within the limits; re-encoding gives the message back byte for byte.
  BRIGADE_FUZZ_CHECK(data.size() >= server::kWsRequestHeadBytes);
  const std::size_t query_len =
      std::size_t{data[0]} << 24 | std::size_t{data[1]} << 16 | std::size_t{data[2]} << 8 | data[3];
  BRIGADE_FUZZ_CHECK(req.query.size() == query_len && query_len <= server::kMaxWsQueryBytes);
  BRIGADE_FUZZ_CHECK(req.query.data() == message.data() + server::kWsRequestHeadBytes);
  BRIGADE_FUZZ_CHECK(req.body.data() == req.query.data() + req.query.size());
  BRIGADE_FUZZ_CHECK(req.body.size() <= kFuzzBodyLimit);
  BRIGADE_FUZZ_CHECK(server::kWsRequestHeadBytes + req.query.size() + req.body.size() ==
                     data.size());
  BRIGADE_FUZZ_CHECK(server::encode_ws_request(req.query, req.body) == message);
  BRIGADE_FUZZ_CHECK(client::ws_request_message(req.query, req.body) == message);
  // The userid a pushing socket learns from an accepted request's query is the one the
  // exchange's own query parser reads there (leading zeros and all: "035" is 35 for both).
  if (const auto id = server::ws_query_userid(req.query)) {
    server::Query query;
    if (!query.parse(req.query)) {
      const auto field = query.get("userid");
      BRIGADE_FUZZ_CHECK(field.has_value());
      std::uint64_t parsed = 0;
      const auto [end, ec] = std::from_chars(field->data(), field->data() + field->size(), parsed);
      BRIGADE_FUZZ_CHECK(ec == std::errc() && end == field->data() + field->size());
      BRIGADE_FUZZ_CHECK(parsed == *id);
    }
  }
  return Outcome::kAccepted;
}

}  // namespace brigade::fuzz
