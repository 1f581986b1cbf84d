// brigade: listener.
#include "listener.hpp"

#include <algorithm>
#include <boost/asio/strand.hpp>
#include <string>

#include "http_session.hpp"
#include "log.hpp"

namespace brigade::server {
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {
/// Wait before accepting again after a failed accept (e.g. EMFILE: the pending connection
/// stays queued, so an immediate retry fails at once and would spin): it starts short, so a
/// one-off failure costs nothing, and doubles up to the cap while failures go on.
constexpr std::chrono::milliseconds kAcceptRetryFirst{10};
constexpr std::chrono::milliseconds kAcceptRetryMax{1000};
/// At most one log line per this interval while accepts keep failing.
constexpr std::chrono::seconds kAcceptLogInterval{10};
}  // namespace

Listener::Listener(net::io_context& ioc, const tcp::endpoint& endpoint, SessionShared& shared,
                   ConnectionLimits& limits, bool api_at_root)
    : ioc_(ioc),
      acceptor_(net::make_strand(ioc)),
      retry_timer_(acceptor_.get_executor()),
      shared_(shared),
      limits_(limits),
      api_at_root_(api_at_root) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(net::socket_base::max_listen_connections);
}

void Listener::run() {
  do_accept();
}

void Listener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->acceptor_.close(ec);
    self->retry_timer_.cancel();
  });
}

void Listener::admit(tcp::socket s) {
  boost::system::error_code ec;
  const auto peer = s.remote_endpoint(ec);
  if (ec) return;  // already gone
  if (auto ticket = limits_.admit(peer.address().to_string())) {
    return start_http_session(std::move(s), shared_, std::move(ticket), api_at_root_);
  }
  // Over a limit: one short answer (it fits an empty send buffer, so this never blocks), close.
  static const std::string kRefusal = [] {
    const ApiResponse r = error_response(503, "too many connections");
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
           "Access-Control-Allow-Origin: *\r\nConnection: close\r\nX-Audio-Metadata: " +
           r.audio_metadata + "\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\n\r\n" +
           r.body;
  }();
  s.non_blocking(true, ec);
  s.write_some(net::buffer(kRefusal), ec);
  s.shutdown(tcp::socket::shutdown_both, ec);
  s.close(ec);
}

void Listener::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_),
                         [self = shared_from_this()](boost::system::error_code ec, tcp::socket s) {
                           self->on_accept(ec, std::move(s));
                         });
}

void Listener::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) return retry_later(ec);
  if (failures_in_episode_ > 0) {
    log_event(LogLevel::kInfo, "accept_recovered", {{"failed_accepts", failures_in_episode_}});
    failures_in_episode_ = unlogged_failures_ = 0;
  }
  retry_delay_ = std::chrono::milliseconds{0};
  socket.set_option(tcp::no_delay(true), ec);
  admit(std::move(socket));
  do_accept();
}

void Listener::retry_later(const boost::system::error_code& ec) {
  ++failures_in_episode_;
  ++unlogged_failures_;
  shared_.router.metrics().record_error(ErrorReason::kAccept);
  const auto now = std::chrono::steady_clock::now();
  if (failures_in_episode_ == 1 || now - last_log_ >= kAcceptLogInterval) {
    log_event(LogLevel::kWarn, "accept_failed",
              {{"error", ec.message()},
               {"failures", unlogged_failures_},
               {"retry_max_ms", static_cast<std::int64_t>(kAcceptRetryMax.count())}});
    last_log_ = now;
    unlogged_failures_ = 0;
  }
  retry_delay_ = std::clamp(retry_delay_ * 2, kAcceptRetryFirst, kAcceptRetryMax);
  retry_timer_.expires_after(retry_delay_);
  retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
    if (wait_ec || !self->acceptor_.is_open()) return;
    self->do_accept();
  });
}

}  // namespace brigade::server
