# brigade-loadtest: simulated singers over HTTP (Asio, Beast's response parser), reusing the
# API wire format and tone helpers of brigade_client (client/). The HTTP client and the client
# profiles are a library so that tests can use them directly.
add_library(brigade_loadtest_core STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/http_response.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/http_pool.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/ws_links.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/profile.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/json_text.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/timing.cpp
)
target_include_directories(brigade_loadtest_core PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/loadtest)
target_link_libraries(brigade_loadtest_core PUBLIC brigade_client Boost::json Threads::Threads
  PRIVATE brigade_warnings)

add_executable(brigade-loadtest
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/main.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/options.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/fault.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/histogram.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/voice.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/stats.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/singer.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/verify.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/report.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/loadtest/runner.cpp
)
target_link_libraries(brigade-loadtest PRIVATE brigade_loadtest_core brigade_client
  Boost::program_options Boost::json Threads::Threads brigade_warnings)
