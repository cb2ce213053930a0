#!/usr/bin/env python3
"""RESULTS.md from the JSON-lines logs of generate.py runs (one per environment):
the environments and their versions, every fixture made (with onnxruntime's
agreement with the PyTorch references) and every recipe that failed, with its error.

    python3 summarize.py LOG.jsonl... > RESULTS.md
"""

import collections
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
HF = os.path.join(HERE, "..", "..", "test", "Models", "hf")
KEYS = ("torch", "transformers", "optimum", "optimum-onnx", "onnxruntime", "onnxscript",
        "onnxruntime-genai", "onnx", "tokenizers", "numpy")


def ort_summary(chk):
    if not chk:
        return ""
    if "error" in chk:
        s = "error: " + chk["error"].split(" : ")[-1][:120]
        if isinstance(chk.get("without_value_info"), dict):
            w = chk["without_value_info"]["max_abs_diff_valid"]
            s += "; without value_info max %.2g" % max(w.values())
        return s
    diffs = [v["max_abs_diff_valid"] for k, v in chk.items() if isinstance(v, dict)]
    return "%s, max %.2g" % ("matches" if chk.get("matches_reference") else "DIFFERS", max(diffs))


def main(paths):
    recs = []
    for p in paths:
        for line in open(p):
            if line.strip():
                recs.append(json.loads(line))
    # The last record of a fixture wins (a rerun replaces an earlier attempt).
    last = collections.OrderedDict()
    for r in recs:
        last[r["fixture"]] = r
    envs = collections.OrderedDict()
    for r in last.values():
        envs.setdefault(r["env"], r["versions"])
    out = []
    w = out.append
    w("# Fixture generation results\n")
    w("Written by `summarize.py` from the logs of `make_all.sh` (one `generate.py` run per "
      "environment). Each fixture's `fixture.json` holds the same facts and more.\n")
    w("## Environments\n")
    w("| environment | " + " | ".join(KEYS) + " |")
    w("|---|" + "---|" * len(KEYS))
    for e, v in envs.items():
        w("| %s | %s |" % (e, " | ".join(v.get(k, "-") for k in KEYS)))
    w("")
    ok = [r for r in last.values() if r["status"] == "ok"]
    bad = [r for r in last.values() if r["status"] != "ok"]
    w("## Fixtures made (%d)\n" % len(ok))
    w("onnxruntime column: onnxruntime 1.32 on the fixture's model and inputs against the "
      "PyTorch references, largest |difference| at valid (unpadded) positions.\n")
    w("| fixture | exporter | dtype | env | size (bytes) | onnxruntime vs PyTorch |")
    w("|---|---|---|---|---:|---|")
    for r in sorted(ok, key=lambda r: r["fixture"]):
        w("| %s | %s | %s | %s | %d | %s |" % (r["fixture"], r["exporter"], r.get("dtype", "?"),
                                              r["env"], r.get("size", 0),
                                              ort_summary(r.get("onnxruntime"))))
    w("")
    w("## Recipes that failed (%d)\n" % len(bad))
    w("| fixture | exporter | dtype | env | error |")
    w("|---|---|---|---|---|")
    for r in sorted(bad, key=lambda r: r["fixture"]):
        err = r.get("error", "").splitlines()[0] if r.get("error") else ""
        w("| %s | %s | %s | %s | %s |" % (r["fixture"], r["exporter"], r.get("dtype", "?"),
                                          r["env"], err[:300].replace("|", "\\|")))
    w("")
    # arch x exporter matrix
    archs = sorted({r["fixture"].split("/")[0] for r in last.values()})
    cols = collections.OrderedDict()
    for r in last.values():
        name = r["fixture"].split("/")[1]
        cols.setdefault(name, None)
    w("## Architecture x fixture\n")
    w("`ok` made, `FAIL` could not be made (see above), blank: not attempted.\n")
    names = sorted(cols)
    w("| fixture | " + " | ".join(archs) + " |")
    w("|---|" + "---|" * len(archs))
    for n in names:
        cells = []
        for a in archs:
            r = last.get("%s/%s" % (a, n))
            cells.append("" if r is None else ("ok" if r["status"] == "ok" else "FAIL"))
        w("| %s | %s |" % (n, " | ".join(cells)))
    w("")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1:])
