// brigade: accepts connections and hands each to an HTTP session on its own strand.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "connection_limits.hpp"
#include "http_session.hpp"

namespace brigade::server {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  /// Opens, binds and listens; throws boost::system::system_error on failure (the caller exits).
  Listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint,
           SessionShared& shared, ConnectionLimits& limits);
  void run();
  void stop();
  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  void do_accept();
  /// Starts a session for `s`, or answers 503 and closes it when a connection limit is reached.
  void admit(boost::asio::ip::tcp::socket s);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  /// Paces retries after a failed accept (e.g. out of file descriptors) instead of spinning.
  boost::asio::steady_timer retry_timer_;
  SessionShared& shared_;
  ConnectionLimits& limits_;
};

}  // namespace brigade::server
