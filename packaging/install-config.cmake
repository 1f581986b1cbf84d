# Install-time step (see cmake/packaging.cmake): the unit and the config file name absolute
# paths, so they are written for the prefix actually installed to: /usr in the .deb (config in
# /etc), or PREFIX/etc for `cmake --install --prefix PREFIX`.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(BRIGADE_ETC /etc/brigade)
else()
  set(BRIGADE_ETC ${CMAKE_INSTALL_PREFIX}/etc/brigade)
endif()
set(BRIGADE_SERVER ${CMAKE_INSTALL_PREFIX}/${BRIGADE_BINDIR}/brigade-server)
set(BRIGADE_CONFIG ${BRIGADE_ETC}/brigade.conf)
set(BRIGADE_DOCDIR ${CMAKE_INSTALL_PREFIX}/${BRIGADE_DOCDIR_RELATIVE})
configure_file(${BRIGADE_PACKAGING_DIR}/brigade.service.in ${BRIGADE_STAGING_DIR}/brigade.service
  @ONLY)
file(INSTALL ${BRIGADE_STAGING_DIR}/brigade.service
  DESTINATION ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
file(INSTALL ${BRIGADE_PACKAGING_DIR}/brigade.conf DESTINATION ${BRIGADE_ETC})
