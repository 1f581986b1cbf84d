# The debug chart's cost: room snapshot under the lock, JSON outside it, and the whole-ring scan
# the original did per request, for comparison.
add_executable(brigade-bench-debug ${CMAKE_CURRENT_SOURCE_DIR}/debug_bench.cpp)
target_link_libraries(brigade-bench-debug PRIVATE brigade_api brigade_warnings
  benchmark::benchmark_main)
