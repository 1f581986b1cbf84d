# Every dependency comes from a Debian 12 package; a missing one stops configuration with the
# package to install.
function(brigade_require found package)
  if(NOT ${found})
    message(FATAL_ERROR "Missing dependency: install the Debian package '${package}' "
                        "(scripts/run and scripts/test install it for you).")
  endif()
endfunction()

find_package(Threads REQUIRED)

find_package(Boost 1.81 QUIET COMPONENTS json program_options)
brigade_require(Boost_FOUND "libboost1.81-dev libboost-json1.81-dev libboost-program-options1.81-dev")

find_package(PkgConfig QUIET)
brigade_require(PKG_CONFIG_FOUND "pkg-config")
pkg_check_modules(Opus QUIET IMPORTED_TARGET opus)
brigade_require(Opus_FOUND "libopus-dev")
# Uploaded backing tracks: WAV, MP3, FLAC, Ogg and AIFF (Debian 12's 1.2 reads MP3 via mpg123).
pkg_check_modules(SndFile QUIET IMPORTED_TARGET sndfile>=1.1)
brigade_require(SndFile_FOUND "libsndfile1-dev")

find_package(Eigen3 3.3 QUIET NO_MODULE)
brigade_require(Eigen3_FOUND "libeigen3-dev")

find_package(GTest QUIET)
brigade_require(GTest_FOUND "libgtest-dev libgmock-dev")

find_package(benchmark QUIET)
brigade_require(benchmark_FOUND "libbenchmark-dev")
