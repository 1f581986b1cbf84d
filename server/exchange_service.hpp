// brigade: one audio exchange end to end, without HTTP: parse → decode → room → render → encode.
#pragma once

#include <string_view>

#include "api_response.hpp"
#include "brigade/room.hpp"
#include "query.hpp"
#include "singer_registry.hpp"

namespace brigade::server {

class ExchangeService {
 public:
  explicit ExchangeService(Room& room) : room_(room) {}

  /// POST with a userid: the whole exchange. Any error resets this singer's codecs and leaves
  /// the room untouched (the room validates before it mutates).
  ApiResponse exchange(const Query& query, std::string_view body);

  /// POST ?action=status.
  ApiResponse status();

  std::size_t singer_count() { return singers_.size(); }

 private:
  Room& room_;
  SingerRegistry singers_;
};

}  // namespace brigade::server
