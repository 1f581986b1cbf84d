// brigade: one audio exchange end to end, without HTTP: parse → decode → room → render → encode.
#pragma once

#include <string_view>

#include "admin_token.hpp"
#include "api_response.hpp"
#include "brigade/room.hpp"
#include "brigade/track_library.hpp"
#include "metrics.hpp"
#include "query.hpp"
#include "shared_encoder.hpp"
#include "singer_registry.hpp"

namespace brigade::server {

struct ExchangeConfig {
  /// Let singers at the same delay share one Opus stream (SharedEncoders).
  bool share_encoders = true;
  /// When non-empty, room-wide controls need admin_token=<this> (or the X-Admin-Token header).
  std::string admin_token;
};

class ExchangeService {
 public:
  /// `tracks` and `metrics` may be null (no backing tracks / no counters).
  ExchangeService(Room& room, ExchangeConfig config, const TrackLibrary* tracks, Metrics* metrics)
      : room_(room),
        config_(std::move(config)),
        tracks_(tracks),
        metrics_(metrics),
        admin_token_(config_.admin_token),
        singers_(static_cast<std::size_t>(room.max_users()) * kRecordsPerActiveSinger) {}

  /// POST with a userid: the whole exchange. Any error resets this singer's codecs and leaves
  /// the room untouched (the room validates before it mutates). `admin_header` is the value of
  /// the X-Admin-Token header, if any.
  ApiResponse exchange(const Query& query, std::string_view body, std::string_view admin_header);

  /// True when the admin_token query value or the X-Admin-Token header grants room-wide
  /// controls (either one matching is enough; see AdminToken::matches_any).
  bool is_admin(std::optional<std::string_view> query_token, std::string_view header_token) const {
    return admin_token_.matches_any(query_token, header_token);
  }

  /// POST ?action=status.
  ApiResponse status();

  std::size_t singer_count() { return singers_.size(); }
  SharedEncoderStats shared_encoder_stats() const { return shared_.stats(); }

 private:
  /// The requested backing track, read outside the room lock (cached: leaders resend it).
  std::shared_ptr<const std::vector<float>> load_track(const std::string& name, std::string& error);

  Room& room_;
  const ExchangeConfig config_;
  const TrackLibrary* tracks_;
  Metrics* metrics_;
  const AdminToken admin_token_;
  SingerRegistry singers_;
  SharedEncoders shared_;
  std::mutex track_mutex_;
  std::string cached_track_name_;
  std::shared_ptr<const std::vector<float>> cached_track_;
};

}  // namespace brigade::server
