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

# Hugging Face loader tests (test/Export/hf-load-*.test) load --hf-config
# checkpoints with transformers and GPTQModel. They need torch, transformers,
# optimum and gptqmodel from PyPI, which CI never installs: the features are
# set only when the python given by `--param hf_python=PATH`, $GPTQ_HF_PYTHON
# or the configured python imports them.
#   hf-transformers  transformers' GPTQ loading (optimum + gptqmodel)
#   hf-gptqmodel     GPTQModel.load
hf_python = (lit_config.params.get("hf_python") or os.environ.get("GPTQ_HF_PYTHON")
             or config.python_executable)
config.substitutions.append(("%hf_python", hf_python))
_hf_probe = r"""
import importlib, sys
have = {}
for m in ("torch", "transformers", "optimum.gptq", "gptqmodel"):
    try:
        importlib.import_module(m)
        have[m] = True
    except Exception as e:
        have[m] = False
        print("missing: %s (%s: %s)" % (m, type(e).__name__, str(e).splitlines()[0] if str(e) else ""))
if all(have.values()):
    print("features: hf-transformers hf-gptqmodel")
"""
try:
    import subprocess
    _r = subprocess.run([hf_python, "-c", _hf_probe], stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL, timeout=600)
    _out = _r.stdout.decode(errors="replace")
    _features = [l for l in _out.splitlines() if l.startswith("features: ")]
    if _features:
        for f in _features[0].split()[1:]:
            config.available_features.add(f)
    else:
        lit_config.note("Hugging Face loader tests are unsupported: %s cannot import %s "
                        "(pip install torch transformers optimum gptqmodel; --param hf_python=PATH)"
                        % (hf_python, "; ".join(l[len("missing: "):] for l in _out.splitlines()
                                                  if l.startswith("missing: "))))
except (OSError, subprocess.SubprocessError) as e:
    lit_config.note("Hugging Face loader tests are unsupported: %s" % e)
