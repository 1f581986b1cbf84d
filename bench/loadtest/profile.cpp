// brigade-loadtest: client profiles (see profile.hpp).
#include "profile.hpp"

#include <algorithm>
#include <cmath>

namespace brigade::loadtest {
namespace {

constexpr ProfileSpec kPage{
    .name = "page",
    .upload_bitrate = 64'000,  // web/codec.js ENCODER_CONFIG
    .summary_on_first = true,
    .summary_version = true,
    .page_reconnects = true,
    .default_timeout_ms = 8'000,  // web/session.js EXCHANGE_TIMEOUT_MS
};
constexpr ProfileSpec kOriginal{
    .name = "original",
    .upload_bitrate = 256'000,
    .summary_on_first = false,
    .summary_version = false,
    .page_reconnects = false,
    .default_timeout_ms = 8'000,
};

std::string int_text(std::int64_t v) {
  return std::to_string(v);
}

/// The page: URLSearchParams in web/protocol.js audioQuery order.
std::vector<client::QueryParam> page_params(const ExchangeFields& f) {
  std::vector<client::QueryParam> q;
  q.emplace_back("userid", int_text(static_cast<std::int64_t>(f.userid)));
  q.emplace_back("read_clock", int_text(f.read_clock));
  if (f.write_clock) q.emplace_back("write_clock", int_text(*f.write_clock));
  q.emplace_back("n_samples", int_text(f.n_samples));
  if (!f.username.empty()) q.emplace_back("username", f.username);
  if (f.user_summary) q.emplace_back("user_summary", "1");
  if (f.user_summary && f.summary_version) {
    q.emplace_back("user_summary_version", std::to_string(*f.summary_version));
  }
  if (f.reset_user_state) q.emplace_back("reset_user_state", "true");
  if (f.request_lead) q.emplace_back("request_lead", "1");
  if (f.mark_start_singing) q.emplace_back("mark_start_singing", "1");
  if (f.mark_stop_singing) q.emplace_back("mark_stop_singing", "1");
  if (!f.session_token.empty()) q.emplace_back("session_token", f.session_token);
  return q;
}

/// The original client: its clocks first, then its one-shot metadata map (net.js, app.js).
std::vector<client::QueryParam> original_params(const ExchangeFields& f) {
  std::vector<client::QueryParam> q;
  q.emplace_back("read_clock", int_text(f.read_clock));
  if (f.write_clock) q.emplace_back("write_clock", int_text(*f.write_clock));
  q.emplace_back("n_samples", int_text(f.n_samples));
  q.emplace_back("userid", int_text(static_cast<std::int64_t>(f.userid)));
  if (f.reset_user_state) q.emplace_back("reset_user_state", "true");
  if (f.request_lead) q.emplace_back("request_lead", "1");
  if (f.mark_start_singing) q.emplace_back("mark_start_singing", "1");
  if (f.mark_stop_singing) q.emplace_back("mark_stop_singing", "1");
  if (f.user_summary) q.emplace_back("user_summary", "1");
  if (!f.username.empty()) q.emplace_back("username", f.username);
  return q;
}

}  // namespace

const ProfileSpec& spec(Profile p) {
  return p == Profile::kPage ? kPage : kOriginal;
}

std::optional<Profile> parse_profile(std::string_view name) {
  if (name == kPage.name) return Profile::kPage;
  if (name == kOriginal.name) return Profile::kOriginal;
  return std::nullopt;
}

std::chrono::milliseconds summary_refresh_interval(std::size_t listed_singers) {
  const double ms = static_cast<double>(listed_singers) * client::kSummaryRecordSize * 1000.0 /
                    kSummaryBytesPerSecond;
  return std::max(kLevelsMin, std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(ms))));
}

std::vector<client::QueryParam> exchange_params(Profile p, const ExchangeFields& f) {
  return p == Profile::kPage ? page_params(f) : original_params(f);
}

std::string exchange_target(Profile p, const ExchangeFields& f, std::string_view path) {
  const auto params = exchange_params(p, f);
  std::string out(path);
  out += '?';
  out += client::build_query(params);
  return out;
}

}  // namespace brigade::loadtest
