# `cmake --install`: the tools, the mlir-opt plugin, the libraries with their
# headers (generated .inc files included) and a CMake package:
#
#   find_package(GPTQMLIR CONFIG REQUIRED)   # finds MLIR, ONNX, ... too
#   target_link_libraries(app PRIVATE GPTQMLIR::GPTQPasses)
#   # GPTQMLIR_PLUGIN: the libGPTQPlugin.so path for mlir-opt
#
# Headers go to <prefix>/include/gptq-mlir and keep the repository's include
# paths ("gptq/InitAll.h", "dialects/NN/IR/NNOps.h", "passes/Passes.h").

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(GPTQ_INSTALL_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}/gptq-mlir")
set(GPTQ_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/GPTQMLIR")

set(GPTQ_EXPORTED_LIBRARIES
  GPTQHeaders gptq_openblas GPTQRuntime GPTQRuntimeCuda GPTQNNDialect
  GPTQQuantDialect GPTQCudaCodegen GPTQExec GPTQPasses GPTQImport GPTQExport
  GPTQSupport GPTQPipeline GPTQTarget)
foreach(lib IN LISTS GPTQ_EXPORTED_LIBRARIES)
  if(NOT lib STREQUAL "GPTQHeaders" AND NOT lib STREQUAL "gptq_openblas")
    target_link_libraries(${lib} PUBLIC GPTQHeaders)
  endif()
endforeach()

install(TARGETS ${GPTQ_EXPORTED_LIBRARIES} GPTQPlugin
  EXPORT GPTQMLIRTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${GPTQ_INSTALL_INCLUDEDIR})
install(TARGETS gptq-opt gptq-translate gptq-run gptq-quantize
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Headers: sources and generated files, same relative paths.
install(DIRECTORY include/gptq DESTINATION ${GPTQ_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
foreach(dir dialects passes runtime)
  install(DIRECTORY ${dir} DESTINATION ${GPTQ_INSTALL_INCLUDEDIR}
    FILES_MATCHING PATTERN "*.h" PATTERN "*.def")
  install(DIRECTORY ${CMAKE_BINARY_DIR}/${dir} DESTINATION ${GPTQ_INSTALL_INCLUDEDIR}
    FILES_MATCHING PATTERN "*.h.inc" PATTERN "*.cpp.inc"
    PATTERN "CMakeFiles" EXCLUDE)
endforeach()

install(EXPORT GPTQMLIRTargets NAMESPACE GPTQMLIR::
  DESTINATION ${GPTQ_INSTALL_CMAKEDIR})
configure_package_config_file(
  ${CMAKE_CURRENT_SOURCE_DIR}/cmake/GPTQMLIRConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/GPTQMLIRConfig.cmake
  INSTALL_DESTINATION ${GPTQ_INSTALL_CMAKEDIR}
  PATH_VARS GPTQ_INSTALL_INCLUDEDIR)
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/GPTQMLIRConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/GPTQMLIRConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/GPTQMLIRConfigVersion.cmake
  DESTINATION ${GPTQ_INSTALL_CMAKEDIR})
