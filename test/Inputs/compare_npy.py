#!/usr/bin/env python3
"""compare_npy.py A.npy B.npy [--atol 1e-4]: same shape, max abs diff <= atol
(test tooling). Prints the max abs difference."""
import sys

import numpy as np

a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
atol = float(sys.argv[sys.argv.index("--atol") + 1]) if "--atol" in sys.argv else 1e-4
if a.shape != b.shape:
    sys.exit("shapes differ: %s vs %s" % (a.shape, b.shape))
diff = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))
print("max abs diff %.3g" % diff)
if not diff <= atol:
    sys.exit("max abs diff %.3g exceeds %.3g" % (diff, atol))
