#!/usr/bin/env python3
"""A tiny decoder-only language model as ONNX, shaped like optimum's
`text-generation-with-past` exports, and a numpy reference of it (test
tooling; needs numpy and onnx).

  gen_tiny_decoder.py build OUT.onnx [--dtype float32|float16] [--no-past]
        [--past-names optimum|legacy] [--mask-dtype int64|int32|bool|float]
        [--token-type-ids] [--cache-position] [--unfillable]
  gen_tiny_decoder.py forward --input-ids ids.npy [--attention-mask m.npy]
        [--position-ids p.npy] --out logits.npy
  gen_tiny_decoder.py ppl tokens.npy --seq-len S [--max-windows N]
        [--attention-mask m.npy] [--token-type-ids]
  gen_tiny_decoder.py generate --prompt 1,2,3 --count N [--token-type-ids]

Inputs: input_ids [batch, sequence_length] i64, attention_mask [batch,
past_sequence_length + sequence_length], position_ids [batch,
sequence_length] i64 (learned position embeddings, so wrong positions show),
past_key_values.N.key / .value [batch, 4, past_sequence_length, 8] (or
past_key_N / past_value_N with --past-names legacy); outputs logits [batch,
sequence_length, 64] and present.N.key / .value (present_key_N ...).
--token-type-ids adds a token type embedding, --cache-position a
cache_position [sequence_length] input that offsets the position embedding
by (cache_position - position_ids), i.e. by nothing when both are filled
consistently; --unfillable adds inputs no language-model rule fills
(pixel_values, and past heads of unknown size).

The attention mask is transformers' eager form: scores + where(allowed, 0,
finfo(dtype).min) over causal and padding positions. Scores are large (|s|
up to ~100), so in float16 arithmetic finfo.min + score overflows to -inf,
as it does in PyTorch. Weights are drawn from a fixed seed and rounded to
float16 in both dtypes, so the float16 model computed in float32 equals the
float32 model up to the mask constant (which does not change the softmax).
The numpy reference computes in float64."""
import argparse
import sys

import numpy as np

VOCAB, HIDDEN, HEADS, HEAD_DIM, FFN, LAYERS, MAX_POS = 64, 32, 4, 8, 64, 2, 128


def weights():
    r = np.random.default_rng(1234)

    def w(*shape, scale=0.3):
        # Matrices keep their output scale at any size (--size).
        if len(shape) == 2 and shape[0] in (HIDDEN, FFN) and shape[0] != VOCAB:
            scale *= np.sqrt((32.0 if shape[0] == HIDDEN else 64.0) / shape[0])
        return (r.standard_normal(shape) * scale).astype(np.float16).astype(np.float64)

    p = {
        "embed_tokens": w(VOCAB, HIDDEN, scale=1.0),
        "embed_positions": w(MAX_POS, HIDDEN, scale=0.5),
        "embed_types": w(2, HIDDEN, scale=0.5),
        "final_ln.w": 1 + w(HIDDEN, scale=0.1),
        "final_ln.b": w(HIDDEN, scale=0.1),
        "lm_head": w(HIDDEN, VOCAB, scale=0.4),
    }
    for l in range(LAYERS):
        pre = "layers.%d." % l
        p[pre + "ln1.w"] = 1 + w(HIDDEN, scale=0.1)
        p[pre + "ln1.b"] = w(HIDDEN, scale=0.1)
        # Large q/k weights: scores of tens, so that fp16 min + score = -inf.
        p[pre + "q_proj"] = w(HIDDEN, HIDDEN, scale=0.9)
        p[pre + "q_proj.b"] = w(HIDDEN, scale=0.1)
        p[pre + "k_proj"] = w(HIDDEN, HIDDEN, scale=0.9)
        p[pre + "v_proj"] = w(HIDDEN, HIDDEN, scale=0.3)
        p[pre + "o_proj"] = w(HIDDEN, HIDDEN, scale=0.3)
        p[pre + "ln2.w"] = 1 + w(HIDDEN, scale=0.1)
        p[pre + "ln2.b"] = w(HIDDEN, scale=0.1)
        p[pre + "fc1"] = w(HIDDEN, FFN, scale=0.3)
        p[pre + "fc2"] = w(FFN, HIDDEN, scale=0.3)
    p["scale"] = np.array(1 / np.sqrt(HEAD_DIM))
    # Every parameter exactly representable in float16.
    return {k: v.astype(np.float16).astype(np.float64) for k, v in p.items()}


# --------------------------------------------------------------------------
# numpy reference (float64)


def layer_norm(x, w, b, eps=1e-5):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def forward(ids, mask=None, positions=None, past=None, token_types=None):
    """ids [B, S]; mask [B, P+S]; positions [B, S]; past: list of (k, v)
    [B, H, P, D]. Returns logits [B, S, V] and the presents."""
    p = weights()
    b, s = ids.shape
    npast = 0 if past is None else past[0][0].shape[2]
    t = npast + s
    if mask is None:
        mask = np.ones((b, t), np.int64)
    if positions is None:
        pos = np.cumsum(mask, -1) - 1
        pos[mask == 0] = 1
        positions = pos[:, -s:]
    x = p["embed_tokens"][ids] + p["embed_positions"][positions]
    if token_types is not None:
        x = x + p["embed_types"][token_types]
    qpos = np.arange(npast, t)[:, None]
    kpos = np.arange(t)[None, :]
    allowed = (kpos <= qpos)[None, None] & (mask != 0)[:, None, None, :]
    bias = np.where(allowed, 0.0, np.finfo(np.float32).min)
    presents = []
    for l in range(LAYERS):
        pre = "layers.%d." % l
        h = layer_norm(x, p[pre + "ln1.w"], p[pre + "ln1.b"])

        def heads(y):
            return y.reshape(b, s, HEADS, HEAD_DIM).transpose(0, 2, 1, 3)

        q = heads(h @ p[pre + "q_proj"] + p[pre + "q_proj.b"])
        k = heads(h @ p[pre + "k_proj"])
        v = heads(h @ p[pre + "v_proj"])
        if past is not None:
            k = np.concatenate([past[l][0], k], 2)
            v = np.concatenate([past[l][1], v], 2)
        presents.append((k, v))
        scores = q @ k.transpose(0, 1, 3, 2) * p["scale"] + bias
        a = (softmax(scores) @ v).transpose(0, 2, 1, 3).reshape(b, s, HIDDEN)
        x = x + a @ p[pre + "o_proj"]
        h = layer_norm(x, p[pre + "ln2.w"], p[pre + "ln2.b"])
        u = h @ p[pre + "fc1"]
        x = x + (u / (1 + np.exp(-u))) @ p[pre + "fc2"]
    x = layer_norm(x, p["final_ln.w"], p["final_ln.b"])
    return x @ p["lm_head"], presents


# --------------------------------------------------------------------------
# ONNX graph


def build(args):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    fdt = np.float16 if args.dtype == "float16" else np.float32
    FT = TensorProto.FLOAT16 if args.dtype == "float16" else TensorProto.FLOAT
    p = weights()
    nodes, inits = [], []
    counter = [0]

    def name(prefix):
        counter[0] += 1
        return "%s_%d" % (prefix, counter[0])

    def init(n, value, dtype=None):
        arr = np.asarray(value, dtype=dtype if dtype is not None else fdt)
        inits.append(numpy_helper.from_array(arr, n))
        return n

    def node(op, inputs, n_out=1, node_name=None, **attrs):
        outs = [name(op) for _ in range(n_out)]
        nodes.append(helper.make_node(op, inputs, outs, name=node_name or name("/" + op), **attrs))
        return outs[0] if n_out == 1 else outs

    def i64(n, values):
        return init(n, np.array(values, np.int64), np.int64)

    past_names = args.past_names
    has_past = not args.no_past
    mask_types = {"int64": TensorProto.INT64, "int32": TensorProto.INT32,
                  "bool": TensorProto.BOOL, "float": FT}
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
        helper.make_tensor_value_info("attention_mask", mask_types[args.mask_dtype],
                                      ["batch_size", "past_sequence_length + sequence_length"]),
        helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
    ]
    if args.token_type_ids:
        inputs.append(helper.make_tensor_value_info("token_type_ids", TensorProto.INT64,
                                                    ["batch_size", "sequence_length"]))
    if args.cache_position:
        inputs.append(helper.make_tensor_value_info("cache_position", TensorProto.INT64,
                                                    ["sequence_length"]))

    def past_name(kind, l, present):
        if past_names == "legacy":
            return "%s_%s_%d" % ("present" if present else "past", kind, l)
        return "%s.%d.%s" % ("present" if present else "past_key_values", l, kind)

    heads_dims = ["batch_size", HEADS, "past_sequence_length", HEAD_DIM]
    if args.unfillable:
        # Head count and size neither static nor named: nothing can tell them
        # (named dims the graph's ops fix, e.g. by the concat with the new
        # keys, become static at import).
        heads_dims = ["batch_size", None, "past_sequence_length", None]
    if has_past:
        for l in range(LAYERS):
            for kind in ("key", "value"):
                inputs.append(helper.make_tensor_value_info(past_name(kind, l, False), FT, heads_dims))
    if args.unfillable:
        inputs.append(helper.make_tensor_value_info("pixel_values", FT, ["batch_size", 4]))

    # Embeddings.
    x = node("Gather", [init("embed_tokens.weight", p["embed_tokens"]), "input_ids"],
             node_name="/embed_tokens/Gather")
    positions = "position_ids"
    if args.cache_position:
        # position_ids + (cache_position - position_ids[0]): a no-op when the
        # two agree, wrong positions when cache_position is filled wrongly.
        first = node("Gather", ["position_ids", i64("zero_idx", 0)], axis=0)
        delta = node("Sub", ["cache_position", first])
        positions = node("Add", ["position_ids", delta])
    pe = node("Gather", [init("embed_positions.weight", p["embed_positions"]), positions],
              node_name="/embed_positions/Gather")
    x = node("Add", [x, pe])
    if args.token_type_ids:
        te = node("Gather", [init("embed_types.weight", p["embed_types"]), "token_type_ids"])
        x = node("Add", [x, te])
    if args.unfillable:
        pv = node("ReduceSum", ["pixel_values", i64("pv_axes", [1])], keepdims=1)
        zero = node("Mul", [pv, init("pv_zero", np.zeros(1))])
        x = node("Add", [x, node("Unsqueeze", [zero, i64("pv_unsq", [1])])])

    # The mask: allowed[b, 1, i, j] = (j <= past + i) and attention_mask[b, j].
    total = node("Gather", [node("Shape", ["attention_mask"]), i64("one_idx", 1)], axis=0)
    seq = node("Gather", [node("Shape", ["input_ids"]), i64("one_idx2", 1)], axis=0)
    npast = node("Sub", [total, seq])
    qpos = node("Range", [npast, total, i64("step1", 1)])
    kpos = node("Range", [i64("zero", 0), total, i64("step1b", 1)])
    causal = node("LessOrEqual", [node("Unsqueeze", [kpos, i64("ax0", [0])]),
                                  node("Unsqueeze", [qpos, i64("ax1", [1])])])
    pad = node("Cast", ["attention_mask"], to=TensorProto.BOOL)
    pad = node("Unsqueeze", [pad, i64("ax12", [1, 2])])
    allowed = node("And", [causal, pad])
    fmin = np.finfo(fdt).min
    bias = node("Where", [allowed, init("mask_zero", np.zeros(())), init("mask_min", np.array(fmin))],
                node_name="/mask/Where")

    def linear(x, w, n, b=None):
        y = node("MatMul", [x, init(n + ".weight", w)], node_name="/" + n.replace(".", "/") + "/MatMul")
        if b is not None:
            y = node("Add", [y, init(n + ".bias", b)])
        return y

    def ln(x, n):
        return node("LayerNormalization", [x, init(n + ".weight", p[n + ".w"]), init(n + ".bias", p[n + ".b"])],
                    axis=-1, epsilon=1e-5)

    split_heads = i64("split_heads", [0, 0, HEADS, HEAD_DIM])
    merge_heads = i64("merge_heads", [0, 0, HIDDEN])
    outputs = [helper.make_tensor_value_info("logits", FT, ["batch_size", "sequence_length", VOCAB])]
    for l in range(LAYERS):
        pre = "layers.%d." % l
        h = ln(x, pre + "ln1")

        def heads(y):
            return node("Transpose", [node("Reshape", [y, split_heads])], perm=[0, 2, 1, 3])

        q = heads(linear(h, p[pre + "q_proj"], pre + "q_proj", p[pre + "q_proj.b"]))
        k = heads(linear(h, p[pre + "k_proj"], pre + "k_proj"))
        v = heads(linear(h, p[pre + "v_proj"], pre + "v_proj"))
        if has_past:
            k = node("Concat", [past_name("key", l, False), k], axis=2)
            v = node("Concat", [past_name("value", l, False), v], axis=2)
            nodes.append(helper.make_node("Identity", [k], [past_name("key", l, True)]))
            nodes.append(helper.make_node("Identity", [v], [past_name("value", l, True)]))
            for kind in ("key", "value"):
                outputs.append(helper.make_tensor_value_info(
                    past_name(kind, l, True), FT,
                    ["batch_size", HEADS, "past_sequence_length + sequence_length", HEAD_DIM]))
        kt = node("Transpose", [k], perm=[0, 1, 3, 2])
        scores = node("Mul", [node("MatMul", [q, kt]), init(pre + "scale", p["scale"])])
        scores = node("Add", [scores, bias], node_name="/" + pre.replace(".", "/") + "attn/mask/Add")
        probs = node("Softmax", [scores], axis=-1)
        a = node("MatMul", [probs, v])
        a = node("Reshape", [node("Transpose", [a], perm=[0, 2, 1, 3]), merge_heads])
        x = node("Add", [x, linear(a, p[pre + "o_proj"], pre + "o_proj")])
        h = ln(x, pre + "ln2")
        u = linear(h, p[pre + "fc1"], pre + "fc1")
        u = node("Mul", [u, node("Sigmoid", [u])])
        x = node("Add", [x, linear(u, p[pre + "fc2"], pre + "fc2")])
    x = ln(x, "final_ln")
    logits = linear(x, p["lm_head"], "lm_head")
    nodes.append(helper.make_node("Identity", [logits], ["logits"]))

    graph = helper.make_graph(nodes, "tiny_decoder", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, args.out)


def greedy(prompt, count, token_types=False):
    ids = list(prompt)
    for _ in range(count):
        x = np.array([ids], np.int64)
        logits, _ = forward(x, token_types=np.zeros_like(x) if token_types else None)
        ids.append(int(np.argmax(logits[0, -1])))
    return ids


def perplexity(tokens, seq, max_windows, masks=None, token_types=False):
    """Mean NLL over the windows, targets on padded positions (mask 0) left
    out as transformers' loss leaves out labels of -100."""
    if tokens.ndim == 1:
        tokens = tokens[: len(tokens) // seq * seq].reshape(-1, seq)
    if max_windows:
        tokens = tokens[:max_windows]
    nll, n = 0.0, 0
    for r, row in enumerate(tokens):
        mask = None
        if masks is not None:
            mask = masks[r if masks.shape[0] > 1 else 0][None, :]
        x = row[None, :]
        logits, _ = forward(x, mask, token_types=np.zeros_like(x) if token_types else None)
        lp = logits[0] - logits[0].max(-1, keepdims=True)
        lp = lp - np.log(np.exp(lp).sum(-1, keepdims=True))
        for t in range(1, seq):
            if mask is not None and mask[0, t] == 0:
                continue
            nll -= lp[t - 1, row[t]]
            n += 1
    return float(np.exp(nll / n))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("out")
    b.add_argument("--dtype", default="float32", choices=["float32", "float16"])
    b.add_argument("--no-past", action="store_true")
    b.add_argument("--past-names", default="optimum", choices=["optimum", "legacy"])
    b.add_argument("--mask-dtype", default="int64", choices=["int64", "int32", "bool", "float"])
    b.add_argument("--token-type-ids", action="store_true")
    b.add_argument("--cache-position", action="store_true")
    b.add_argument("--unfillable", action="store_true")
    # Larger shapes for benchmarks (the numpy reference knows only the
    # default ones).
    b.add_argument("--size", help="VOCAB,HIDDEN,HEADS,FFN,LAYERS (benchmarks)")
    f = sub.add_parser("forward")
    f.add_argument("--input-ids", required=True)
    f.add_argument("--attention-mask")
    f.add_argument("--position-ids")
    f.add_argument("--out", required=True)
    pp = sub.add_parser("ppl")
    pp.add_argument("tokens")
    pp.add_argument("--seq-len", type=int, required=True)
    pp.add_argument("--max-windows", type=int, default=0)
    pp.add_argument("--attention-mask", help="[rows or 1, seq] .npy")
    pp.add_argument("--token-type-ids", action="store_true", help="the model has token types (zeros)")
    g = sub.add_parser("generate")
    g.add_argument("--prompt", required=True)
    g.add_argument("--count", type=int, required=True)
    g.add_argument("--token-type-ids", action="store_true", help="the model has token types (zeros)")
    args = ap.parse_args()
    if args.cmd == "build":
        if args.size:
            global VOCAB, HIDDEN, HEADS, HEAD_DIM, FFN, LAYERS
            VOCAB, HIDDEN, HEADS, FFN, LAYERS = (int(v) for v in args.size.split(","))
            HEAD_DIM = HIDDEN // HEADS
        build(args)
    elif args.cmd == "forward":
        ids = np.load(args.input_ids)
        mask = np.load(args.attention_mask) if args.attention_mask else None
        pos = np.load(args.position_ids) if args.position_ids else None
        logits, _ = forward(ids, mask, pos)
        np.save(args.out, logits.astype(np.float32))
    elif args.cmd == "ppl":
        masks = np.load(args.attention_mask) if args.attention_mask else None
        print("perplexity %.6f" % perplexity(np.load(args.tokens), args.seq_len, args.max_windows,
                                             masks, args.token_type_ids))
    else:
        print(",".join(str(t) for t in greedy([int(t) for t in args.prompt.split(",")], args.count,
                                              args.token_type_ids)))


if __name__ == "__main__":
    sys.exit(main())
