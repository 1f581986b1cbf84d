# Compiler launcher, warnings and sanitizers: one place for every target.
find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

option(BRIGADE_WERROR "Treat warnings as errors" ON)
set(BRIGADE_SANITIZE "" CACHE STRING "Sanitizers to build with: address,undefined | thread | empty")

add_library(brigade_warnings INTERFACE)
target_compile_options(brigade_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
  -Wno-sign-conversion)
# GCC 12 at -O3 reports -Wrestrict inside libstdc++ for `"literal" + std::string` (GCC bug
# 105329, a false positive); it would fail every Release build under -Werror.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(brigade_warnings INTERFACE -Wno-restrict)
endif()
if(BRIGADE_WERROR)
  target_compile_options(brigade_warnings INTERFACE -Werror)
endif()

if(BRIGADE_SANITIZE)
  if(BRIGADE_SANITIZE MATCHES "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC warns that Asio's atomic_thread_fence is invisible to TSan; Asio's own
    # synchronization does not rely on it, and -Werror would stop the TSan build.
    target_compile_options(brigade_warnings INTERFACE -Wno-tsan)
  endif()
  add_compile_options(-fsanitize=${BRIGADE_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${BRIGADE_SANITIZE})
endif()

# libFuzzer tree (clang only; scripts/fuzz): coverage instrumentation everywhere, the fuzzer's
# main() only in the fuzz-* executables (tests/fuzz/CMakeLists.txt).
option(BRIGADE_FUZZ "Build the libFuzzer targets (needs clang)" OFF)
if(BRIGADE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "BRIGADE_FUZZ needs clang (CXX=clang++)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
