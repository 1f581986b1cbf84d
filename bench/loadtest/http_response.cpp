// brigade-loadtest: HTTP/1.x response reader (see http_response.hpp).
#include "http_response.hpp"

#include <boost/beast/http/read.hpp>

namespace brigade::loadtest {

namespace http = boost::beast::http;

void ResponseReader::async_read(boost::asio::ip::tcp::socket& socket,
                                std::function<void(boost::system::error_code)> done) {
  parser_.emplace();
  parser_->header_limit(kMaxHeadBytes);
  parser_->body_limit(max_body_bytes_);
  wire_bytes_ = 0;
  http::async_read(socket, buffer_, *parser_,
                   [this, done = std::move(done)](boost::system::error_code ec, std::size_t n) {
                     wire_bytes_ = n;
                     done(ec);
                   });
}

int ResponseReader::status() const {
  return static_cast<int>(parser_->get().result_int());
}

std::string_view ResponseReader::header(std::string_view name) const {
  const auto& m = parser_->get();
  const auto it = m.find(boost::beast::string_view(name.data(), name.size()));
  if (it == m.end()) return {};
  const auto v = it->value();
  return {v.data(), v.size()};
}

std::string_view ResponseReader::body() const {
  return parser_->get().body();
}

bool ResponseReader::keep_alive() const {
  return parser_->get().keep_alive() && !parser_->need_eof();
}

}  // namespace brigade::loadtest
