#!/usr/bin/env python3
"""Reads a GPTQ checkpoint back and checks it against the module it came from
(test tooling).

  check_gptq_checkpoint.py CKPT_DIR WEIGHTS_DIR [--expect-tensor NAME ...]

CKPT_DIR holds model.safetensors and quantize_config.json (gptq-translate
--export-gptq); WEIGHTS_DIR holds <layer>.npy, the float32 [K, N] weights
the module computes with (gptq-translate --export-dequantized). Every layer
with a .qweight is dequantized here with the AutoGPTQ formula, independently
of gptq-mlir's code:

  q[k, n]   = (qweight[k * bits // 32, n] >> (k * bits % 32)) & (2^bits - 1)
              (a 3-bit value straddling two words takes its high bits from
              the next word)
  z[g, n]   = the same along N in qzeros[g], + 1 for checkpoint_format gptq
  w[k, n]   = (q[k, n] - z[g_idx[k], n]) * scales[g_idx[k], n]

and must equal the module's weight (max abs diff <= 1e-6 relative to the
largest weight). Prints one line per layer and a summary."""
import json
import os
import sys

import numpy as np
from safetensors.numpy import load_file


def unpack(words, count, bits):
    """Values 0..count-1 of bit streams stored down axis 0 of int32 `words`."""
    w = words.astype(np.uint32).astype(np.uint64)
    out = np.zeros((count,) + words.shape[1:], dtype=np.int64)
    mask = (1 << bits) - 1
    for i in range(count):
        bit = i * bits
        lo = w[bit // 32] >> np.uint64(bit % 32)
        if bit % 32 + bits > 32:
            lo = lo | (w[bit // 32 + 1] << np.uint64(32 - bit % 32))
        out[i] = (lo & np.uint64(mask)).astype(np.int64)
    return out


def main(argv):
    ckpt, weights = argv[1], argv[2]
    expected = [argv[i + 1] for i, a in enumerate(argv) if a == "--expect-tensor"]
    cfg = json.load(open(os.path.join(ckpt, "quantize_config.json")))
    for key in ("bits", "group_size", "desc_act", "sym", "static_groups",
                "true_sequential", "damp_percent", "checkpoint_format"):
        assert key in cfg, "quantize_config.json lacks %s" % key
    assert cfg["quant_method"] == "gptq", cfg["quant_method"]
    assert cfg["checkpoint_format"] in ("gptq", "gptq_v2"), cfg["checkpoint_format"]
    bits, group = cfg["bits"], cfg["group_size"]
    v1 = cfg["checkpoint_format"] == "gptq"
    t = load_file(os.path.join(ckpt, "model.safetensors"))
    for name in expected:
        assert name in t, "missing tensor %s (have %s)" % (name, sorted(t)[:20])
    layers = sorted(n[: -len(".qweight")] for n in t if n.endswith(".qweight"))
    assert layers, "no .qweight tensors"
    worst = 0.0
    for layer in layers:
        qweight, qzeros = t[layer + ".qweight"], t[layer + ".qzeros"]
        scales, g_idx = t[layer + ".scales"], t[layer + ".g_idx"]
        assert qweight.dtype == np.int32 and qzeros.dtype == np.int32
        assert scales.dtype == np.float16 and g_idx.dtype == np.int32
        ref = np.load(os.path.join(weights, layer + ".npy"))
        K, N = ref.shape
        groups = 1 if group <= 0 else -(-K // group)
        assert qweight.shape == (-(-K * bits // 32), N), qweight.shape
        assert qzeros.shape == (groups, -(-N * bits // 32)), qzeros.shape
        assert scales.shape == (groups, N) and g_idx.shape == (K,)
        if layer + ".bias" in t:
            assert t[layer + ".bias"].shape == (N,) and t[layer + ".bias"].dtype == np.float16
        q = unpack(qweight, K, bits)
        z = unpack(qzeros.T, N, bits).T  # [groups, N]
        if v1:
            z = z + 1
        if not cfg["desc_act"] and group > 0:
            assert (g_idx == np.arange(K) // group).all(), "g_idx of %s is not k // group_size" % layer
        s = scales.astype(np.float32)
        w = (q - z[g_idx]).astype(np.float32) * s[g_idx]
        scale = max(float(np.abs(ref).max()), 1e-30)
        diff = float(np.abs(w - ref).max()) / scale
        worst = max(worst, diff)
        print("%s: K=%d N=%d groups=%d max rel diff %.3g" % (layer, K, N, groups, diff))
        if diff > 1e-6:
            sys.exit("%s: the checkpoint dequantizes to other weights than the module's "
                     "(max rel diff %.3g)" % (layer, diff))
    print("checked %d layers (%s, %d bits, group %d, desc_act %s); %d tensors; worst %.3g"
          % (len(layers), cfg["checkpoint_format"], bits, group, cfg["desc_act"], len(t), worst))


if __name__ == "__main__":
    main(sys.argv)
