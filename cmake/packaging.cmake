# Installation and the Debian package.
#   cmake --install build/release --prefix /opt/brigade   (or DESTDIR=... for staging)
#   cpack -G DEB (scripts/package): brigade_VERSION_ARCH.deb for /usr, with the systemd unit
#   brigade.service, /etc/brigade/brigade.conf and maintainer scripts from packaging/.
# The server finds its page at ../share/brigade/web next to its binary (see options.cpp).
install(TARGETS brigade-server brigade-loadtest RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/web/ DESTINATION ${CMAKE_INSTALL_DATADIR}/brigade/web)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
# The unit and the config file are written at install time (packaging/install-config.cmake).
install(CODE "
  set(BRIGADE_PACKAGING_DIR \"${PROJECT_SOURCE_DIR}/packaging\")
  set(BRIGADE_STAGING_DIR \"${PROJECT_BINARY_DIR}/packaging\")
  set(BRIGADE_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
  set(BRIGADE_DOCDIR_RELATIVE \"${CMAKE_INSTALL_DOCDIR}\")")
install(SCRIPT ${PROJECT_SOURCE_DIR}/packaging/install-config.cmake)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME brigade)
set(CPACK_PACKAGE_VENDOR "brigade")
set(CPACK_PACKAGE_CONTACT "brigade maintainers <brigade@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "bucket-brigade singing server (Bucket Brigade HTTP API)")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# Install-time paths (/etc for the config) need DESTDIR staging with the real prefix.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION sound)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/jeffkaufman/bucket-brigade")
find_program(BRIGADE_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(BRIGADE_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()  # the same list dpkg-shlibdeps finds on Debian 12
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6, libstdc++6, libgcc-s1, libopus0, libboost-json1.81.0, libboost-program-options1.81.0")
endif()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/conffiles ${PROJECT_SOURCE_DIR}/packaging/postinst
  ${PROJECT_SOURCE_DIR}/packaging/prerm ${PROJECT_SOURCE_DIR}/packaging/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
