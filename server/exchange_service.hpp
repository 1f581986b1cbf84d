// brigade: one audio exchange end to end, without HTTP: parse → decode → room → render → encode.
#pragma once

#include <string_view>

#include "api_response.hpp"
#include "brigade/room.hpp"
#include "query.hpp"
#include "shared_encoder.hpp"
#include "singer_registry.hpp"

namespace brigade::server {

class ExchangeService {
 public:
  /// `share_encoders`: let singers at the same delay share one Opus stream (SharedEncoders).
  explicit ExchangeService(Room& room, bool share_encoders = true)
      : room_(room), share_encoders_(share_encoders) {}

  /// POST with a userid: the whole exchange. Any error resets this singer's codecs and leaves
  /// the room untouched (the room validates before it mutates).
  ApiResponse exchange(const Query& query, std::string_view body);

  /// POST ?action=status.
  ApiResponse status();

  std::size_t singer_count() { return singers_.size(); }
  SharedEncoderStats shared_encoder_stats() const { return shared_.stats(); }

 private:
  Room& room_;
  const bool share_encoders_;
  SingerRegistry singers_;
  SharedEncoders shared_;
};

}  // namespace brigade::server
