// brigade: the wire encode of one POST /api reply: the typed result → the bytes any transport
// sends. A successful exchange is one body: the metadata JSON (spec §5.4), the binary user
// summary, then the Opus container (written by the exchange's encode step with
// brigade/codec/packet_container.hpp); the transport announces the metadata's length (HTTP:
// X-Audio-Metadata {"metadata_len": N}). An error is {"kill_client": true, "message": …}.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "api_error.hpp"
#include "brigade/engine/exchange.hpp"
#include "brigade/engine/room.hpp"
#include "wire/exchange_request.hpp"

namespace brigade::server::wire {

/// What one POST /api answers, whatever the transport. Either `error` is set (and `body` is
/// empty), or `body` holds `metadata_len` bytes of JSON followed, for an exchange, by the user
/// summary and the Opus container (action=status: the JSON alone).
struct ExchangeReply {
  MaybeError error;
  std::string body;
  std::size_t metadata_len = 0;

  unsigned status() const { return error ? error->status : 200; }
  static ExchangeReply failed(ApiError e) {
    ExchangeReply r;
    r.error = std::move(e);
    return r;
  }
};

/// Appends the metadata object of a successful exchange: the clocks, the song state, the
/// events, the keys delivered to this singer once (chats, rounds, volumes, lyrics…), the user
/// summary's version, the values brought within bounds (`adjusted`) and, when non-empty, the
/// singer's new `session_token` (sent on a connection's first reply only).
void append_metadata(std::string& out, const ExchangeResult& r, const Adjustments& adjusted,
                     std::string_view session_token = {});

/// Appends the binary user summary block: always present (2 zero bytes, "no singers", when
/// the client did not ask or already holds this version), as the original client parses it.
/// `block` is the encoded listing (SummaryCache::bytes of the result's summary) or null.
void append_summary(std::string& out, const std::string* block);

/// Appends action=status's JSON: the occupancy and, when non-empty, the instance's name.
void append_status(std::string& out, const RoomStatus& status, std::string_view instance_name);

/// The metadata announcement of a reply: {"metadata_len": N}.
std::string metadata_header(std::size_t metadata_len);

/// An error as every client understands it: {"kill_client": true, "message": …}.
std::string error_metadata(std::string_view message);

}  // namespace brigade::server::wire
