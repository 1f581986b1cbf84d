# brigade-loadtest: simulated singers over HTTP (Asio, hand-written HTTP/1.1 client; no Beast),
# reusing the tests' API wire format and tone helpers from brigade_client.
add_executable(brigade-loadtest
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/main.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/options.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/histogram.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/http_pool.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/voice.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/stats.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/singer.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/verify.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/timing.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/report.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/runner.cpp
)
target_link_libraries(brigade-loadtest PRIVATE brigade_client Boost::program_options
  Boost::json Threads::Threads brigade_warnings)
