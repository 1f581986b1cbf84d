// brigade: accepts connections and hands each to an HTTP session on its own strand.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "router.hpp"

namespace brigade::server {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  /// Opens, binds and listens; throws boost::system::system_error on failure (the caller exits).
  /// `api_at_root`: a --root-api-listen port (the API at "/", for the original page's
  /// localhost mode).
  Listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint,
           Router& router, bool api_at_root = false);
  void run();
  void stop();
  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  void do_accept();

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  /// Paces retries after a failed accept (e.g. out of file descriptors) instead of spinning.
  boost::asio::steady_timer retry_timer_;
  Router& router_;
  const bool api_at_root_;
};

}  // namespace brigade::server
