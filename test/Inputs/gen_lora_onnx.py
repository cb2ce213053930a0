#!/usr/bin/env python3
"""Writes a tiny language model with PEFT-style LoRA adapters as ONNX, in the
forms torch.onnx produces for a LoRA linear layer (test tooling).

  gen_lora_onnx.py OUT.onnx [--no-lora]

Names follow torch.onnx on a PEFT model: transposed (constant-folded) MatMul
weights are "onnx::MatMul_N", Gemm weights keep their parameter names
("layers.0.w2.base_layer.weight"), nodes their module paths
("/layers.0/w1/base_layer/MatMul").

input_ids [batch, seq] -> Gather(embedding) -> x
  layer 1 (3-D, MatMul):  x W1 + Mul(MatMul(MatMul(Dropout(x), A1), B1), s1)
                          -> Relu
  layer 2 (2-D, Gemm):    Reshape to [-1, H]; Gemm(h, W2^T, bias, trans_b)
                          + Gemm(Gemm(Identity(h) * s2, A2^T, trans_b),
                                 B2^T, trans_b)   (scale before A)
                          -> Reshape back, + x
  head:                   MatMul(z, Wout) -> logits [batch, seq, vocab]
With --no-lora the adapters are left out (the base model)."""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

V, D, H, R = 16, 64, 96, 4


def main(argv):
    out = argv[1]
    lora = "--no-lora" not in argv
    rng = np.random.default_rng(7)
    f = lambda *shape, s=0.2: (rng.standard_normal(shape) * s).astype(np.float32)
    inits = {
        "embedding.weight": f(V, D, s=1.0),
        "onnx::MatMul_101": f(D, H),
        "onnx::MatMul_102": f(D, R),
        "onnx::MatMul_103": f(R, H),
        "scale1": np.array(2.0, np.float32),
        "layers.0.w2.base_layer.weight": f(D, H),            # [out, in] for trans_b
        "layers.0.w2.base_layer.bias": f(D),
        "layers.0.w2.lora_A.default.weight": f(R, H),     # [out, in]
        "layers.0.w2.lora_B.default.weight": f(D, R),
        "scale2": np.array([0.5], np.float32),
        "shape2": np.array([-1, H], np.int64),
        "onnx::MatMul_104": f(D, V),
    }
    n = helper.make_node
    nodes = [
        n("Gather", ["embedding.weight", "input_ids"], ["x"], name="/embedding/Gather"),
        n("MatMul", ["x", "onnx::MatMul_101"], ["y1"], name="/layers.0/w1/base_layer/MatMul"),
    ]
    if lora:
        nodes += [
            n("Dropout", ["x"], ["x_drop"], name="/layers.0/w1/lora_dropout/default/Dropout"),
            n("MatMul", ["x_drop", "onnx::MatMul_102"], ["t1"], name="/layers.0/w1/lora_A/default/MatMul"),
            n("MatMul", ["t1", "onnx::MatMul_103"], ["u1"], name="/layers.0/w1/lora_B/default/MatMul"),
            n("Mul", ["u1", "scale1"], ["v1"], name="/layers.0/w1/Mul"),
            n("Add", ["y1", "v1"], ["h1"], name="/layers.0/w1/Add"),
        ]
    else:
        nodes += [n("Identity", ["y1"], ["h1"])]
    nodes += [
        n("Relu", ["h1"], ["r"], name="/layers.0/Relu"),
        n("Reshape", ["r", "shape2"], ["r2"], name="/layers.0/Reshape"),
        n("Gemm", ["r2", "layers.0.w2.base_layer.weight", "layers.0.w2.base_layer.bias"], ["y2"], transB=1,
          name="/layers.0/w2/base_layer/Gemm"),
    ]
    if lora:
        nodes += [
            n("Identity", ["r2"], ["r2_id"], name="/layers.0/w2/lora_dropout/default/Identity"),
            n("Mul", ["r2_id", "scale2"], ["r2s"], name="/layers.0/w2/Mul"),
            n("Gemm", ["r2s", "layers.0.w2.lora_A.default.weight"], ["t2"], transB=1, name="/layers.0/w2/lora_A/default/Gemm"),
            n("Gemm", ["t2", "layers.0.w2.lora_B.default.weight"], ["u2"], transB=1, name="/layers.0/w2/lora_B/default/Gemm"),
            n("Add", ["u2", "y2"], ["h2"], name="/layers.0/w2/Add"),
        ]
    else:
        nodes += [n("Identity", ["y2"], ["h2"])]
    nodes += [
        n("Shape", ["x"], ["xs"], name="/layers.0/Shape"),
        n("Reshape", ["h2", "xs"], ["h3"], name="/layers.0/Reshape_1"),
        n("Add", ["x", "h3"], ["z"], name="/layers.0/Add"),
        n("MatMul", ["z", "onnx::MatMul_104"], ["logits"], name="/output/MatMul"),
    ]
    used = {i for node in nodes for i in node.input}
    graph = helper.make_graph(
        nodes, "lora_lm",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "seq", V])],
        [numpy_helper.from_array(v, k) for k, v in inits.items() if k in used])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, out)


if __name__ == "__main__":
    main(sys.argv)
