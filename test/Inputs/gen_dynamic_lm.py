#!/usr/bin/env python3
"""Writes a tiny ONNX language model with dynamic [batch, seq] shapes whose
linear layers see a dynamic K after import, as torch.onnx exports of Hugging
Face decoders do (test tooling; needs onnx and numpy).

  gen_dynamic_lm.py OUT.onnx [--vocab 16] [--seed 0] [--kv]

input_ids [batch, seq] -> embedding [batch, seq, 32] ->
  q_proj, view(bsz, q_len, 4, 8), transpose, softmax(q q^T) q, transpose,
  reshape(bsz, q_len, -1)              (Llama/Mistral/OPT attention output)
  -> o_proj (K dynamic before shape reasoning), residual add ->
  x.view(-1, x.size(-1)) -> Gemm(+bias) -> view(size()[:-1] + (64,))
                                       (GPT-2's Conv1D)
  -> chunk(2, -1) as Split with sizes (d + 1) / 2, d - (d + 1) / 2
                                       (torch's opset-13 chunk)
  -> silu(a) * b -> down (K = 32) ->
  gate_up, chunk(2, -1) as two Slices ending at (d + 1) / 2 and 2 * that
                                       (Phi-3's MLP)
  -> silu(a) * b -> down2 -> lm_head -> logits [batch, seq, vocab].
With --kv, a KV cache as optimum writes it: inputs past_key_values.0.key /
.value [batch, 4, past_sequence_length, 8] concatenated with this step's
keys (q's heads) and values, outputs present.0.key / .value [batch, 4,
past_sequence_length + sequence_length, 8]; attention is then q against
the whole cache. With --named-heads too, the caches' head count and size
are dim_params (num_heads, head_dim) as onnxruntime-genai writes its
kv_cache_dim: their values are fixed by the concat with this step's keys.
Weights are seeded random (numpy), small enough to stay inline."""
import argparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--vocab", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--kv", action="store_true")
    p.add_argument("--named-heads", action="store_true")
    a = p.parse_args()
    rng = np.random.RandomState(a.seed)
    V, D, H, HD, F = a.vocab, 32, 4, 8, 64
    inits, nodes = [], []

    def w(name, *shape, scale=0.2):
        inits.append(numpy_helper.from_array(
            (rng.randn(*shape) * scale).astype(np.float32), name))
        return name

    def c(name, values):
        inits.append(numpy_helper.from_array(np.array(values, np.int64), name))
        return name

    def n(op, ins, outs, **attrs):
        nodes.append(helper.make_node(op, ins, outs, name="/" + outs[0], **attrs))
        return outs[0]

    def silu_mul(a_, b_, tag):
        s = n("Sigmoid", [a_], [tag + "/sig"])
        g = n("Mul", [a_, s], [tag + "/silu"])
        return n("Mul", [g, b_], [tag + "/prod"])

    def chunk_sizes(x, tag):
        # torch's opset-13 chunk(2, -1): sizes from Shape arithmetic.
        s = n("Shape", [x], [tag + "/shape"])
        d = n("Gather", [s, c(tag + "/last", [-1])], [tag + "/dim"], axis=0)
        d1 = n("Add", [d, c(tag + "/one", [1])], [tag + "/d1"])
        half = n("Div", [d1, c(tag + "/two", [2])], [tag + "/half"])
        rest = n("Sub", [d, half], [tag + "/rest"])
        return half, n("Concat", [half, rest], [tag + "/sizes"], axis=0)

    x = n("Gather", [w("embed_tokens.weight", V, D, scale=1.0), "input_ids"],
          ["embed"], axis=0)
    # Attention: q_proj, heads, self-attention of q with itself, merge.
    q = n("MatMul", [x, w("layers.0.q_proj.weight", D, D)], ["layers.0/q_proj"])
    s = n("Shape", [x], ["attn/shape"])
    b = n("Gather", [s, c("attn/i0", 0)], ["attn/bsz"], axis=0)
    l = n("Gather", [s, c("attn/i1", 1)], ["attn/q_len"], axis=0)
    bu = n("Unsqueeze", [b, c("attn/ax0", [0])], ["attn/bsz_u"])
    lu = n("Unsqueeze", [l, "attn/ax0"], ["attn/q_len_u"])
    heads = n("Concat", [bu, lu, c("attn/hd", [H, HD])], ["attn/heads"], axis=0)
    qh = n("Reshape", [q, heads], ["attn/qh"])
    qt = n("Transpose", [qh], ["attn/qt"], perm=[0, 2, 1, 3])
    keys = values = qt
    if a.kv:
        keys = n("Concat", ["past_key_values.0.key", qt], ["present.0.key"], axis=2)
        values = n("Concat", ["past_key_values.0.value", qt], ["present.0.value"], axis=2)
    kt = n("Transpose", [keys], ["attn/kt"], perm=[0, 1, 3, 2])
    sc = n("MatMul", [qt, kt], ["attn/scores"])
    pr = n("Softmax", [sc], ["attn/probs"], axis=-1)
    ctx = n("MatMul", [pr, values], ["attn/ctx"])
    back = n("Transpose", [ctx], ["attn/back"], perm=[0, 2, 1, 3])
    merged = n("Concat", [bu, lu, c("attn/m1", [-1])], ["attn/merged"], axis=0)
    o = n("Reshape", [back, merged], ["attn/o"])
    o = n("MatMul", [o, w("layers.0.o_proj.weight", D, D)], ["layers.0/o_proj"])
    h = n("Add", [x, o], ["res1"])
    # GPT-2 Conv1D: view(-1, size(-1)) @ W + b, view(size()[:-1] + (nf,)).
    hs = n("Shape", [h], ["fc/shape"])
    k = n("Gather", [hs, c("fc/last", [-1])], ["fc/k"], axis=0)
    flat = n("Concat", [c("fc/m1", [-1]), k], ["fc/flat"], axis=0)
    h2 = n("Reshape", [h, flat], ["fc/h2"])
    fc = n("Gemm", [h2, w("layers.0.fc.weight", D, F), w("layers.0.fc.bias", F, scale=0.1)],
           ["layers.0/fc"])
    lead = n("Slice", [hs, c("fc/s0", [0]), c("fc/e", [-1])], ["fc/lead"])
    out_shape = n("Concat", [lead, c("fc/nf", [F])], ["fc/out_shape"], axis=0)
    fc3 = n("Reshape", [fc, out_shape], ["fc/fc3"])
    # chunk(2, -1) as Split with computed sizes.
    _, sizes = chunk_sizes(fc3, "chunk")
    nodes.append(helper.make_node("Split", [fc3, sizes], ["chunk/a", "chunk/b"],
                                  name="/chunk/split", axis=-1))
    m = silu_mul("chunk/a", "chunk/b", "chunk")
    d1 = n("MatMul", [m, w("layers.0.down.weight", F // 2, D)], ["layers.0/down"])
    h = n("Add", [h, d1], ["res2"])
    # Phi-3 MLP: gate_up, two Slices with computed ends.
    gu = n("MatMul", [h, w("layers.0.gate_up.weight", D, F)], ["layers.0/gate_up"])
    half, _ = chunk_sizes(gu, "phi")
    end = n("Mul", [half, "phi/two"], ["phi/end"])
    ga = n("Slice", [gu, c("phi/zero", [0]), half, c("phi/axis", [-1]), "phi/one"], ["phi/gate"])
    up = n("Slice", [gu, half, end, "phi/axis", "phi/one"], ["phi/up"])
    m2 = silu_mul(ga, up, "phi")
    d2 = n("MatMul", [m2, w("layers.0.down2.weight", F // 2, D)], ["layers.0/down2"])
    h = n("Add", [h, d2], ["res3"])
    n("MatMul", [h, w("lm_head.weight", D, V)], ["logits"])
    nodes[-1].name = "/lm_head/MatMul"

    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "seq", V])]
    if a.kv:
        if a.named_heads:
            H, HD = "num_heads", "head_dim"
        for kind in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(
                "past_key_values.0." + kind, TensorProto.FLOAT,
                ["batch", H, "past_sequence_length", HD]))
            outputs.append(helper.make_tensor_value_info(
                "present.0." + kind, TensorProto.FLOAT,
                ["batch", H, "past_sequence_length + seq", HD]))
    graph = helper.make_graph(nodes, "dynamic_lm", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, a.out)


if __name__ == "__main__":
    main()
