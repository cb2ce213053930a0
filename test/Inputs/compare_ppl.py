#!/usr/bin/env python3
"""Reads three `gptq-run --eval-ppl` outputs (fp32, RTN, GPTQ) and checks that
GPTQ is at least as close to fp32 as RTN (test tooling)."""
import re
import sys

values = [float(m.group(1)) for m in re.finditer(r"perplexity ([0-9.]+)", open(sys.argv[1]).read())]
if len(values) != 3:
    sys.exit("expected three perplexities, got %r" % values)
fp32, rtn, gptq = values
print("fp32 %.4f  rtn %.4f  gptq %.4f" % (fp32, rtn, gptq))
if not abs(gptq - fp32) <= abs(rtn - fp32):
    sys.exit("GPTQ (%.4f) is further from fp32 (%.4f) than RTN (%.4f)" % (gptq, fp32, rtn))
