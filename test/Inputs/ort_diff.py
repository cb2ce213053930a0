#!/usr/bin/env python3
"""Differential test against onnxruntime (test tooling; needs numpy, onnx and
onnxruntime). For each ONNX text fixture: converts it with onnx-txt2pb,
draws random inputs (dynamic dimensions = 3, integers in [0, 2)), runs
onnxruntime's CPU session and `gptq-run --expect` for every output.
Binary .onnx models (e.g. written by --export-onnx) are taken as they are.

  ort_diff.py BIN_DIR WORK_DIR (FIXTURE.onnxtxt | MODEL.onnx)...
"""
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper

bin_dir, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
rng = np.random.default_rng(0)
failures = 0
for fixture in sys.argv[3:]:
    name = os.path.splitext(os.path.basename(fixture))[0]
    if fixture.endswith(".onnx"):  # a binary model (e.g. one we exported)
        model_path = fixture
    else:
        model_path = os.path.join(work, name + ".onnx")
        subprocess.run([os.path.join(bin_dir, "onnx-txt2pb"), fixture, "-o", model_path],
                       check=True)
    model = onnx.load(model_path)
    inits = {t.name for t in model.graph.initializer}
    feeds, args = {}, []
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else 3 for d in tt.shape.dim]
        dtype = helper.tensor_dtype_to_np_dtype(tt.elem_type)
        if dtype == np.bool_:
            value = rng.integers(0, 2, size=shape).astype(np.bool_)
        elif np.issubdtype(dtype, np.integer):
            value = rng.integers(0, 2, size=shape).astype(dtype)
        else:
            value = rng.standard_normal(size=shape).astype(dtype)
        feeds[vi.name] = value
        path = os.path.join(work, "%s.in.%s.npy" % (name, vi.name))
        np.save(path, value)
        args += ["--input", "%s=%s" % (vi.name, path)]
    sess = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    outs = sess.run(None, feeds)
    for out, value in zip(sess.get_outputs(), outs):
        path = os.path.join(work, "%s.out.%s.npy" % (name, out.name))
        np.save(path, np.asarray(value))
        args += ["--expect", "%s=%s" % (out.name, path)]
    result = subprocess.run([os.path.join(bin_dir, "gptq-run"), model_path] + args +
                            ["--atol", "1e-4", "--rtol", "1e-3"],
                            capture_output=True, text=True)
    status = "ok" if result.returncode == 0 else "FAILED"
    failures += result.returncode != 0
    print("%s: %s, %d outputs vs onnxruntime %s" % (name, status, len(outs), ort.__version__))
    if result.returncode != 0:
        print(result.stdout + result.stderr)
sys.exit(1 if failures else 0)
