// brigade client: the audio-exchange wire format from the client's side, without any transport.
// Builds query strings and request bodies, and parses clock, status and exchange replies. Shared
// by the integration tests and the load tester; no Beast here (sockets live in http_client).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "brigade/constants.hpp"

namespace brigade::client {

/// One Opus packet as bytes.
using Packet = std::vector<std::uint8_t>;

/// A query parameter, name and value, before encoding.
using QueryParam = std::pair<std::string, std::string>;

/// Everything a client may put in an audio-exchange query (spec §5.2). Optional fields are
/// sent only when set; booleans only when true (as "1").
struct ExchangeParams {
  std::uint64_t userid = 0;
  Clock read_clock = 0;
  std::optional<Clock> write_clock;
  std::optional<Clock> n_samples;  ///< the browser always sends it; stress.py never does
  std::string username;            ///< empty → not sent (as URLSearchParams users drop it)
  bool reset_user_state = false;
  bool user_summary = false;
  bool request_lead = false;
  bool mark_start_singing = false;
  bool mark_stop_singing = false;
  bool spectator = false;
  bool muted = false;
  bool hear_monitor = false;
  bool begin_monitor = false;
  bool clear_events = false;
  bool loopback = false;                 ///< sent as "true", the only value the original honours
  std::optional<std::string> chat_json;  ///< JSON array of strings
  std::optional<std::string> mic_volume_json;  ///< JSON array of [userid string, number]
  std::optional<std::string> event_data_json;  ///< JSON array of {"evid", "clock"}
  std::optional<int> bpm, repeats, bpr;
  std::optional<double> volume, backing_volume, user_backing_volume;  ///< friendly
  std::optional<std::string> track, monitor, unmonitor;
  std::optional<bool> disable_auto_gain, disable_song_video;  ///< sent as "1" / "0"
  std::optional<std::size_t> json_len;  ///< length of the body's JSON prefix, when any
  /// The session credential (sent when set; "new" on a reset asks for a session bound at once).
  std::optional<std::string> session_token;
  std::vector<QueryParam> extra;  ///< appended verbatim (before encoding), for tests
};

/// application/x-www-form-urlencoded as URLSearchParams writes it: UTF-8 bytes, unreserved
/// `*-._` and alphanumerics kept, space → '+', everything else %XX (upper-case hex).
std::string form_encode(std::string_view text);

/// name=value&name=value with both sides form-encoded; no leading '?'.
std::string build_query(std::span<const QueryParam> params);

/// The parameters of an exchange, in a fixed order, before encoding.
std::vector<QueryParam> exchange_query_params(const ExchangeParams& p);

/// The encoded query string of an exchange (no leading '?').
std::string exchange_query(const ExchangeParams& p);

/// Request target for an exchange: `path` + '?' + exchange_query(p).
std::string exchange_target(const ExchangeParams& p, std::string_view path = "/api");

/// The multi-packet Opus container (count:uint8, count × {len:uint16 BE, bytes}). Throws
/// std::invalid_argument for more than 255 packets or a packet of 0 or more than 65535 bytes.
std::string build_container(std::span<const Packet> packets);

/// A request body: `json_prefix` (set json_len to its size), then the container of `packets`;
/// no packets → no container at all (the "silence" body of the placeholder phase).
std::string build_body(std::string_view json_prefix, std::span<const Packet> packets);

/// One record of the binary user summary (51 bytes on the wire).
struct SummaryRecord {
  std::uint64_t user_id = 0;
  std::string name;  ///< trailing NULs stripped
  float mic_volume = 0.0f;
  float rms = 0.0f;
  std::uint16_t delay_seconds = 0;
  std::uint8_t flags = 0;
  bool muted() const { return (flags & 0x01) != 0; }
  bool soloed() const { return (flags & 0x02) != 0; }
};

/// Size of one summary record.
inline constexpr std::size_t kSummaryRecordSize = 51;

/// Outcome of a parse: empty message = success. Never thrown; parsers never crash on input.
struct ParseStatus {
  std::string message;
  bool ok() const { return message.empty(); }
  static ParseStatus fail(std::string m) { return {std::move(m)}; }
};

/// Parses a JSON object (e.g. the X-Audio-Metadata header value or a metadata block).
ParseStatus parse_json_object(std::string_view text, boost::json::object& out);

/// Reads `key` of `obj` as an integer (a JSON integer, or a double with an integral value
/// that fits). Fails on absence or any other type.
ParseStatus get_int(const boost::json::object& obj, std::string_view key, std::int64_t& out);

/// Parses the `{"metadata_len": N}` header value; N must be a non-negative integer.
ParseStatus parse_metadata_len(std::string_view header, std::size_t& out);

/// Parses a user-summary block at the start of `bytes`; `consumed` gets its size.
ParseStatus parse_summary(std::span<const std::uint8_t> bytes, std::vector<SummaryRecord>& out,
                          std::size_t& consumed);

/// Parses a whole Opus container (exactly `bytes`, no trailing data) into packets.
ParseStatus parse_container_packets(std::span<const std::uint8_t> bytes, std::vector<Packet>& out);

/// The clock GET reply (spec §2): X-Audio-Metadata holds everything.
struct ClockReply {
  boost::json::object metadata;
  Clock server_clock = 0;
  std::int64_t server_sample_rate = 0;
};
ParseStatus parse_clock_reply(std::string_view x_audio_metadata, ClockReply& out);

/// The `action=status` reply (spec §4): the body is the metadata_len-byte JSON.
struct StatusReply {
  boost::json::object body;
  std::int64_t n_connected_users = 0;
  std::int64_t max_users = 0;
};
ParseStatus parse_status_reply(std::string_view x_audio_metadata, std::string_view body,
                               StatusReply& out);

/// A 200 exchange reply (spec §5.4), split into its three parts.
struct ExchangeReply {
  std::size_t metadata_len = 0;              ///< from the header, bytes
  boost::json::object metadata;              ///< all keys, for anything not typed below
  Clock server_clock = 0;                    ///< required
  Clock client_read_clock = 0;               ///< required, integer
  Clock n_samples = 0;                       ///< required, integer
  Clock song_start_clock = 0;                ///< 0 when absent
  Clock song_end_clock = 0;                  ///< 0 when absent or null
  std::optional<std::string> leader;         ///< userid as a string; null/absent → nullopt
  std::optional<int> delay_seconds;          ///< queued bucket assignment, when delivered
  std::optional<int> first_bucket;           ///< when delivered
  std::optional<std::string> session_token;  ///< on replies to reset_user_state
  std::vector<SummaryRecord> summary;        ///< possibly empty, but the block was present
  std::vector<Packet> packets;               ///< the reply audio
};
ParseStatus parse_exchange_reply(std::string_view x_audio_metadata, std::string_view body,
                                 ExchangeReply& out);

/// An error reply's X-Audio-Metadata (spec §7): {"kill_client": true, "message": "..."}.
struct ErrorReply {
  bool kill_client = false;
  std::string message;
};
ParseStatus parse_error_header(std::string_view x_audio_metadata, ErrorReply& out);

/// Big-endian writers, for building replies by hand in tests.
void put_u16(std::string& out, std::uint16_t v);
void put_u64(std::string& out, std::uint64_t v);
void put_f32(std::string& out, float v);

}  // namespace brigade::client
