// brigade: WebSocket message framing.
#include "ws_message.hpp"

namespace brigade::server {
namespace {

void put_be(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

const char* decode_ws_request(std::string_view message, std::size_t max_body_bytes,
                              WsRequest& out) {
  if (message.size() < kWsRequestHeadBytes) return "WebSocket request shorter than its header";
  std::uint32_t query_len = 0;
  for (std::size_t i = 0; i < kWsRequestHeadBytes; ++i) {
    query_len = (query_len << 8) | static_cast<std::uint8_t>(message[i]);
  }
  if (query_len > kMaxWsQueryBytes) return "WebSocket request query longer than 16 KiB";
  const std::string_view rest = message.substr(kWsRequestHeadBytes);
  if (query_len > rest.size()) return "WebSocket request query length beyond the message";
  if (rest.size() - query_len > max_body_bytes) return "request body larger than 1 MiB";
  out.query = rest.substr(0, query_len);
  out.body = rest.substr(query_len);
  return nullptr;
}

std::string encode_ws_request(std::string_view query, std::string_view body) {
  std::string out;
  out.reserve(kWsRequestHeadBytes + query.size() + body.size());
  put_be(out, query.size(), 4);
  out.append(query);
  out.append(body);
  return out;
}

void encode_ws_reply(const ApiResponse& r, std::string& out) {
  out.clear();
  const std::string_view metadata = r.audio_metadata;
  out.reserve(kWsReplyHeadBytes + metadata.size() + r.body.size());
  put_be(out, r.status, 2);
  put_be(out, metadata.size(), 4);
  out.append(metadata);
  out.append(r.body);
}

}  // namespace brigade::server
