#!/usr/bin/env python3
"""Writes the float16 (or bfloat16) twin of a float32 ONNX model, as exporters
write fp16 models (test and bench tooling; needs numpy and onnx).

  onnx_to_fp16.py IN.onnx OUT.onnx [--bf16]

Every float32 initializer, Constant and ConstantOfShape value becomes
float16, as do the float32 graph inputs, outputs and value_info, and Cast
nodes to float32 cast to float16 instead. Values beyond the float16 range
(e.g. -inf masks) keep their infinities; finite values are rounded to the
nearest float16 (float32 finfo.min becomes -inf, as in torch's .half())."""
import sys

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper


def convert_tensor(t, to):
    if t.data_type != TensorProto.FLOAT:
        return t
    arr = numpy_helper.to_array(t)
    if to == TensorProto.FLOAT16:
        new = numpy_helper.from_array(arr.astype(np.float16), t.name)
    else:
        # bfloat16: round to nearest even on the float32 bits.
        bits = arr.astype(np.float32).view(np.uint32).astype(np.uint64)
        rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
        new = onnx.helper.make_tensor(t.name, TensorProto.BFLOAT16, arr.shape,
                                      rounded.tobytes(), raw=True)
    t.CopyFrom(new)
    return t


def convert_type(vi, to):
    tt = vi.type.tensor_type
    if tt.elem_type == TensorProto.FLOAT:
        tt.elem_type = to


def main(argv):
    to = TensorProto.BFLOAT16 if "--bf16" in argv else TensorProto.FLOAT16
    m = onnx.load(argv[1])
    g = m.graph
    for t in g.initializer:
        convert_tensor(t, to)
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR:
                convert_tensor(a.t, to)
            if n.op_type in ("Cast", "CastLike") and a.name == "to" and a.i == TensorProto.FLOAT:
                a.i = to
    for vi in list(g.input) + list(g.output) + list(g.value_info):
        convert_type(vi, to)
    onnx.save(m, argv[2])


if __name__ == "__main__":
    main(sys.argv)
