# -*- Python -*- lit configuration of the gptq-mlir test suite.

import os
import shutil

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "GPTQ"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".onnxtxt", ".textproto"]
config.excludes = ["Inputs", "OnnxBackendTest.cpp", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.gptq_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%src_root", config.gptq_src_root))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%gptq_bin", config.gptq_tools_dir))
config.substitutions.append(("%models", os.path.join(config.gptq_src_root, "models")))
# The mlir-opt plugin (lib/Plugin) and the mlir-opt of the LLVM install.
config.substitutions.append(("%gptq_plugin", os.path.join(config.gptq_lib_dir, "libGPTQPlugin.so")))
if os.path.exists(os.path.join(config.llvm_tools_dir, "mlir-opt")):
    config.available_features.add("mlir-opt")
# File permissions bind only non-root users.
if hasattr(os, "geteuid") and os.geteuid() != 0:
    config.available_features.add("non-root")
# Installing the build tree and building a consumer project against it.
if config.cmake_command and os.path.exists(config.cmake_command):
    config.available_features.add("cmake")
    consumer = ['"%s"' % config.cmake_command, "-G", '"%s"' % config.cmake_generator,
                "-DCMAKE_CXX_COMPILER=%s" % config.cxx_compiler,
                "-DCMAKE_BUILD_TYPE=Release"]
    if config.cmake_make_program:
        consumer.append("-DCMAKE_MAKE_PROGRAM=%s" % config.cmake_make_program)
    if config.ccache_program and os.path.exists(config.ccache_program):
        consumer.append("-DCMAKE_CXX_COMPILER_LAUNCHER=%s" % config.ccache_program)
    config.substitutions.append(("%cmake_configure", " ".join(consumer)))
    config.substitutions.append(("%cmake", '"%s"' % config.cmake_command))
    config.substitutions.append(("%gptq_obj_root", config.gptq_obj_root))

llvm_config.with_system_environment(["HOME", "TMPDIR", "PYTHONPATH"])
llvm_config.use_default_substitutions()

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.gptq_tools_dir, append_path=True)

tool_dirs = [config.gptq_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["FileCheck", "not", "count"], [config.llvm_tools_dir])
llvm_config.add_tool_substitutions([ToolSubst("mlir-opt", unresolved="ignore")],
                                   [config.llvm_tools_dir])
tools = ["gptq-opt", "gptq-translate", "gptq-run", "gptq-quantize", "onnx-txt2pb",
         "gptq-onnx-backend-test"]
llvm_config.add_tool_substitutions(
    [ToolSubst(t, unresolved="ignore") for t in tools], tool_dirs)

# Features tests can require.
#   nvcc       the CUDA compiler (compile the emitted kernels)
#   cuda       the CUDA backend is built (the toolkit was found)
#   cuda-gpu   ... and a usable GPU is present (gptq-run --cuda-device-info)
if config.gptq_enable_cuda and config.nvcc_executable and os.path.exists(config.nvcc_executable):
    config.available_features.add("nvcc")
    config.substitutions.append(("%nvcc", config.nvcc_executable))
if config.gptq_enable_cuda:
    config.available_features.add("cuda")
    import subprocess
    try:
        probe = subprocess.run(
            [os.path.join(config.gptq_tools_dir, "gptq-run"), "--cuda-device-info"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if probe.returncode == 0:
            config.available_features.add("cuda-gpu")
        else:
            lit_config.note("CUDA tests that need a GPU are unsupported: " +
                            probe.stderr.decode(errors="replace").strip())
    except (OSError, subprocess.SubprocessError) as e:
        lit_config.note("CUDA tests that need a GPU are unsupported: %s" % e)
try:
    import numpy  # noqa: F401
    config.available_features.add("numpy")
except ImportError:
    pass
for mod in ("onnxruntime", "safetensors", "onnx"):
    try:
        __import__(mod)
        config.available_features.add(mod)
    except ImportError:
        pass
# ONNX's node test cases of the opset-23 ops (onnx >= 1.18).
try:
    import onnx.defs
    onnx.defs.get_schema("Attention", 23)
    config.available_features.add("onnx-opset23-cases")
except Exception:
    pass
if os.path.isdir("/usr/share/libonnx-testdata/data/node"):
    config.available_features.add("onnx-testdata")
