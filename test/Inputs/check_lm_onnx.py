#!/usr/bin/env python3
"""Describes a written decoder model.onnx and runs it in onnxruntime next to
gptq-run (test tooling; needs numpy and onnx, onnxruntime for the run).

  check_lm_onnx.py MODEL.onnx [--ids 1,2,3] [--gptq-run BIN --runtime-model M]
                   [--atol 1e-3]

Prints the graph inputs and outputs with their element types and the
MatMulNBits nodes with the type of their scales. With --gptq-run, feeds the
model as a language model (the ids, a mask of ones, running positions,
zero-length pasts of the declared type, read from the graph's input shapes),
runs M (the quantized module) with `gptq-run --input ... --output-dir` and
MODEL in onnxruntime, and prints the largest difference of every output; it
fails when one exceeds --atol or is not finite. Without onnxruntime the run
is skipped with a message."""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto


def type_name(t):
    return TensorProto.DataType.Name(t).lower()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--ids", default="1,2,3,4,5")
    p.add_argument("--gptq-run")
    p.add_argument("--runtime-model")
    p.add_argument("--atol", type=float, default=1e-3)
    args = p.parse_args()

    m = onnx.load(args.model, load_external_data=False)
    g = m.graph
    print("inputs: " + ", ".join("%s %s" % (i.name, type_name(i.type.tensor_type.elem_type)) for i in g.input))
    print("outputs: " + ", ".join("%s %s" % (o.name, type_name(o.type.tensor_type.elem_type)) for o in g.output))
    inits = {t.name: t for t in g.initializer}
    nbits = [n for n in g.node if n.op_type == "MatMulNBits"]
    scale_types = sorted({type_name(inits[n.input[2]].data_type) for n in nbits if n.input[2] in inits})
    print("MatMulNBits: %d (scales %s)" % (len(nbits), ", ".join(scale_types)))
    if not args.gptq_run:
        return

    try:
        import onnxruntime as ort
    except ImportError as e:  # pragma: no cover - depends on the machine
        print("check_lm_onnx: onnxruntime run skipped: %s" % e)
        return
    np_types = {TensorProto.INT64: np.int64, TensorProto.INT32: np.int32, TensorProto.BOOL: np.bool_,
                TensorProto.FLOAT: np.float32, TensorProto.FLOAT16: np.float16}
    ids = np.array([[int(v) for v in args.ids.split(",")]], np.int64)
    s = ids.shape[1]
    feeds = {}
    for i in g.input:
        tt = i.type.tensor_type
        dt = np_types[tt.elem_type]
        if i.name == "input_ids":
            feeds[i.name] = ids.astype(dt)
        elif i.name == "attention_mask":
            feeds[i.name] = np.ones((1, s), dt)
        elif i.name == "position_ids":
            feeds[i.name] = np.arange(s, dtype=dt)[None, :]
        elif i.name.startswith("past"):
            dims = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
            shape = [1, dims[1], 0, dims[3]]
            if None in shape:
                sys.exit("past input %s has dynamic head dimensions" % i.name)
            feeds[i.name] = np.zeros(shape, dt)
        else:
            sys.exit("no rule to feed %s" % i.name)
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    sess = ort.InferenceSession(args.model, opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    ort_out = dict(zip(names, sess.run(None, feeds)))
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [args.gptq_run, args.runtime_model, "--output-dir", os.path.join(tmp, "out")]
        for name, value in feeds.items():
            path = os.path.join(tmp, name + ".npy")
            np.save(path, value)
            cmd += ["--input", "%s=%s" % (name, path)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        worst = 0.0
        for name in names:
            ours = np.load(os.path.join(tmp, "out", name + ".npy"))
            theirs = ort_out[name]
            if ours.shape != theirs.shape or ours.dtype != theirs.dtype:
                sys.exit("%s: gptq-run %s %s, onnxruntime %s %s" % (
                    name, ours.dtype, ours.shape, theirs.dtype, theirs.shape))
            if not (np.isfinite(ours).all() and np.isfinite(theirs).all()):
                sys.exit("%s: not finite" % name)
            d = float(np.max(np.abs(ours.astype(np.float64) - theirs.astype(np.float64)))) if ours.size else 0.0
            print("onnxruntime vs gptq-run: %s %s%s max abs diff %.3g" % (
                name, ours.dtype, list(ours.shape), d))
            worst = max(worst, d)
    if worst > args.atol:
        sys.exit("max abs difference %.3g exceeds %g" % (worst, args.atol))


if __name__ == "__main__":
    main()
