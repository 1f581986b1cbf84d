// brigade fuzzing: the JSON prefix of an exchange body.
#include <string_view>

#include "fuzz_target.hpp"
#include "wire/exchange_request.hpp"

namespace brigade::fuzz {

Outcome json_prefix_input(Input data) {
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  thread_local ExchangeRequest request;
  request.controls.lyrics.reset();
  if (auto error = server::wire::decode_json_prefix(text, request)) {
    BRIGADE_FUZZ_CHECK(!error->message.empty());
    BRIGADE_FUZZ_CHECK(!request.controls.lyrics);
    return Outcome::kRefused;
  }
  if (request.controls.lyrics) {
    // Escapes only ever shrink or keep the text's size; the result is UTF-8 for the clients.
    BRIGADE_FUZZ_CHECK(request.controls.lyrics->size() <= text.size());
    BRIGADE_FUZZ_CHECK(server::valid_utf8(*request.controls.lyrics));
  }
  return Outcome::kAccepted;
}

}  // namespace brigade::fuzz
