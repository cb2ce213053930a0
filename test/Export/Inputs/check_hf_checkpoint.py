#!/usr/bin/env python3
"""Checks a --hf-config GPTQ checkpoint against the original Hugging Face
folder it was made from, with numpy and safetensors only (test tooling).

  check_hf_checkpoint.py CKPT_DIR HF_DIR WEIGHTS_DIR [--format gptq|gptq_v2]
                         [--original HF_WEIGHTS_DIR]

CKPT_DIR: out/gptq/; HF_DIR: the --hf-config folder; WEIGHTS_DIR:
gptq-translate --export-dequantized of the quantized module (<layer>.npy,
float32 [K, N], named by the layers' gptq.layer names, which may lack a
prefix the HF module names have: "decoder.layers.0.fc1" for
"model.decoder.layers.0.fc1"). The original weights are read from
HF_DIR/model.safetensors, or from --original when HF_DIR has none.

Checks:
  - config.json is the original plus quantization_config (== quantize_config
    .json; bits, group_size, desc_act, sym, static_groups, true_sequential,
    damp_percent, checkpoint_format == format, quant_method gptq,
    meta.quantizer) and a dtype naming the unquantized tensors' dtype;
  - every other file of HF_DIR but the weights is copied byte for byte;
  - every original parameter is in the checkpoint: a quantized module's
    weight as .qweight/.qzeros/.scales/.g_idx that dequantize (AutoGPTQ's
    formula, v1 zeros + 1) exactly to the module's weight, which is within
    quantization error of the original weight in its layout (nn.Linear
    [out, in] or Conv1D [in, out]); every other parameter with the original's
    shape, dtype and values, bit for bit, except the norm weights of models
    that compute x * (1 + w) (Gemma), which exporters fold into 1 + w: those
    must be exactly fl(1 + w) - 1 (what the graph holds, less 1);
  - a module the graph keeps fused where the HF class keeps parts (genai's
    qkv_proj for Llama's q/k/v_proj) dequantizes to its slice of the fused
    layer's weight (columns in part order), and a module the HF class keeps
    fused (Phi-3's gate_up_proj from genai's gate_proj and up_proj) to the
    parts' weights side by side;
  - nothing else is in the checkpoint.
"""
import argparse
import json
import os
import sys

import numpy as np
from safetensors.numpy import load_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "Inputs"))
from check_gptq_checkpoint import unpack  # noqa: E402

WEIGHT_FILES = (".safetensors", ".bin", ".onnx", ".data", ".npy")
# GemmaRMSNorm: x * (1 + w).
OFFSET_NORM_TYPES = ("gemma", "gemma2", "gemma3", "gemma3_text")
# Fused linear modules and their parts, stacked along the output features.
FUSED = {"qkv_proj": ("q_proj", "k_proj", "v_proj"), "gate_up_proj": ("gate_proj", "up_proj")}
# onnxruntime-genai's module names (the gptq.layer names of its exports).
GENAI_RENAMES = (("attn", "self_attn"),)


def is_norm(module):
    last = module.rsplit(".", 1)[-1]
    return last == "norm" or last.endswith("_norm") or last.endswith("layernorm")


def fail(msg):
    sys.exit("error: " + msg)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("hf")
    ap.add_argument("weights")
    ap.add_argument("--format", choices=["gptq", "gptq_v2"])
    ap.add_argument("--original")
    args = ap.parse_args()

    orig_cfg = json.load(open(os.path.join(args.hf, "config.json")))
    cfg = json.load(open(os.path.join(args.ckpt, "config.json")))
    qcfg = cfg.get("quantization_config")
    if qcfg is None:
        fail("config.json has no quantization_config")
    if json.load(open(os.path.join(args.ckpt, "quantize_config.json"))) != qcfg:
        fail("quantize_config.json differs from config.json's quantization_config")
    for key in ("bits", "group_size", "desc_act", "sym", "static_groups", "true_sequential",
                "damp_percent", "checkpoint_format", "format", "quant_method", "meta"):
        if key not in qcfg:
            fail("quantization_config lacks %s" % key)
    if qcfg["quant_method"] != "gptq" or qcfg["format"] != qcfg["checkpoint_format"]:
        fail("quant_method/format: %s" % qcfg)
    if not any(q.startswith("gptq-mlir:") for q in qcfg["meta"]["quantizer"]):
        fail("meta.quantizer does not name gptq-mlir")
    if args.format and qcfg["checkpoint_format"] != args.format:
        fail("checkpoint_format %s, expected %s" % (qcfg["checkpoint_format"], args.format))
    changed = sorted(k for k in set(orig_cfg) | set(cfg)
                     if orig_cfg.get(k) != cfg.get(k)
                     and k not in ("quantization_config", "dtype", "torch_dtype", "tie_word_embeddings"))
    if changed:
        fail("config.json changed keys other than quantization_config/dtype: %s" % changed)
    dtype = cfg.get("dtype", cfg.get("torch_dtype"))

    copied = []
    for f in sorted(os.listdir(args.hf)):
        p = os.path.join(args.hf, f)
        if not os.path.isfile(p) or f.endswith(WEIGHT_FILES) or f in ("config.json",):
            continue
        q = os.path.join(args.ckpt, f)
        if not os.path.exists(q) or open(p, "rb").read() != open(q, "rb").read():
            fail("%s was not copied as it is" % f)
        copied.append(f)

    orig_path = os.path.join(args.original or args.hf, "model.safetensors")
    orig = load_file(orig_path)
    t = load_file(os.path.join(args.ckpt, "model.safetensors"))
    bits, group = qcfg["bits"], qcfg["group_size"]
    v1 = qcfg["checkpoint_format"] == "gptq"
    npy = {f[:-4]: os.path.join(args.weights, f) for f in os.listdir(args.weights) if f.endswith(".npy")}

    def trailing(a, b):
        a, b = a.split("."), b.split(".")
        t = 0
        while t < min(len(a), len(b)) and a[-1 - t] == b[-1 - t]:
            t += 1
        return t

    def hf_name(n):
        parts = n.split(".")
        for a, b in GENAI_RENAMES:
            parts = [b if p == a else p for p in parts]
        return ".".join(parts)

    def find_dequantized(module):
        # gptq.layer names may lack a prefix the HF name has (node scopes that
        # skip a module) or carry one it has not (a wrapper module).
        for rename in (lambda n: n, hf_name):
            hits = [n for n in npy if trailing(module, rename(n)) in (len(module.split(".")), len(n.split(".")))
                    or trailing(module, rename(n)) >= 3]
            if hits:
                break
        if len(hits) > 1:
            fail("no unique --export-dequantized weight for %s (%s)" % (module, hits))
        return np.load(npy[hits[0]]) if hits else None

    def dequantized_of(module):
        w = find_dequantized(module)
        if w is not None:
            return w
        prefix, last = module.rsplit(".", 1)
        # A part of a fused layer of the graph: its columns.
        for fused, parts in FUSED.items():
            if last in parts:
                whole = find_dequantized(prefix + "." + fused)
                if whole is None:
                    continue
                sizes = [t[prefix + "." + p + ".qweight"].shape[1] for p in parts]
                begin = sum(sizes[: parts.index(last)])
                return whole[:, begin: begin + sizes[parts.index(last)]]
        # A fused module of the HF class from the graph's parts.
        if last in FUSED:
            ws = [find_dequantized(prefix + "." + p) for p in FUSED[last]]
            if all(x is not None for x in ws):
                return np.concatenate(ws, axis=1)
        fail("no --export-dequantized weight for %s" % module)

    quantized = sorted(n[: -len(".qweight")] for n in t if n.endswith(".qweight"))
    seen = set()
    worst_q = 0.0
    offset_norms = 0
    np_dtype = {"float32": np.float32, "float16": np.float16}.get(dtype)
    for name, w in sorted(orig.items()):
        module = name.rsplit(".", 1)[0]
        if module in quantized and name.endswith(".weight"):
            qweight, qzeros = t[module + ".qweight"], t[module + ".qzeros"]
            scales, g_idx = t[module + ".scales"], t[module + ".g_idx"]
            K = g_idx.shape[0]
            N = qweight.shape[1]
            groups = scales.shape[0]
            if qweight.shape != (-(-K * bits // 32), N) or qzeros.shape != (groups, -(-N * bits // 32)):
                fail("%s: packed shapes %s %s" % (module, qweight.shape, qzeros.shape))
            if scales.dtype != np.float16 or g_idx.dtype != np.int32:
                fail("%s: scales %s g_idx %s" % (module, scales.dtype, g_idx.dtype))
            q = unpack(qweight, K, bits)
            z = unpack(qzeros.T, N, bits).T + (1 if v1 else 0)
            deq = (q - z[g_idx]).astype(np.float32) * scales.astype(np.float32)[g_idx]
            ref = dequantized_of(module)
            if np.abs(deq - ref).max() > 1e-6 * max(np.abs(ref).max(), 1e-30):
                fail("%s dequantizes to other weights than the module's" % module)
            # The original in its own layout: nn.Linear [N, K], Conv1D [K, N].
            if w.shape == (N, K) and (N != K or "c_" not in module.rsplit(".", 1)[-1]):
                layout, wkn = "Linear", w.T
            elif w.shape == (K, N):
                layout, wkn = "Conv1D", w
            else:
                fail("%s: original shape %s, quantized K=%d N=%d" % (name, w.shape, K, N))
            err = float(np.linalg.norm(deq - wkn) / np.linalg.norm(wkn))
            worst_q = max(worst_q, err)
            if err > 0.3:
                fail("%s: quantized weight far from the original (rel err %.3g, %s layout)" % (name, err, layout))
            print("%s: quantized K=%d N=%d (%s) rel err vs original %.3f" % (module, K, N, layout, err))
            seen.update(module + s for s in (".qweight", ".qzeros", ".scales", ".g_idx"))
            continue
        if name not in t:
            fail("original parameter %s is missing" % name)
        got = t[name]
        if got.shape != w.shape:
            fail("%s: shape %s, original %s" % (name, got.shape, w.shape))
        if np_dtype is not None and got.dtype != np_dtype:
            fail("%s: dtype %s, config says %s" % (name, got.dtype, dtype))
        if orig_cfg.get("model_type") in OFFSET_NORM_TYPES and is_norm(module) and name.endswith(".weight"):
            # The graph holds fl(1 + w); the checkpoint that less 1.
            one = np.ones((), w.dtype)
            w = (one + w) - one
            offset_norms += 1
        if not np.array_equal(got.astype(np.float64), w.astype(np.float64)):
            fail("%s differs from the original (max abs diff %.3g)"
                 % (name, float(np.abs(got.astype(np.float64) - w.astype(np.float64)).max())))
        seen.add(name)
    extra = sorted(set(t) - seen)
    if extra:
        fail("tensors that are not parameters of the original: %s" % extra)
    if offset_norms:
        print("%d norm weights are fl(1 + w) - 1" % offset_norms)
    print("checked %s: %d parameters, %d quantized modules (%s, %d bits, group %d, sym %s), dtype %s, "
          "worst rel err %.3f; copied %s"
          % (os.path.basename(os.path.normpath(args.hf)), len(orig), len(quantized), qcfg["checkpoint_format"],
             bits, group, qcfg["sym"], dtype, worst_q, " ".join(copied)))


if __name__ == "__main__":
    main()
