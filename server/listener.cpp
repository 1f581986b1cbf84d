// brigade: listener.
#include "listener.hpp"

#include <boost/asio/strand.hpp>

#include "http_session.hpp"
#include "log.hpp"

namespace brigade::server {
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {
/// How long to wait before accepting again after an accept error.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
}  // namespace

Listener::Listener(net::io_context& ioc, const tcp::endpoint& endpoint, SessionShared& shared,
                   ConnectionLimits& limits)
    : ioc_(ioc),
      acceptor_(net::make_strand(ioc)),
      retry_timer_(acceptor_.get_executor()),
      shared_(shared),
      limits_(limits) {
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
    return start_http_session(std::move(s), shared_, std::move(ticket));
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
                           if (ec == net::error::operation_aborted || !self->acceptor_.is_open())
                             return;
                           if (ec) {
                             // Transient (e.g. out of descriptors): report and keep accepting.
                             log_event(LogLevel::kWarn, "accept_failed", {{"error", ec.message()}});
                             self->shared_.router.metrics().record_error(ErrorReason::kAccept);
                           } else {
                             s.set_option(tcp::no_delay(true), ec);
                             self->admit(std::move(s));
                           }
                           self->do_accept();
                         });
}

}  // namespace brigade::server
