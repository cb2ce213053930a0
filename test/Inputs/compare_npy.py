#!/usr/bin/env python3
"""Compares two float arrays (e.g. CPU and GPU logits).

  compare_npy.py REF.npy GOT.npy [--max-rel R] [--mean-rel R] [--argmax F]

--max-rel: max |got - ref| / max |ref|; --mean-rel: mean |got - ref| /
mean |ref|; --argmax: the fraction of rows (last axis) whose argmax agrees.
Prints the three numbers and exits 1 when one is out of bounds."""
import sys

import numpy as np


def arg(name, default):
    if name in sys.argv:
        return float(sys.argv[sys.argv.index(name) + 1])
    return default


def main():
    ref = np.load(sys.argv[1]).astype(np.float64)
    got = np.load(sys.argv[2]).astype(np.float64)
    if ref.shape != got.shape:
        print("shapes differ: %s vs %s" % (ref.shape, got.shape))
        return 1
    diff = np.abs(got - ref)
    max_rel = diff.max() / max(np.abs(ref).max(), 1e-30)
    mean_rel = diff.mean() / max(np.abs(ref).mean(), 1e-30)
    agree = float(np.mean(ref.argmax(-1) == got.argmax(-1)))
    print("max rel %.3e  mean rel %.3e  argmax agreement %.4f" % (max_rel, mean_rel, agree))
    ok = (max_rel <= arg("--max-rel", 1e-3) and mean_rel <= arg("--mean-rel", 1e-4)
          and agree >= arg("--argmax", 1.0))
    if not np.all(np.isfinite(got)):
        print("non-finite values in", sys.argv[2])
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
