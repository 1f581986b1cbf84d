# What per-singer stems cost: the exchange path's copy into the queue, and the recorder thread's
# placing and writing of one upload.
add_executable(brigade-bench-stems ${CMAKE_CURRENT_SOURCE_DIR}/stems_bench.cpp)
target_link_libraries(brigade-bench-stems PRIVATE brigade_api brigade_client brigade_warnings
  benchmark::benchmark_main)
