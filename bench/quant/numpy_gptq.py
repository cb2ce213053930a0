#!/usr/bin/env python3
"""The GPTQ algorithm as the reference implementation writes it (lazy
blocks of 128 columns, group parameters at each group start, one BLAS-3
trailing update per block), in numpy float32 on the same OpenBLAS: the
baseline bench/quant/run.sh compares bench-gptq with (benchmark tooling).

  numpy_gptq.py [K N TOKENS GROUP BITS]
"""
import sys
import time

import numpy as np

k, n, tokens, group, bits = (int(a) for a in (sys.argv[1:6] if len(sys.argv) > 5
                                              else (4096, 4096, 4096, 128, 4)))
rng = np.random.default_rng(7)
w = (0.02 * rng.standard_normal((n, k))).astype(np.float32)  # [out, in]
mix = (0.5 * rng.standard_normal(k)).astype(np.float32)
h = np.zeros((k, k), dtype=np.float32)
t0 = time.perf_counter()
for start in range(0, tokens, 512):
    rows = min(512, tokens - start)
    shared = rng.standard_normal((rows, 1)).astype(np.float32)
    x = rng.standard_normal((rows, k)).astype(np.float32) + shared * mix
    x[:, ::97] += 6.0 * shared
    h += x.T @ x
h *= 2.0 / tokens
hessian = time.perf_counter() - t0

t0 = time.perf_counter()
maxq = 2 ** bits - 1
damp = 0.01 * np.mean(np.diag(h))
h[np.diag_indices(k)] += damp
hinv = np.linalg.cholesky(np.linalg.inv(h)).T.astype(np.float32)  # upper
q = np.zeros_like(w)
scale = zero = None
for i1 in range(0, k, 128):
    i2 = min(i1 + 128, k)
    w1 = w[:, i1:i2].copy()
    err1 = np.zeros_like(w1)
    hinv1 = hinv[i1:i2, i1:i2]
    for i in range(i2 - i1):
        col = w1[:, i]
        d = hinv1[i, i]
        if (i1 + i) % group == 0:
            g = w[:, i1 + i:i1 + i + group]
            xmax = np.maximum(np.abs(g.min(1)), g.max(1))
            xmax[xmax == 0] = 1
            scale = 2 * xmax / maxq
            zero = np.full_like(scale, (maxq + 1) / 2)
        qc = np.clip(np.round(col / scale) + zero, 0, maxq)
        deq = scale * (qc - zero)
        q[:, i1 + i] = deq
        e = (col - deq) / d
        w1[:, i:] -= np.outer(e, hinv1[i, i:])
        err1[:, i] = e
    w[:, i2:] -= err1 @ hinv[i1:i2, i2:]
solve = time.perf_counter() - t0
print("numpy GPTQ %dx%d, %d-bit, group %d, %d tokens" % (k, n, bits, group, tokens))
print("  hessian   %8.3f s" % hessian)
print("  solve     %8.3f s" % solve)
