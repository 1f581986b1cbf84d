// brigade: admin token comparison.
#include "admin_token.hpp"

#include <boost/uuid/detail/sha1.hpp>
#include <random>

namespace brigade::server {

AdminToken::AdminToken(std::string_view expected) : open_(expected.empty()) {
  std::random_device random;
  for (auto& b : key_) b = static_cast<unsigned char>(random());
  expected_ = digest(expected);
}

AdminToken::Digest AdminToken::digest(std::string_view token) const {
  boost::uuids::detail::sha1 sha;
  sha.process_bytes(key_.data(), key_.size());
  sha.process_bytes(token.data(), token.size());
  boost::uuids::detail::sha1::digest_type words;
  sha.get_digest(words);
  Digest out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<unsigned char>(words[i / 4] >> (8 * (3 - i % 4)));
  }
  return out;
}

bool AdminToken::matches(std::string_view presented) const {
  if (open_) return true;
  const Digest d = digest(presented);
  // Every byte is compared, whatever differs first.
  unsigned diff = 0;
  for (std::size_t i = 0; i < d.size(); ++i) diff |= static_cast<unsigned>(d[i] ^ expected_[i]);
  return diff == 0;
}

bool AdminToken::matches_any(std::optional<std::string_view> query_token,
                             std::string_view header_token) const {
  if (open_) return true;
  // Both are always digested, so the answer's timing does not tell which one matched.
  // (An absent token is digested as "", which never matches: the token is not empty.)
  const bool by_query = matches(query_token.value_or(std::string_view()));
  const bool by_header = matches(header_token);
  return by_query || by_header;
}

}  // namespace brigade::server
