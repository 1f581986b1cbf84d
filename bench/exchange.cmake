# One whole in-process exchange (parse → decode → room → render → encode) and its parts.
add_executable(brigade-bench-exchange ${CMAKE_CURRENT_LIST_DIR}/exchange_bench.cpp)
target_link_libraries(brigade-bench-exchange PRIVATE brigade_api benchmark::benchmark_main
  brigade_warnings)
