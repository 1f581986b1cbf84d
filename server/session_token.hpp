// brigade: session tokens: the credential that ties later requests to a singer's first one.
#pragma once

#include <string>
#include <string_view>

namespace brigade::server {

/// A token's length: 128 random bits as lower-case hex.
inline constexpr std::size_t kSessionTokenChars = 32;

/// A fresh token from the kernel's CSPRNG (getrandom). Throws std::system_error if it fails.
std::string new_session_token();

/// Equal, in time independent of where they differ (lengths are public: always 32).
bool session_token_equal(std::string_view a, std::string_view b);

}  // namespace brigade::server
