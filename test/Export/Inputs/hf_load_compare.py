#!/usr/bin/env python3
"""Loads a gptq-quantize --hf-config checkpoint (out/gptq/) with transformers
or GPTQModel on the CPU and compares its logits with gptq-run's.

  hf_load_compare.py CKPT_DIR IDS.npy LOGITS.npy --loader transformers|gptqmodel
                     [--dtype float32] [--backend torch] [--atol 2e-3]
                     [--input NAME=X.npy ...]

IDS.npy: int64 [batch, seq] token ids; LOGITS.npy: gptq-run's logits of
out/model.mlirbc on the same ids ([batch, seq, vocab]). Prints the loader,
versions, the kernel class of the quantized layers and the max abs
difference; exits 1 when it exceeds --atol. --input passes further model
inputs (attention_mask, position_ids, token_type_ids) as keyword arguments.
"""
import argparse
import importlib.metadata as md
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("ids")
    ap.add_argument("logits")
    ap.add_argument("--loader", choices=["transformers", "gptqmodel"], required=True)
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--backend", default="torch",
                    help="GPTQModel kernel (BACKEND name); transformers passes it as GPTQConfig.backend "
                         "('auto' picks TorchCpuAvx512Linear on x86, fp32 capable, out_features % 32 == 0)")
    ap.add_argument("--atol", type=float, default=2e-3)
    ap.add_argument("--input", action="append", default=[], metavar="NAME=X.npy")
    args = ap.parse_args()

    import torch
    dtype = getattr(torch, args.dtype)
    ids = torch.from_numpy(np.load(args.ids).astype(np.int64))
    ref = np.load(args.logits).astype(np.float64)

    if args.loader == "transformers":
        from transformers import AutoModelForCausalLM, GPTQConfig
        # Loading attributes (the backend) of a passed GPTQConfig override the
        # checkpoint's; the quantization parameters come from config.json.
        kw = {"quantization_config": GPTQConfig(bits=4, backend=args.backend)} if args.backend != "auto" else {}
        model = AutoModelForCausalLM.from_pretrained(args.ckpt, dtype=dtype, device_map="cpu", **kw)
    else:
        from gptqmodel import BACKEND, GPTQModel
        model = GPTQModel.load(args.ckpt, backend=BACKEND(args.backend), device="cpu", dtype=dtype)
    model.eval()
    kernels = sorted({type(m).__name__ for m in model.modules() if hasattr(m, "qweight")})
    with torch.no_grad():
        extra = {}
        for spec in args.input:
            name, path = spec.split("=", 1)
            extra[name] = torch.from_numpy(np.load(path).astype(np.int64))
        out = model(input_ids=ids, **extra)
    logits = (out.logits if hasattr(out, "logits") else out[0]).float().numpy().astype(np.float64)
    if logits.shape != ref.shape:
        print("shape mismatch: %s vs gptq-run %s" % (logits.shape, ref.shape))
        return 1
    diff = float(np.max(np.abs(logits - ref)))
    versions = ", ".join("%s %s" % (p, md.version(p)) for p in ("torch", "transformers", "optimum", "gptqmodel")
                         if _has(p))
    print("loader %s (%s); kernels %s; logits %s; max abs diff vs gptq-run %.3g (limit %g)"
          % (args.loader, versions, ",".join(kernels) or "none", "x".join(map(str, logits.shape)), diff, args.atol))
    if not kernels:
        print("error: no quantized layer was loaded")
        return 1
    return 0 if diff <= args.atol else 1


def _has(p):
    try:
        md.version(p)
        return True
    except md.PackageNotFoundError:
        return False


if __name__ == "__main__":
    sys.exit(main())
