// brigade: the exchange reply's JSON metadata block (spec §5.4), written without a JSON library.
#pragma once

#include <string>
#include <string_view>

#include "api_request.hpp"
#include "brigade/engine/exchange.hpp"

namespace brigade::server {

/// Appends the metadata object of a successful exchange: the clocks, the song state, the
/// events, the keys delivered to this singer once (chats, rounds, volumes, lyrics…), the user
/// summary's version, the values brought within bounds (`adjusted`) and, when non-empty, the
/// singer's new `session_token` (sent on a connection's first reply only).
void append_reply_metadata(std::string& out, const ExchangeResult& r, const Adjustments& adjusted,
                           std::string_view session_token = {});

}  // namespace brigade::server
