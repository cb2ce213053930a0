#!/usr/bin/env python3
"""Op census of the Hugging Face fixtures (test/Models/hf/<arch>/<name>/model.onnx).

Prints, for every fixture, its op types (domain:op and count, subgraphs included)
and opset imports, then a summary over the corpus. With --tools DIR it also runs
`DIR/gptq-translate --import-onnx MODEL -o /dev/null` on each fixture and records
whether it imports and which op types it reports unsupported. A model refused for
its opset or IR version is retried on a copy whose default-domain opset import is
moved into 13..21 (and IR version set to 8), only to list the op types it lacks.

    python3 census.py [--tools build/bin] [--markdown CENSUS.md] [fixture dirs...]

Needs numpy and onnx (the repository's .venv has both).
"""

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
HF = os.path.join(REPO, "test", "Models", "hf")


def fixtures(roots):
    out = []
    for root in roots:
        if os.path.exists(os.path.join(root, "model.onnx")):
            out.append(root)
            continue
        for arch in sorted(os.listdir(root)):
            ad = os.path.join(root, arch)
            if not os.path.isdir(ad):
                continue
            for name in sorted(os.listdir(ad)):
                if os.path.exists(os.path.join(ad, name, "model.onnx")):
                    out.append(os.path.join(ad, name))
    return out


def graphs(g):
    yield g
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                yield from graphs(a.g)
            elif a.type == onnx.AttributeProto.GRAPHS:
                for s in a.graphs:
                    yield from graphs(s)


def op_key(n):
    return "%s:%s" % (n.domain or "ai.onnx", n.op_type)


def census(path):
    m = onnx.load(path, load_external_data=False)
    ops = collections.Counter(op_key(n) for g in graphs(m.graph) for n in g.node)
    opsets = {(o.domain or "ai.onnx"): o.version for o in m.opset_import}
    return m, ops, opsets


UNSUP = re.compile(r"unsupported operator types? \(opset (\d+)\): (.*)$")
ITEM = re.compile(r"(?:^|, )([A-Za-z0-9_.]+(?:::[A-Za-z0-9_]+)?) \((\d+) nodes?")


def run_import(tool, model, timeout=300):
    p = subprocess.run([tool, "--import-onnx", model, "--op-stats", "-o", os.devnull],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout.strip()


STATS = re.compile(r"^(imported|after nn-canonicalize): (\d+) ops \((.*)\)$")


def parse_stats(msg):
    """--op-stats lines: {"imported": (n, {op: count}), "after nn-canonicalize": ...}."""
    out = {}
    for line in msg.splitlines():
        mm = STATS.match(line.strip())
        if mm:
            ops = {}
            for item in mm.group(3).split(", "):
                c, _, op = item.partition(" ")
                ops[op] = int(c)
            out[mm.group(1)] = (int(mm.group(2)), ops)
    return out


def parse_unsupported(msg):
    for line in msg.splitlines():
        mm = UNSUP.search(line)
        if mm:
            return [("%s" % name if "::" in name else "ai.onnx:" + name).replace("::", ":")
                    for name, _ in ITEM.findall(mm.group(2))]
    return None


def importer(tool, path, model):
    rc, msg = run_import(tool, path)
    if rc == 0:
        return dict(status="ok", unsupported=[], message="", stats=parse_stats(msg))
    msg = msg.replace(REPO + "/", "")
    res = dict(status="fails", message=msg.splitlines()[-1] if msg else "exit %d" % rc)
    uns = parse_unsupported(msg)
    if uns is not None:
        res["unsupported"] = uns
        return res
    opset_refused = "opset" in msg and "is not supported" in msg
    ir_refused = "IR version" in msg and "is not supported" in msg
    if opset_refused or ir_refused:
        # Refused for the opset or IR version: list what is missing on a copy with the
        # default-domain opset moved into 13..21 and IR version 8.
        m = onnx.load(path, load_external_data=True)
        for o in m.opset_import:
            if o.domain in ("", "ai.onnx"):
                o.version = min(max(o.version, 13), 21)
        if ir_refused:
            m.ir_version = 8
        with tempfile.TemporaryDirectory() as d:
            p2 = os.path.join(d, "model.onnx")
            onnx.save_model(m, p2)
            rc2, msg2 = run_import(tool, p2)
        uns2 = parse_unsupported(msg2)
        res["opset_refused" if opset_refused else "ir_refused"] = True
        res["unsupported"] = uns2 if uns2 is not None else []
        res["at_opset_21"] = ("imports" if rc2 == 0 else
                              (msg2.splitlines()[-1] if uns2 is None else "unsupported ops"))
        return res
    res["unsupported"] = []
    return res


def fmt_ops(ops):
    return ", ".join("%s %d" % (k.replace("ai.onnx:", ""), v) for k, v in
                     sorted(ops.items(), key=lambda kv: (-kv[1], kv[0])))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*", default=[HF])
    ap.add_argument("--tools", help="directory with gptq-translate (runs the importer)")
    ap.add_argument("--markdown", help="write the report here as Markdown (else stdout)")
    ap.add_argument("--json", help="also write the raw results as JSON")
    args = ap.parse_args()

    rows = []
    for fd in fixtures(args.paths):
        rel = os.path.relpath(fd, HF)
        path = os.path.join(fd, "model.onnx")
        m, ops, opsets = census(path)
        meta = {}
        fj = os.path.join(fd, "fixture.json")
        if os.path.exists(fj):
            meta = json.load(open(fj))
        row = dict(fixture=rel, exporter=meta.get("exporter", "?"), dtype=meta.get("dtype", "?"),
                   env=meta.get("environment", "?"), ops=dict(ops), opsets=opsets,
                   nodes=sum(ops.values()),
                   inputs=[i["name"] for i in meta.get("inputs", [])])
        if args.tools:
            row["import"] = importer(os.path.join(args.tools, "gptq-translate"), path, m)
        rows.append(row)
        print("%s: %d nodes, %s" % (rel, row["nodes"], row.get("import", {}).get("status", "")),
              file=sys.stderr)

    L = []
    w = L.append
    w("# Op census of the Hugging Face fixtures\n")
    w("Generated by `scripts/hf-fixtures/census.py%s` over %d fixtures in `test/Models/hf/`."
      % (" --tools build/bin" if args.tools else "", len(rows)))
    w("Op types are `domain:op` (`ai.onnx` omitted in the per-fixture lists); counts include "
      "subgraphs.\n")
    if args.tools:
        ok = [r for r in rows if r["import"]["status"] == "ok"]
        w("## Importer today (`gptq-translate --import-onnx MODEL -o /dev/null`, no --input-shape)\n")
        w("%d of %d fixtures import.\n" % (len(ok), len(rows)))
        uns = collections.Counter()
        uns_fx = collections.defaultdict(list)
        for r in rows:
            for u in r["import"].get("unsupported", []):
                uns[u] += 1
                uns_fx[u].append(r["fixture"])
        refused = ["%s (opset %d)" % (r["fixture"], r["opsets"].get("ai.onnx", 0))
                   for r in rows if r["import"].get("opset_refused")]
        if refused:
            w("Refused for the default-domain opset (above the importer's range): %s. "
              "Their unsupported op types below were found on a copy with the opset import set to 21.\n"
              % ", ".join(refused))
        refused = [r["fixture"] for r in rows if r["import"].get("ir_refused")]
        if refused:
            w("Refused for the ONNX IR version: %s. Their unsupported op types below were "
              "found on a copy with IR version 8 (and opset 13 where it was lower).\n" % ", ".join(refused))
        if uns:
            w("| unsupported op type | fixtures | nodes over the corpus | exporters |")
            w("|---|---:|---:|---|")
        for u, c in sorted(uns.items(), key=lambda kv: (-kv[1], kv[0])):
            nodes = sum(r["ops"].get(u, 0) for r in rows)
            exps = sorted({r["exporter"] for r in rows if r["fixture"] in uns_fx[u]})
            w("| `%s` | %d | %d | %s |" % (u, c, nodes, ", ".join(exps)))
        if not uns:
            w("No op type of the corpus is unsupported.")
        w("")
        other = [r for r in rows if r["import"]["status"] != "ok" and not r["import"].get("unsupported")
                 and not r["import"].get("opset_refused") and not r["import"].get("ir_refused")]
        if other:
            w("Failing for other reasons:\n")
            for r in other:
                w("- `%s`: %s" % (r["fixture"], r["import"]["message"]))
            w("")
    # Summary over the corpus.
    total = collections.Counter()
    nfx = collections.Counter()
    by_exp = collections.defaultdict(collections.Counter)
    for r in rows:
        for k, v in r["ops"].items():
            total[k] += v
            nfx[k] += 1
            by_exp[r["exporter"]][k] += v
    unsup_all = set()
    if args.tools:
        for r in rows:
            unsup_all.update(r["import"].get("unsupported", []))
    w("## Op types over the corpus\n")
    w("| op type | fixtures | nodes |%s" % (" importer today |" if args.tools else ""))
    w("|---|---:|---:|%s" % ("---|" if args.tools else ""))
    for k, v in sorted(total.items(), key=lambda kv: (-nfx[kv[0]], -kv[1], kv[0])):
        w("| `%s` | %d | %d |%s" % (k, nfx[k], v, (" **unsupported** |" if k in unsup_all else " ok |")
                                    if args.tools else ""))
    w("")
    w("## Op types per exporter\n")
    for e in sorted(by_exp):
        n = sum(1 for r in rows if r["exporter"] == e)
        w("- **%s** (%d fixtures): %s" % (e, n, fmt_ops(by_exp[e])))
    w("")
    w("## Per fixture\n")
    w("| fixture | exporter | dtype | env | opset imports | nodes | inputs |%s" %
      (" import | unsupported |" if args.tools else ""))
    w("|---|---|---|---|---|---:|---|%s" % ("---|---|" if args.tools else ""))
    for r in rows:
        osets = ", ".join("%s %d" % (k, v) for k, v in sorted(r["opsets"].items()))
        extra = ""
        if args.tools:
            im = r["import"]
            st = im["status"] + (" (opset refused)" if im.get("opset_refused") else "") + (
                " (IR version refused)" if im.get("ir_refused") else "")
            extra = " %s | %s |" % (st, ", ".join("`%s`" % u.replace("ai.onnx:", "")
                                                   for u in im.get("unsupported", [])))
        w("| %s | %s | %s | %s | %s | %d | %s |%s" % (r["fixture"], r["exporter"], r["dtype"],
                                                       r["env"], osets, r["nodes"],
                                                       ", ".join(r["inputs"]), extra))
    w("")
    if args.tools:
        w("## Imported ops per fixture\n")
        w("`gptq-translate --import-onnx MODEL --op-stats` with dynamic shapes: the nn ops as "
          "imported and after `nn-canonicalize` (folding, symbolic shapes, RMSNorm and "
          "grouped-query-attention recognition), and the shape ops left (`nn.shape` reads a "
          "dynamic batch or sequence size).\n")
        w("| fixture | ONNX nodes | nn ops imported | after nn-canonicalize | nn.shape left | "
          "linear ops (matmul/gemm) |")
        w("|---|---:|---:|---:|---:|---:|")
        for r in rows:
            st = r["import"].get("stats", {})
            if "imported" not in st:
                w("| %s | %d | fails | | | |" % (r["fixture"], r["nodes"]))
                continue
            n0, _ = st["imported"]
            n1, ops1 = st.get("after nn-canonicalize", st["imported"])
            w("| %s | %d | %d | %d | %d | %d |" % (
                r["fixture"], r["nodes"], n0, n1, ops1.get("nn.shape", 0),
                ops1.get("nn.matmul", 0) + ops1.get("nn.gemm", 0)))
        w("")
    w("## Op counts per fixture\n")
    for r in rows:
        w("- `%s`: %s" % (r["fixture"], fmt_ops(r["ops"])))
    w("")
    text = "\n".join(L)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text)
    else:
        print(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
