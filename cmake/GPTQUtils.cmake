# Helpers shared by the project's CMake files.

# OpenBLAS, found by name so that Debian's reference BLAS can never be linked
# instead (it is ~30x slower). Defines the imported target gptq::openblas.
function(gptq_find_openblas)
  find_path(OPENBLAS_INCLUDE_DIR cblas.h
    PATHS /usr/include/x86_64-linux-gnu/openblas-pthread /usr/include/openblas
          /usr/include/x86_64-linux-gnu /usr/include)
  find_library(OPENBLAS_LIBRARY NAMES openblas
    PATHS /usr/lib/x86_64-linux-gnu/openblas-pthread /usr/lib/x86_64-linux-gnu)
  find_path(LAPACKE_INCLUDE_DIR lapacke.h)
  find_library(LAPACKE_LIBRARY NAMES lapacke)
  if(NOT OPENBLAS_INCLUDE_DIR OR NOT OPENBLAS_LIBRARY OR NOT LAPACKE_LIBRARY)
    message(FATAL_ERROR "OpenBLAS/LAPACKE not found: apt-get install libopenblas-dev liblapacke-dev")
  endif()
  message(STATUS "OpenBLAS: ${OPENBLAS_LIBRARY} (cblas.h in ${OPENBLAS_INCLUDE_DIR})")
  add_library(gptq_openblas INTERFACE)
  target_include_directories(gptq_openblas SYSTEM INTERFACE ${OPENBLAS_INCLUDE_DIR} ${LAPACKE_INCLUDE_DIR})
  # lapacke first: it resolves LAPACK symbols, which OpenBLAS provides.
  target_link_libraries(gptq_openblas INTERFACE ${LAPACKE_LIBRARY} ${OPENBLAS_LIBRARY})
  add_library(gptq::openblas ALIAS gptq_openblas)
endfunction()

# Link a target against MLIR. Everything in this project links the MLIR dylib
# (libMLIR.so), so that tools, the mlir-opt plugin and embedders all share one
# copy of MLIR's registries, and links stay fast.
function(gptq_link_mlir target)
  target_link_libraries(${target} PUBLIC MLIR LLVM)
endfunction()

# ODS for a dialect whose ops live in <Name>Ops.td next to the CMakeLists.txt:
# generates <Name>Ops.{h,cpp}.inc, <Name>Dialect.{h,cpp}.inc, and, when the
# dialect has attributes, <Name>Attrs.{h,cpp}.inc. Target: GPTQ<Name>OpsIncGen.
function(gptq_add_dialect_tablegen name dialect ops_td)
  set(LLVM_TARGET_DEFINITIONS ${ops_td}.td)
  mlir_tablegen(${ops_td}.h.inc -gen-op-decls)
  mlir_tablegen(${ops_td}.cpp.inc -gen-op-defs)
  mlir_tablegen(${name}Dialect.h.inc -gen-dialect-decls -dialect=${dialect})
  mlir_tablegen(${name}Dialect.cpp.inc -gen-dialect-defs -dialect=${dialect})
  if(ARGN)
    mlir_tablegen(${name}Attrs.h.inc -gen-attrdef-decls -attrdefs-dialect=${dialect})
    mlir_tablegen(${name}Attrs.cpp.inc -gen-attrdef-defs -attrdefs-dialect=${dialect})
  endif()
  add_public_tablegen_target(GPTQ${name}OpsIncGen)
  # Markdown docs of the dialect, built by the `gptq-doc` target.
  mlir_tablegen(${name}Ops.md -gen-op-doc)
  add_public_tablegen_target(GPTQ${name}DocGen)
  set_target_properties(GPTQ${name}DocGen PROPERTIES EXCLUDE_FROM_ALL ON)
endfunction()
