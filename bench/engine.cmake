# The engine's hot path per request: clear ahead, mix an upload, read a reply, and the occupancy
# bitmap's snapshot, against the whole-ring scan the original did.
add_executable(brigade-bench-engine ${CMAKE_CURRENT_SOURCE_DIR}/engine_bench.cpp)
target_link_libraries(brigade-bench-engine PRIVATE brigade_engine brigade_codec brigade_storage brigade_warnings
  benchmark::benchmark_main)
