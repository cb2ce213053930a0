#!/usr/bin/env python3
"""Writes a tiny model named the way torch.onnx's dynamo exporter names
things, and its Hugging Face folder (test tooling; numpy + onnx + safetensors):

  gen_dynamo_names.py OUT_DIR

OUT_DIR/model.onnx: input_ids [1, 8] -> Gather(model.embed_tokens.weight)
-> MatMul "node_linear" (weight "val_3", the transposed [in, out] copy of
model.layers.0.mlp.up_proj.weight) -> Mul "node_mul" (model.layers.0.norm
.weight) -> MatMul "node_linear_1" (weight "val_7", lm_head) -> logits.
Nodes carry "pkg.torch.onnx.name_scopes" metadata as torch writes it; no node
name has a module scope. OUT_DIR/hf/: config.json and model.safetensors with
the parameters in PyTorch's layout.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import save_file


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "hf"), exist_ok=True)
    r = np.random.RandomState(5)
    vocab, hidden, inter = 32, 32, 64
    params = {
        "model.embed_tokens.weight": r.randn(vocab, hidden).astype(np.float32),
        "model.layers.0.mlp.up_proj.weight": r.randn(inter, hidden).astype(np.float32),
        "model.layers.0.norm.weight": (1 + 0.1 * r.randn(inter)).astype(np.float32),
        "lm_head.weight": r.randn(vocab, inter).astype(np.float32),
    }
    inits = [
        numpy_helper.from_array(params["model.embed_tokens.weight"], "model.embed_tokens.weight"),
        numpy_helper.from_array(params["model.layers.0.mlp.up_proj.weight"].T.copy(), "val_3"),
        numpy_helper.from_array(params["model.layers.0.norm.weight"], "model.layers.0.norm.weight"),
        numpy_helper.from_array(params["lm_head.weight"].T.copy(), "val_7"),
    ]

    def node(op, inputs, output, name, scopes):
        n = helper.make_node(op, inputs, [output], name=name)
        e = n.metadata_props.add()
        e.key, e.value = "pkg.torch.onnx.name_scopes", repr(scopes)
        return n

    nodes = [
        node("Gather", ["model.embed_tokens.weight", "input_ids"], "embedding", "node_embedding",
             ["", "model", "model.embed_tokens", "embedding"]),
        node("MatMul", ["embedding", "val_3"], "linear", "node_linear",
             ["", "model", "model.layers.0", "model.layers.0.mlp", "model.layers.0.mlp.up_proj", "linear"]),
        node("Mul", ["linear", "model.layers.0.norm.weight"], "mul", "node_mul",
             ["", "model", "model.layers.0", "model.layers.0.norm", "mul"]),
        node("MatMul", ["mul", "val_7"], "logits", "node_linear_1", ["", "lm_head", "linear_1"]),
    ]
    graph = helper.make_graph(
        nodes, "main_graph",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 8, vocab])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 10
    onnx.save(model, os.path.join(out, "model.onnx"))
    save_file(params, os.path.join(out, "hf", "model.safetensors"))
    with open(os.path.join(out, "hf", "config.json"), "w") as f:
        json.dump({"architectures": ["TinyForCausalLM"], "model_type": "tiny",
                   "tie_word_embeddings": False, "dtype": "float32"}, f, indent=2)
    np.save(os.path.join(out, "calib.npy"), r.randint(0, vocab, (4, 8)).astype(np.int64))


if __name__ == "__main__":
    main()
