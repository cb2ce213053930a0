#!/usr/bin/env python3
"""The attention family against onnxruntime (test tooling; needs numpy, onnx
and onnxruntime). Each case is one node (opset-23 Attention, RMSNormalization,
RotaryEmbedding; com.microsoft Attention, MultiHeadAttention,
GroupQueryAttention, SkipLayerNormalization, FastGelu, BiasGelu, Gelu,
QuickGelu) with inputs chosen to be valid for it (sequence lengths, masks,
caches), written as an .onnx model:

  1. onnxruntime's CPU session runs it; `gptq-run --expect` must match every
     output (1e-4 abs + 1e-3 rel for f32, 5e-3 + 5e-3 for f16);
  2. unless the case says otherwise, `gptq-translate` imports it and exports
     it again (nn.attention as standard opset-17 ops) and onnxruntime runs
     the exported model: same outputs, same tolerances;
  3. for cases with constant weights (com.microsoft Attention), the import is
     quantized (`gptq-opt --gptq-rtn`, 4 bits per channel: the QKV projection
     is an ordinary linear layer) and exported; onnxruntime on that model
     (MatMulNBits + the attention as standard ops) must match `gptq-run` on
     the quantized module.

  ort_attention.py BIN_DIR WORK_DIR [CASE_PREFIX...]

Prints one line per case and exits 1 if any failed.
"""
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

bin_dir, work = sys.argv[1], sys.argv[2]
only = sys.argv[3:]
os.makedirs(work, exist_ok=True)
rng = np.random.default_rng(0)
MS = "com.microsoft"


def rand(*shape, dtype=np.float32, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(dtype)


def ints(values, dtype=np.int32):
    return np.asarray(values, dtype=dtype)


CASES = []


def case(name, op, inputs, outputs, attrs=None, domain="", opset=23,
         inits=None, dyn=None, export=True, out_types=None, tol=None,
         ref=None, quantize=False):
    """inputs: [(name, array or None)] in the node's input order (None: an
    absent optional input); inits: names of inputs that are initializers;
    dyn: {input: [dim_param or None per dim]} for dynamic dimensions;
    ref: (inputs, attrs) of the same op in a form onnxruntime's CPU provider
    runs, whose outputs are the expected ones (for forms it does not)."""
    CASES.append(dict(name=name, op=op, inputs=inputs, outputs=outputs,
                      attrs=attrs or {}, domain=domain, opset=opset,
                      inits=set(inits or ()), dyn=dyn or {}, export=export,
                      out_types=out_types or {}, tol=tol, ref=ref,
                      quantize=quantize))


def build(c):
    node_inputs, graph_inputs, initializers = [], [], []
    for name, value in c["inputs"]:
        if value is None:
            node_inputs.append("")
            continue
        node_inputs.append(name)
        if name in c["inits"]:
            initializers.append(numpy_helper.from_array(value, name))
            continue
        dims = list(value.shape)
        for i, p in enumerate(c["dyn"].get(name, [])):
            if p is not None:
                dims[i] = p
        graph_inputs.append(helper.make_tensor_value_info(
            name, helper.np_dtype_to_tensor_dtype(value.dtype), dims))
    while node_inputs and node_inputs[-1] == "":
        node_inputs.pop()
    first = next(v for _, v in c["inputs"] if v is not None)
    outs = []
    for o in c["outputs"]:
        dt = c["out_types"].get(o, first.dtype)
        outs.append(helper.make_tensor_value_info(
            o, helper.np_dtype_to_tensor_dtype(np.dtype(dt)), None))
    node = helper.make_node(c["op"], node_inputs, c["outputs"],
                            name=c["name"], domain=c["domain"], **c["attrs"])
    opsets = [helper.make_opsetid("", c["opset"])]
    if c["domain"] == MS:
        opsets.append(helper.make_opsetid(MS, 1))
    graph = helper.make_graph([node], c["name"], graph_inputs, outs,
                              initializer=initializers)
    return helper.make_model(graph, opset_imports=opsets, ir_version=10)


def run_case(c):
    name = c["name"]
    model = build(c)
    path = os.path.join(work, name + ".onnx")
    onnx.save(model, path)
    feeds = {n: v for n, v in c["inputs"]
             if v is not None and n not in c["inits"]}
    half = any(v.dtype == np.float16 for v in feeds.values())
    atol, rtol = c["tol"] or ((5e-3, 5e-3) if half else (1e-4, 1e-3))
    if c["ref"]:
        r = dict(c, name=name + "_ref", inputs=c["ref"][0], attrs=c["ref"][1],
                 ref=None)
        ref_path = os.path.join(work, r["name"] + ".onnx")
        onnx.save(build(r), ref_path)
        sess = ort.InferenceSession(ref_path,
                                    providers=["CPUExecutionProvider"])
        want = sess.run(None, {n: v for n, v in r["inputs"]
                               if v is not None and n not in r["inits"]})
    else:
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        want = sess.run(None, feeds)
    args = []
    for n, v in feeds.items():
        p = os.path.join(work, "%s.in.%s.npy" % (name, n))
        np.save(p, v)
        args += ["--input", "%s=%s" % (n, p)]
    for o, v in zip(c["outputs"], want):
        p = os.path.join(work, "%s.out.%s.npy" % (name, o))
        np.save(p, np.asarray(v))
        args += ["--expect", "%s=%s" % (o, p)]
    r = subprocess.run([os.path.join(bin_dir, "gptq-run"), path] + args +
                       ["--atol", str(atol), "--rtol", str(rtol)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return "FAILED (gptq-run)\n" + r.stdout + r.stderr
    if not c["export"]:
        return "ok"
    mlir = os.path.join(work, name + ".mlir")
    exported = os.path.join(work, name + ".exported.onnx")
    for cmd in ([os.path.join(bin_dir, "gptq-translate"), "--import-onnx", path,
                 "-o", mlir, "--force"],
                [os.path.join(bin_dir, "gptq-translate"), "--export-onnx", mlir,
                 "-o", exported, "--external-data=false", "--force"]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            return "FAILED (%s)\n%s" % (" ".join(cmd[1:2]), r.stdout + r.stderr)
    sess = ort.InferenceSession(exported, providers=["CPUExecutionProvider"])
    got = sess.run(c["outputs"], feeds)

    for o, g, w in zip(c["outputs"], got, want):
        g, w = np.asarray(g, np.float64), np.asarray(w, np.float64)
        if g.shape != w.shape or not np.allclose(g, w, atol=atol, rtol=rtol,
                                                 equal_nan=True):
            d = np.abs(g - w).max() if g.shape == w.shape else "shape"
            return "FAILED (exported model, output %s: %s)" % (o, d)
    if c["quantize"]:
        qmlir = os.path.join(work, name + ".q.mlir")
        qonnx = os.path.join(work, name + ".q.onnx")
        tool = lambda t: os.path.join(bin_dir, t)
        for cmd in ([tool("gptq-opt"), mlir, "--gptq-rtn=bits=4 group-size=-1",
                     "-o", qmlir],
                    [tool("gptq-translate"), "--export-onnx", qmlir, "-o", qonnx,
                     "--external-data=false", "--force"]):
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                return "FAILED (%s)\n%s" % (os.path.basename(cmd[0]),
                                            r.stdout + r.stderr)
        if not any(n.op_type == "MatMulNBits" for n in onnx.load(qonnx).graph.node):
            return "FAILED (no MatMulNBits in the quantized model)"
        sess = ort.InferenceSession(qonnx, providers=["CPUExecutionProvider"])
        qargs = []
        for n, v in feeds.items():
            qargs += ["--input", "%s=%s" % (n, os.path.join(
                work, "%s.in.%s.npy" % (name, n)))]
        for o, v in zip(c["outputs"], sess.run(c["outputs"], feeds)):
            p = os.path.join(work, "%s.q.out.%s.npy" % (name, o))
            np.save(p, np.asarray(v))
            qargs += ["--expect", "%s=%s" % (o, p)]
        r = subprocess.run([tool("gptq-run"), qmlir] + qargs +
                           ["--atol", str(atol), "--rtol", str(rtol)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return "FAILED (quantized, onnxruntime vs gptq-run)\n" + r.stdout + r.stderr
        return "ok, exported, quantized"
    return "ok, exported"


# --- ai.onnx Attention (opset 23) -------------------------------------------
B, S, D = 2, 5, 8
q4, k4, v4 = rand(B, 4, S, D), rand(B, 4, S, D), rand(B, 4, S, D)
case("onnx_attention_4d_causal", "Attention",
     [("Q", q4), ("K", k4), ("V", v4)], ["Y"], {"is_causal": 1})
keep = rng.random((B, 1, S, 7)) < 0.7
keep[..., 0] = True
case("onnx_attention_gqa_bool_mask", "Attention",
     [("Q", q4), ("K", rand(B, 2, 7, D)), ("V", rand(B, 2, 7, 6)),
      ("M", keep)], ["Y"])
case("onnx_attention_3d_float_mask_softcap", "Attention",
     [("Q", rand(B, S, 4 * D)), ("K", rand(B, 6, 2 * D)),
      ("V", rand(B, 6, 2 * D)), ("M", rand(S, 6))], ["Y"],
     {"q_num_heads": 4, "kv_num_heads": 2, "scale": 0.3, "softcap": 2.0})
case("onnx_attention_past_causal", "Attention",
     [("Q", rand(B, 4, 2, D)), ("K", rand(B, 2, 2, D)), ("V", rand(B, 2, 2, D)),
      ("M", None), ("PK", rand(B, 2, 3, D)), ("PV", rand(B, 2, 3, D))],
     ["Y", "PresentK", "PresentV"], {"is_causal": 1})
# No past, fewer queries than keys: causal is top-left (offset 0) in ONNX.
case("onnx_attention_cross_causal", "Attention",
     [("Q", rand(B, 2, 4 * D)), ("K", rand(B, 4, 4 * D)),
      ("V", rand(B, 4, 4 * D))], ["Y"],
     {"is_causal": 1, "q_num_heads": 4, "kv_num_heads": 4})
# Dynamic sequence lengths: the causal mask is built at run time.
case("onnx_attention_dynamic_causal_past", "Attention",
     [("Q", rand(1, 4, 3, D)), ("K", rand(1, 1, 3, D)), ("V", rand(1, 1, 3, D)),
      ("M", rand(1, 1, 3, 5)), ("PK", rand(1, 1, 2, D)),
      ("PV", rand(1, 1, 2, D))],
     ["Y", "PresentK", "PresentV"], {"is_causal": 1},
     dyn={"Q": [None, None, "s", None], "K": [None, None, "s", None],
          "V": [None, None, "s", None], "M": [None, None, "s", "t"],
          "PK": [None, None, "p", None], "PV": [None, None, "p", None]})
rows = np.ones((1, 1, 3, 4), bool)
rows[0, 0, 1, :] = False
case("onnx_attention_fully_masked_row", "Attention",
     [("Q", rand(1, 2, 3, D)), ("K", rand(1, 2, 4, D)), ("V", rand(1, 2, 4, D)),
      ("M", rows)], ["Y"])
case("onnx_attention_f16_gqa_causal", "Attention",
     [("Q", rand(1, 4, 4, D, dtype=np.float16)),
      ("K", rand(1, 2, 4, D, dtype=np.float16)),
      ("V", rand(1, 2, 4, D, dtype=np.float16))], ["Y"], {"is_causal": 1})

# --- ai.onnx RMSNormalization, RotaryEmbedding (opset 23) -------------------
case("onnx_rmsnorm_last", "RMSNormalization",
     [("X", rand(2, 3, 16)), ("W", rand(16))], ["Y"], {"epsilon": 1e-6})
case("onnx_rmsnorm_axis1", "RMSNormalization",
     [("X", rand(2, 3, 4)), ("W", rand(3, 4))], ["Y"], {"axis": 1})
case("onnx_rmsnorm_f16", "RMSNormalization",
     [("X", rand(2, 8, dtype=np.float16)), ("W", rand(8, dtype=np.float16))],
     ["Y"])


def caches(max_pos, half, dtype=np.float32):
    f = np.arange(max_pos)[:, None] / 10000 ** (np.arange(half) / half)
    return np.cos(f).astype(dtype), np.sin(f).astype(dtype)


cos16, sin16 = caches(16, 4)
case("onnx_rope_4d_pos", "RotaryEmbedding",
     [("X", rand(2, 3, 5, 8)), ("C", cos16), ("Sn", sin16),
      ("P", ints([[0, 1, 2, 3, 4], [3, 4, 9, 10, 15]], np.int64))], ["Y"])
case("onnx_rope_3d_interleaved", "RotaryEmbedding",
     [("X", rand(2, 5, 3 * 8)), ("C", cos16), ("Sn", sin16),
      ("P", ints([[0, 1, 2, 3, 4], [3, 4, 9, 10, 15]], np.int64))], ["Y"],
     {"interleaved": 1, "num_heads": 3})
cos2, sin2 = caches(16, 2)
case("onnx_rope_partial", "RotaryEmbedding",
     [("X", rand(1, 4, 2 * 8)), ("C", cos2), ("Sn", sin2),
      ("P", ints([[5, 6, 7, 8]], np.int64))], ["Y"],
     {"num_heads": 2, "rotary_embedding_dim": 4})
c3, s3 = caches(8, 4)
case("onnx_rope_caches_per_token", "RotaryEmbedding",
     [("X", rand(2, 4, 2 * 8)),
      ("C", np.stack([c3[:4], c3[4:]])), ("Sn", np.stack([s3[:4], s3[4:]]))],
     ["Y"], {"num_heads": 2})

# --- com.microsoft norms and activations -------------------------------------
x, sk = rand(2, 3, 16), rand(2, 3, 16)
case("ms_skip_layernorm_all", "SkipLayerNormalization",
     [("X", x), ("Skip", sk), ("G", rand(16)), ("Bt", rand(16)),
      ("Bs", rand(16))], ["Y", "Mean", "InvStd", "Sum"], {"epsilon": 1e-5},
     domain=MS, opset=17,
     out_types={"Mean": np.float32, "InvStd": np.float32})
case("ms_skip_layernorm_broadcast", "SkipLayerNormalization",
     [("X", x), ("Skip", rand(3, 16)), ("G", rand(16))], ["Y"], domain=MS,
     opset=17)
case("ms_fast_gelu_bias", "FastGelu", [("X", rand(2, 3, 8, scale=3)),
                                       ("B", rand(8))], ["Y"],
     domain=MS, opset=17)
case("ms_fast_gelu", "FastGelu", [("X", rand(2, 8, scale=3))], ["Y"],
     domain=MS, opset=17)
case("ms_bias_gelu", "BiasGelu", [("X", rand(2, 3, 8, scale=3)),
                                  ("B", rand(8))], ["Y"], domain=MS, opset=17)
case("ms_gelu", "Gelu", [("X", rand(4, 8, scale=3))], ["Y"], domain=MS,
     opset=17)
case("ms_quick_gelu", "QuickGelu", [("X", rand(4, 8, scale=3))], ["Y"],
     {"alpha": 1.5}, domain=MS, opset=17)

# --- com.microsoft Attention (GPT-2) -----------------------------------------
H, hd, hidden = 2, 4, 8
w = rand(hidden, 3 * hidden, scale=0.5)
bqkv = rand(3 * hidden)
raw = np.ones((2, 6), np.int32)
raw[1, :2] = 0  # left padding
case("ms_attention_gpt2_past", "Attention",
     [("X", rand(2, 3, hidden)), ("W", w), ("Bias", bqkv), ("Mask", raw),
      ("Past", rand(2, 2, H, 3, hd))], ["Y", "Present"],
     {"num_heads": H, "unidirectional": 1}, domain=MS, opset=17,
     inits=["W", "Bias"], quantize=True)
case("ms_attention_lengths", "Attention",
     [("X", rand(2, 4, hidden)), ("W", w), ("Bias", bqkv),
      ("Mask", ints([4, 2]))], ["Y"], {"num_heads": H}, domain=MS, opset=17,
     inits=["W"])
case("ms_attention_start_end", "Attention",
     [("X", rand(2, 4, hidden)), ("W", w), ("Bias", bqkv),
      ("Mask", ints([4, 4, 0, 1]))], ["Y"],
     {"num_heads": H, "unidirectional": 1, "mask_filter_value": -1e4},
     domain=MS, opset=17, inits=["W", "Bias"])
wv = rand(hidden, 2 * hidden + 12, scale=0.5)
case("ms_attention_qkv_sizes_bias", "Attention",
     [("X", rand(1, 4, hidden)), ("W", wv), ("Bias", rand(2 * hidden + 12)),
      ("Mask", None), ("Past", None), ("AB", rand(1, H, 4, 4))], ["Y"],
     {"num_heads": H, "qkv_hidden_sizes": [hidden, hidden, 12],
      "scale": 0.7}, domain=MS, opset=17, inits=["W"], quantize=True)

# --- com.microsoft MultiHeadAttention -----------------------------------------
kpm = np.ones((2, 5), np.int32)
kpm[0, 3:] = 0
case("ms_mha_separate_bias_mask", "MultiHeadAttention",
     [("Q", rand(2, 4, hidden)), ("K", rand(2, 5, hidden)),
      ("V", rand(2, 5, hidden)), ("Bias", rand(3 * hidden)), ("KPM", kpm)],
     ["Y"], {"num_heads": H}, domain=MS, opset=17)
# onnxruntime's CPU provider does not run packed QKV / KV: the expected
# outputs come from the same data unpacked into separate Q, K and V.
qkv, mb = rand(2, 4, H, 3, hd), rand(3 * hidden)
unpack = [qkv[:, :, :, i].reshape(2, 4, hidden) for i in range(3)]
case("ms_mha_packed_qkv", "MultiHeadAttention",
     [("QKV", qkv), ("K", None), ("V", None), ("Bias", mb)], ["Y"],
     {"num_heads": H}, domain=MS, opset=17,
     ref=([("Q", unpack[0]), ("K", unpack[1]), ("V", unpack[2]),
           ("Bias", mb)], {"num_heads": H}))
mq, kv = rand(2, 3, hidden), rand(2, 5, H, 2, hd)
case("ms_mha_packed_kv", "MultiHeadAttention",
     [("Q", mq), ("KV", kv), ("V", None), ("Bias", mb)], ["Y"],
     {"num_heads": H, "scale": 0.4}, domain=MS, opset=17,
     ref=([("Q", mq), ("K", kv[:, :, :, 0].reshape(2, 5, hidden)),
           ("V", kv[:, :, :, 1].reshape(2, 5, hidden)), ("Bias", mb)],
          {"num_heads": H, "scale": 0.4}))
case("ms_mha_past_causal", "MultiHeadAttention",
     [("Q", rand(2, 2, hidden)), ("K", rand(2, 2, hidden)),
      ("V", rand(2, 2, hidden)), ("Bias", rand(3 * hidden)),
      ("KPM", ints([5, 4])), ("AB", rand(2, 1, 2, 5)),
      ("PK", rand(2, H, 3, hd)), ("PV", rand(2, H, 3, hd))],
     ["Y", "PresentK", "PresentV"], {"num_heads": H, "unidirectional": 1},
     domain=MS, opset=17)
case("ms_mha_bnsh_kv", "MultiHeadAttention",
     [("Q", rand(2, 3, hidden)), ("K", rand(2, H, 6, hd)),
      ("V", rand(2, H, 6, hd))], ["Y"], {"num_heads": H}, domain=MS,
     opset=17)
case("ms_mha_3d_mask", "MultiHeadAttention",
     [("Q", rand(1, 3, hidden)), ("K", rand(1, 3, hidden)),
      ("V", rand(1, 3, hidden)), ("Bias", None),
      ("KPM", np.tril(np.ones((1, 3, 3), np.int32)))], ["Y"],
     {"num_heads": H, "mask_filter_value": -100.0}, domain=MS, opset=17)

# --- com.microsoft GroupQueryAttention -----------------------------------------
Hq, Hkv = 4, 2


def gqa(name, s, past, seqlens, total, attrs=None, packed=False,
        rotary=None, dtype=np.float32, bias=None, export=True, gd=8):
    b = len(seqlens)
    ins = []
    if packed:
        ins += [("QKV", rand(b, s, (Hq + 2 * Hkv) * gd, dtype=dtype)),
                ("K", None), ("V", None)]
    else:
        ins += [("Q", rand(b, s, Hq * gd, dtype=dtype)),
                ("K", rand(b, s, Hkv * gd, dtype=dtype)),
                ("V", rand(b, s, Hkv * gd, dtype=dtype))]
    if past is None:
        ins += [("PK", None), ("PV", None)]
    else:
        ins += [("PK", rand(b, Hkv, past, gd, dtype=dtype)),
                ("PV", rand(b, Hkv, past, gd, dtype=dtype))]
    ins += [("SeqLens", ints(seqlens)), ("Total", ints(total))]
    if rotary is not None:
        c, sn = caches(32, rotary // 2, dtype)
        ins += [("Cos", c), ("Sin", sn)]
    elif bias is not None:
        ins += [("Cos", None), ("Sin", None)]
    if bias is not None:
        ins += [("PosIds", None), ("AB", bias.astype(dtype))]
    a = {"num_heads": Hq, "kv_num_heads": Hkv}
    a.update(attrs or {})
    if rotary is not None:
        a["do_rotary"] = 1
    case(name, "GroupQueryAttention", ins, ["Y", "PresentK", "PresentV"], a,
         domain=MS, opset=17, export=export)


gqa("ms_gqa_prompt", 4, 0, [3, 3], 4)
gqa("ms_gqa_prompt_no_past", 4, None, [3, 3], 4)
gqa("ms_gqa_decode_concat", 1, 5, [5, 5], 6)
gqa("ms_gqa_decode_ragged", 1, 5, [5, 3], 6)
gqa("ms_gqa_decode_shared_buffer", 1, 8, [5, 4], 6)
# onnxruntime: a multi-token step after a past needs batch 1; rotary needs
# head sizes that are multiples of 16.
gqa("ms_gqa_subsequent_prompt", 2, 3, [4], 5)
gqa("ms_gqa_rotary_packed", 3, 2, [4], 5, packed=True, rotary=16, gd=16)
gqa("ms_gqa_rotary_prompt", 4, 0, [3, 3], 4, rotary=16, gd=16)
gqa("ms_gqa_rotary_interleaved_partial", 1, 4, [4, 2], 5,
    {"rotary_interleaved": 1}, rotary=16, gd=32)
gqa("ms_gqa_window_softcap_scale", 5, 0, [4, 4], 5,
    {"local_window_size": 2, "softcap": 3.0, "scale": 0.5})
gqa("ms_gqa_window", 5, 0, [4, 4], 5, {"local_window_size": 2})
gqa("ms_gqa_softcap", 5, 0, [4, 4], 5, {"softcap": 3.0})
gqa("ms_gqa_scale", 5, 0, [4, 4], 5, {"scale": 0.5})
gqa("ms_gqa_attention_bias", 2, 3, [4], 5, bias=rand(1, 1, 2, 5))
gqa("ms_gqa_f16", 1, 4, [4, 3], 5, dtype=np.float16)

failures = 0
for c in CASES:
    if only and not any(c["name"].startswith(p) for p in only if p != "-v"):
        continue
    try:
        status = run_case(c)
    except Exception as e:  # onnxruntime refusing a model is a failure too
        status = "FAILED (%s)" % str(e).splitlines()[0]
    failures += not status.startswith("ok")
    print("%s: %s" % (c["name"], status))
print("onnxruntime %s: %d cases, %d failed" % (ort.__version__,
                                               len(CASES), failures))
sys.exit(1 if failures else 0)
