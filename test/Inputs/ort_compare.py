#!/usr/bin/env python3
"""Runs an exported ONNX model in onnxruntime and compares its output with
the gptq-mlir CPU runtime's (test tooling).

  ort_compare.py MODEL.onnx --input NAME=ids.npy --reference out.npy
                 [--atol 1e-3] [--expect-op TYPE=COUNT ...]

The model is loaded from its path (so external data next to it is found),
run on the CPU execution provider, and its first output must be within
--atol (max abs difference) of the reference array. --expect-op checks how
many nodes of an op type the graph holds (e.g. MatMulNBits=35). Prints the
max abs difference. Without onnxruntime it prints why and exits 0."""
import argparse
import sys

try:
    import numpy as np
    import onnx
    import onnxruntime as ort
except ImportError as e:  # pragma: no cover - depends on the machine
    print("ort_compare: skipped: %s (install onnxruntime, onnx and numpy)" % e)
    sys.exit(0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--input", action="append", default=[])
    p.add_argument("--reference", required=True)
    p.add_argument("--atol", type=float, default=1e-3)
    p.add_argument("--expect-op", action="append", default=[])
    p.add_argument("--describe", action="store_true",
                   help="print the first MatMulNBits node: attributes, input shapes")
    args = p.parse_args()

    # The graph itself: op counts and MatMulNBits attributes (without
    # loading external data).
    model = onnx.load(args.model, load_external_data=False)
    counts = {}
    for node in model.graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
        if node.op_type == "MatMulNBits":
            assert node.domain == "com.microsoft", node.domain
            attrs = {a.name: a.i for a in node.attribute}
            for key in ("K", "N", "bits", "block_size"):
                assert key in attrs, "MatMulNBits %s lacks %s" % (node.name, key)
    for spec in args.expect_op:
        op, n = spec.split("=")
        if counts.get(op, 0) != int(n):
            sys.exit("expected %s %s nodes, found %d" % (n, op, counts.get(op, 0)))
    external = sum(1 for t in model.graph.initializer
                   if t.data_location == onnx.TensorProto.EXTERNAL)
    if args.describe:
        inits = {t.name: t for t in model.graph.initializer}
        node = next(n for n in model.graph.node if n.op_type == "MatMulNBits")
        attrs = " ".join("%s=%d" % (a.name, a.i) for a in node.attribute)
        print("MatMulNBits %s: %s" % (node.name, attrs))
        slots = ["A", "B", "scales", "zero_points", "g_idx", "bias"]
        for slot, name in list(zip(slots, node.input))[1:]:
            if not name:
                print("  %s: absent" % slot)
            elif name in inits:
                t = inits[name]
                print("  %s: %s %s" % (slot, onnx.TensorProto.DataType.Name(t.data_type).lower(),
                                       "x".join(str(d) for d in t.dims)))
            else:
                print("  %s: %s (graph value)" % (slot, name))

    feeds = {}
    for spec in args.input:
        name, path = spec.split("=", 1)
        feeds[name] = np.load(path)
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    sess = ort.InferenceSession(args.model, opts, providers=["CPUExecutionProvider"])
    out = sess.run(None, feeds)[0]
    ref = np.load(args.reference)
    if out.shape != ref.shape:
        sys.exit("shape %s from onnxruntime, %s from the reference" % (out.shape, ref.shape))
    diff = float(np.max(np.abs(out.astype(np.float64) - ref.astype(np.float64))))
    print("onnxruntime %s: %d nodes (%d MatMulNBits), %d external initializers, "
          "max abs diff %.3g" % (ort.__version__, len(model.graph.node),
                                 counts.get("MatMulNBits", 0), external, diff))
    if not diff <= args.atol:
        sys.exit("max abs diff %.3g exceeds %.3g" % (diff, args.atol))


if __name__ == "__main__":
    main()
