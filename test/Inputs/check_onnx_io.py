#!/usr/bin/env python3
"""Checks that a written model.onnx has the graph inputs and outputs of the
original (test tooling; needs onnx):

  check_onnx_io.py ORIGINAL.onnx WRITTEN.onnx

Same names in the same order, same element types, same ranks and, per
dimension, the same dim_value or the same dim_param. Prints them; exits 1
naming the first difference."""
import sys

import onnx


def describe(vi):
    t = vi.type.tensor_type
    dims = [d.dim_param if d.HasField("dim_param") else
            (str(d.dim_value) if d.HasField("dim_value") else "?")
            for d in t.shape.dim]
    return "%s %s [%s]" % (vi.name, onnx.TensorProto.DataType.Name(t.elem_type).lower(),
                           ", ".join(dims))


def main():
    a = onnx.load(sys.argv[1], load_external_data=False).graph
    b = onnx.load(sys.argv[2], load_external_data=False).graph
    inits = {t.name for t in a.initializer}
    for what, xs, ys in (("input", [i for i in a.input if i.name not in inits], b.input),
                         ("output", a.output, b.output)):
        xs, ys = [describe(v) for v in xs], [describe(v) for v in ys]
        if xs != ys:
            sys.exit("%ss differ:\n  original: %s\n  written:  %s" %
                     (what, "; ".join(xs), "; ".join(ys)))
        print("%ss: %s" % (what, "; ".join(xs)))


if __name__ == "__main__":
    main()
