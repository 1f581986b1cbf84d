// brigade-loadtest: simulated singers against any server that implements the Bucket Brigade
// API. Exit status: 0 passed, 1 an SLO gate or the verify check failed, 2 usage or setup error.
#include <sys/resource.h>

#include <cstdio>
#include <exception>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "options.hpp"
#include "runner.hpp"

int main(int argc, char** argv) {
  using namespace brigade::loadtest;
  int exit_code = 0;
  const auto options = parse_options(argc, argv, exit_code);
  if (!options) return exit_code;
  ParsedUrl url;
  if (!parse_http_url(options->url, url)) {
    std::fprintf(stderr, "brigade-loadtest: --url must look like http://HOST:PORT/PATH\n");
    return 2;
  }
  if (!options->room.empty()) url.path = "/r/" + options->room + url.path;  // --room NAME
  // One keep-alive connection per singer by default: allow as many descriptors as permitted.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &files);
  }
  try {
    net::io_context io(1);
    net::ip::tcp::resolver resolver(io);
    const auto endpoints = resolver.resolve(url.host, std::to_string(url.port));
    if (endpoints.empty()) throw std::runtime_error("no address for " + url.host);
    Runner runner(io, *options, endpoints.begin()->endpoint(), url);
    runner.start();
    io.run();
    return runner.finish_report();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "brigade-loadtest: %s\n", e.what());
    return 2;
  }
}
