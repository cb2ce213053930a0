#!/usr/bin/env python3
"""Writes a token-id .npy file without numpy (test tooling).

  make_tokens.py OUT.npy ROWS COLS VOCAB [SEED] [--dtype i8|i4|f4] [--flat]
  make_tokens.py OUT.npy --values 1,2,3 [--dtype ...]

Tokens are drawn from a fixed linear congruential generator so that the
files are identical on every machine."""
import struct
import sys


def write_npy(path, values, shape, dtype):
    fmt = {"<i8": "q", "<i4": "i", "<f4": "f"}[dtype]
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        dtype, ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else ""))
    pad = 64 - (10 + len(header) + 1) % 64
    header += " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00")
        f.write(struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def main(argv):
    out = argv[1]
    dtype = "<i8"
    if "--dtype" in argv:
        dtype = "<" + argv[argv.index("--dtype") + 1]
    if "--values" in argv:
        vals = [int(v) for v in argv[argv.index("--values") + 1].split(",")]
        write_npy(out, vals, [len(vals)], dtype)
        return
    rows, cols, vocab = int(argv[2]), int(argv[3]), int(argv[4])
    seed = int(argv[5]) if len(argv) > 5 and not argv[5].startswith("--") else 1
    state, vals = seed, []
    for _ in range(rows * cols):
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        vals.append((state >> 33) % vocab)
    shape = [rows * cols] if "--flat" in argv else [rows, cols]
    if dtype == "<f4":
        vals = [float(v) for v in vals]
    write_npy(out, vals, shape, dtype)


if __name__ == "__main__":
    main(sys.argv)
