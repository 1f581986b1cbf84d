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

Listener::Listener(net::io_context& ioc, const tcp::endpoint& endpoint, Router& router)
    : ioc_(ioc),
      acceptor_(net::make_strand(ioc)),
      retry_timer_(acceptor_.get_executor()),
      router_(router) {
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

void Listener::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_),
                         [self = shared_from_this()](boost::system::error_code ec, tcp::socket s) {
                           if (ec == net::error::operation_aborted || !self->acceptor_.is_open())
                             return;
                           if (ec) {
                             // Transient (e.g. out of descriptors): report and keep accepting.
                             log_event(LogLevel::kWarn, "accept_failed", {{"error", ec.message()}});
                             self->router_.metrics().record_error(ErrorReason::kAccept);
                           } else {
                             s.set_option(tcp::no_delay(true), ec);
                             start_http_session(std::move(s), self->router_);
                           }
                           self->do_accept();
                         });
}

}  // namespace brigade::server
