# cmake --install: the xfc and xf-opt drivers, the shared libraries they and
# plug-ins share, the runtime compiled models link (its header and archive),
# the headers of the dialect and passes (generated .inc files included), and
# an xfcConfig.cmake exporting xfc::XfDialect and xfc::XfPasses.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(XFC_INCLUDE_DEST ${CMAKE_INSTALL_INCLUDEDIR}/xfc)
set(XFC_CMAKE_DEST ${CMAKE_INSTALL_LIBDIR}/cmake/xfc)

foreach(lib XfDialect XfPasses)
  target_include_directories(${lib} INTERFACE $<INSTALL_INTERFACE:${XFC_INCLUDE_DEST}>)
endforeach()
install(TARGETS XfDialect XfPasses EXPORT xfcTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS XfInitAll XfFrontend XfCodegen XfHalideCodegen
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS xfc_runtime ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS xfc xf-opt RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(FILES dialect/XfDialect.h dialect/XfInterpreter.h dialect/RelativeBuckets.h
  DESTINATION ${XFC_INCLUDE_DEST}/dialect)
install(DIRECTORY ${CMAKE_BINARY_DIR}/dialect/ DESTINATION ${XFC_INCLUDE_DEST}/dialect
  FILES_MATCHING PATTERN "*.h.inc" PATTERN CMakeFiles EXCLUDE)
install(FILES passes/Passes.h passes/Pipelines.h DESTINATION ${XFC_INCLUDE_DEST}/passes)
install(FILES ${CMAKE_BINARY_DIR}/passes/Passes.h.inc DESTINATION ${XFC_INCLUDE_DEST}/passes)
install(FILES codegen/runtime/Runtime.h codegen/runtime/CApi.h DESTINATION ${XFC_INCLUDE_DEST}/codegen/runtime)

install(EXPORT xfcTargets NAMESPACE xfc:: DESTINATION ${XFC_CMAKE_DEST})
configure_package_config_file(cmake/xfcConfig.cmake.in
  ${CMAKE_BINARY_DIR}/cmake/xfcConfig.cmake
  INSTALL_DESTINATION ${XFC_CMAKE_DEST}
  PATH_VARS CMAKE_INSTALL_BINDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/xfcConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/cmake/xfcConfig.cmake
  ${CMAKE_BINARY_DIR}/cmake/xfcConfigVersion.cmake DESTINATION ${XFC_CMAKE_DEST})
