// brigade fuzzing: the per-target input handlers, shared by the libFuzzer entry points
// (libfuzzer_main.cpp, built with clang by scripts/fuzz) and the gtest drivers (*_fuzz_test.cpp,
// built with every compiler). A handler takes one input of any bytes, runs the code under test
// and checks its invariants; a violated invariant aborts with a message (BRIGADE_FUZZ_CHECK),
// which both libFuzzer and ctest report as a failure with the input.
#pragma once

#include <cstdint>
#include <span>

#include "brigade/codec/packet_container.hpp"

/// Aborts with the condition's text when it does not hold (in every build type).
#define BRIGADE_FUZZ_CHECK(cond) \
  ((cond) ? (void)0 : ::brigade::fuzz::violated(#cond, __FILE__, __LINE__))

namespace brigade::fuzz {

using Input = std::span<const std::uint8_t>;

/// What the code under test made of an input, for the gtest drivers' coverage statistics.
enum class Outcome { kAccepted, kRefused };

[[noreturn]] void violated(const char* condition, const char* file, int line);

/// Query::parse on a raw query string: every field it accepts comes back from get() as the
/// form-decoded text of the input.
Outcome query_input(Input data);
/// query, '\n', body → wire::decode_request (typed, range-checked request, the Opus container
/// parsed, n_samples settled) → a real Room at a fixed clock. Every accepted field lies in its
/// documented range.
Outcome exchange_input(Input data);
/// wire::decode_json_prefix: accepted lyrics are UTF-8 and no longer than the input.
Outcome json_prefix_input(Input data);
/// parse_container: a success accounts for every byte; a failure leaves no packets.
ContainerError container_input(Input data);
/// read_wav: an error message or finite samples in [-1, 1] of a plausible length.
Outcome wav_input(Input data);
/// Bytes → singers and an exchange result → user summary and reply metadata → parsed back by
/// independent parsers (the client library's, Boost.JSON) and compared.
Outcome reply_input(Input data);
/// A WebSocket request message → query and body (decode_ws_request): an accepted split is
/// exact and re-encodes to the input; a reply message round-trips through the client's parser.
Outcome ws_message_input(Input data);

}  // namespace brigade::fuzz
