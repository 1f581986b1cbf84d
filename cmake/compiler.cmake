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
if(BRIGADE_WERROR)
  target_compile_options(brigade_warnings INTERFACE -Werror)
endif()

if(BRIGADE_SANITIZE)
  add_compile_options(-fsanitize=${BRIGADE_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${BRIGADE_SANITIZE})
endif()
