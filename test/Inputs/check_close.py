#!/usr/bin/env python3
"""Compares the numbers after WORD in two files (test tooling, no numpy).

  check_close.py A.txt B.txt [--word perplexity] [--word-b WORD] [--rtol 1e-4]

Reads the first number after WORD in each file (e.g. "perplexity 3.9221"
from gptq-run --eval-ppl or gptq-quantize; --word-b: another word for B)
and fails when they differ by more than rtol relative to B. Prints both values and the difference."""
import re
import sys


def value(path, word):
    m = re.search(re.escape(word) + r"[^0-9+-]*([-+0-9.eE]+)", open(path).read())
    if not m:
        sys.exit("%s: no number after '%s'" % (path, word))
    return float(m.group(1))


def main(argv):
    word, word_b, rtol = "perplexity", None, 1e-4
    args = []
    i = 1
    while i < len(argv):
        if argv[i] == "--word":
            word, i = argv[i + 1], i + 2
        elif argv[i] == "--word-b":
            word_b, i = argv[i + 1], i + 2
        elif argv[i] == "--rtol":
            rtol, i = float(argv[i + 1]), i + 2
        else:
            args.append(argv[i])
            i += 1
    a, b = value(args[0], word), value(args[1], word_b or word)
    rel = abs(a - b) / abs(b) if b else abs(a - b)
    print("%s %.6g vs %.6g: relative difference %.3g (limit %g)" % (word, a, b, rel, rtol))
    if not rel <= rtol:
        sys.exit("differ by more than %g" % rtol)


if __name__ == "__main__":
    main(sys.argv)
