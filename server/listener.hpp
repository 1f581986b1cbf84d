// brigade: accepts connections and hands each to an HTTP session on its own strand.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>

#include "connection_limits.hpp"
#include "http_session.hpp"

namespace brigade::server {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  /// Opens, binds and listens; throws boost::system::system_error on failure (the caller exits).
  /// `api_at_root`: a --root-api-listen port (the API at "/", for the original page's
  /// localhost mode).
  Listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint,
           SessionShared& shared, ConnectionLimits& limits, bool api_at_root = false);
  void run();
  void stop();
  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  /// After a failed accept: waits (doubling the wait while failures go on) and accepts again.
  void retry_later(const boost::system::error_code& ec);
  /// Starts a session for `s`, or answers 503 and closes it when a connection limit is reached.
  void admit(boost::asio::ip::tcp::socket s);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  /// Paces retries after a failed accept (e.g. out of file descriptors) instead of spinning.
  boost::asio::steady_timer retry_timer_;
  SessionShared& shared_;
  ConnectionLimits& limits_;
  const bool api_at_root_;
  /// The current wait before the next accept; zero while accepts succeed.
  std::chrono::milliseconds retry_delay_{0};
  /// Failed accepts since the last log line, and when that line was written.
  std::uint64_t unlogged_failures_ = 0;
  std::uint64_t failures_in_episode_ = 0;
  std::chrono::steady_clock::time_point last_log_{};
};

}  // namespace brigade::server
