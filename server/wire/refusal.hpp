// brigade wire: the English message a client gets for a refused exchange. The room reports a
// typed reason (brigade::Refusal); the words are the API's, so they live here.
#pragma once

#include <string_view>

#include "brigade/engine/exchange.hpp"

namespace brigade::server::wire {

/// The message for `reason` (tests and clients match some of these texts: keep them stable).
std::string_view refusal_message(Refusal reason);

}  // namespace brigade::server::wire
