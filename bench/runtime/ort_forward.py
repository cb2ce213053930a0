#!/usr/bin/env python3
"""onnxruntime's CPU session on the same model and batches as bench-forward:
prints tokens/s per batch (benchmark tooling, needs numpy + onnxruntime).

  ort_forward.py MODEL.onnx ITERS THREADS
"""
import sys
import time

import numpy as np
import onnxruntime as ort

model, iters, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
opts = ort.SessionOptions()
opts.intra_op_num_threads = threads
opts.inter_op_num_threads = 1
sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
name = sess.get_inputs()[0].name
rng = np.random.default_rng(1)
for batch in (1, 16):
    ids = rng.integers(3, 503, size=(batch, 256), dtype=np.int64)
    sess.run(None, {name: ids})
    t0 = time.perf_counter()
    for _ in range(iters):
        sess.run(None, {name: ids})
    dt = time.perf_counter() - t0
    print("%-8s %12.0f" % ("%dx256" % batch, batch * 256 * iters / dt))
