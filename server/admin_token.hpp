// brigade: the operators' token (--admin-token), compared without leaking it through timing.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace brigade::server {

/// Holds only a keyed digest of the expected token: a presented token is digested the same way
/// and the two fixed-size digests are compared in constant time. The time taken depends on the
/// presented token's length only, never on the expected token's content or length.
class AdminToken {
 public:
  /// An empty `expected` means no token is set: every request is allowed.
  explicit AdminToken(std::string_view expected);

  /// True when no token is set.
  bool open() const { return open_; }
  /// True when `presented` is the token (or no token is set).
  bool matches(std::string_view presented) const;
  /// Precedence: a request may carry the token as admin_token=… and as X-Admin-Token; it is
  /// allowed when either one matches. A wrong or stale value in one place never cancels the
  /// right one in the other, and guessing in two places is no easier than in one.
  bool matches_any(std::optional<std::string_view> query_token,
                   std::string_view header_token) const;

 private:
  /// SHA-1 size; the digest is keyed, so SHA-1's collision weakness does not matter here.
  static constexpr std::size_t kDigestBytes = 20;
  /// Random per-process key mixed in front of every token.
  static constexpr std::size_t kKeyBytes = 32;
  using Digest = std::array<unsigned char, kDigestBytes>;

  Digest digest(std::string_view token) const;

  bool open_;
  std::array<unsigned char, kKeyBytes> key_{};
  Digest expected_{};
};

}  // namespace brigade::server
