#!/usr/bin/env python3
"""Run Hugging Face decoder fixtures (test/Models/hf/<arch>/<name>/) through the tools.

    check_fixture.py --list [ROOT]
    check_fixture.py --tools BUILD/bin --tmp DIR [--stages import,run,...] FIXTURE_OR_ROOT...

One line per fixture and stage: `<arch>/<name>: <stage>: ok ...`,
`... skipped <why>` or `... FAIL <reason>`; the exit status is 1 when any stage failed.
Stages (in order; a later stage that needs an earlier one's output says so):

  import       gptq-translate --import-onnx (no --input-shape); the batch and sequence
               dims that are symbolic in the ONNX graph must stay dynamic (`?`) in @main's
               signature (other dim_params, e.g. onnxruntime-genai's kv_cache_dim, may be
               proven static by the graph's ops: listed) and the static ones keep their value.
  run          gptq-run MODEL --input NAME=in.NAME.npy ... against ref.*.npy (logits and
               present.*) within the fixture's tolerance. Outputs listed in the fixture's
               mask_outputs are compared at valid (unpadded) positions only.
  quantize     gptq-quantize MODEL --calibration CAL --nsamples 8 --eval EVAL --eval-max-windows 2
               --group-size 16 --no-kernels --hf-config <arch>/hf -o TMP/<fixture>/q, no
               --input-shape; CAL/EVAL are token ids drawn (seed 0) below the fixture's
               vocab_size. q/gptq/ must have config.json with a gptq quantization_config
               (gptq-quantize itself checks every parameter of <arch>/hf/model.safetensors
               against the checkpoint's names and shapes).
  onnxruntime  the written q/model.onnx in onnxruntime against gptq-run q/model.mlirbc on
               the fixture's inputs (1e-3 fp32, 5e-2 fp16/bf16), and q/model.onnx keeps the
               original's input/output names, dtypes and dynamic dims.
  generate     gptq-run q/model.mlirbc --generate 5 --prompt-ids 1,2,3, and for models
               with past_key_values.* inputs the same with --no-kv-cache: identical ids.
  hfload       q/gptq/ loaded by transformers' AutoModelForCausalLM and by GPTQModel
               (fp16, GPTQModel's torch kernel, on the CPU) in the python of --hf-python:
               logits within 2e-2 of gptq-run's on q/model.mlirbc for row 0's tokens
               (2e-2 x max|logits| / 4 where |logits| > 4: fp16 rounding grows with
               them), with the same attention_mask, position_ids, token_type_ids.
               Skipped without --hf-python.

Needs numpy and onnx; the onnxruntime stage needs onnxruntime.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
STAGES = ["import", "run", "quantize", "onnxruntime", "generate", "hfload"]
TIMEOUT = 900


def find_fixtures(paths):
    out = []
    for p in paths:
        p = os.path.abspath(p)
        if os.path.exists(os.path.join(p, "fixture.json")):
            out.append(p)
            continue
        for root, dirs, files in os.walk(p):
            dirs.sort()
            if "fixture.json" in files and "model.onnx" in files:
                out.append(root)
    return out


def fixture_name(d):
    return "%s/%s" % (os.path.basename(os.path.dirname(d)), os.path.basename(d))


def run(cmd, timeout=TIMEOUT):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return 124, "", "timed out after %ds" % timeout


def first_error(stderr, stdout=""):
    text = (stderr or "") + "\n" + (stdout or "")
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    for l in lines:
        if "error" in l.lower():
            return l[:400]
    return (lines[-1] if lines else "no output")[:400]


def loader_error(stderr, stdout=""):
    """The exception a Python loader died of (the last 'XxxError: ...' line of
    its traceback), else first_error's line."""
    lines = [l.strip() for l in (stderr or "").splitlines() if l.strip()]
    for l in reversed(lines):
        if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt)\b:?", l):
            return l[:400]
    return first_error(stderr, stdout)


class Failure(Exception):
    pass


class Skip(Exception):
    pass


# ----------------------------------------------------------------------------
# Arrays and comparison.
# ----------------------------------------------------------------------------
def load_npy(path, bf16=False):
    a = np.load(path)
    if a.dtype.kind == "V" and a.dtype.itemsize == 2 or (bf16 and a.dtype == np.uint16):
        # bfloat16 written as raw 16-bit values: widen to float32.
        a = (a.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
    return a


def valid_mask(mask, shape, axes):
    """True at unpadded positions: the attention mask's last n = shape[seq_axis]
    columns, right-aligned with the output's seq_axis, its rows along batch_axis,
    broadcast over the other axes."""
    b, t = axes["batch_axis"], axes["seq_axis"]
    n = shape[t]
    m = mask[:, -n:].astype(bool)
    view = [1] * len(shape)
    view[b], view[t] = m.shape[0], n
    return np.broadcast_to(m.reshape(view), shape)


def compare(name, got, ref, atol, rtol, fx, feeds):
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if got.shape != ref.shape:
        raise Failure("%s: shape %s, reference %s" % (name, list(got.shape), list(ref.shape)))
    sel = np.ones(ref.shape, dtype=bool)
    masked = name in fx.get("mask_outputs", {}) and "attention_mask" in feeds
    if masked:
        sel = valid_mask(feeds["attention_mask"], ref.shape, fx["mask_outputs"][name])
    d = np.abs(got - ref)
    bad = ~(d <= atol + rtol * np.abs(ref)) & sel
    worst = float(d[sel].max()) if sel.any() else 0.0
    if bad.any():
        idx = tuple(int(i[0]) for i in np.nonzero(bad))
        raise Failure("%s: max |diff| %.3g > atol %g + rtol %g*|ref| (first at %s: %r vs %r)"
                      % (name, float(np.nanmax(np.where(sel, d, 0))), atol, rtol, list(idx),
                         float(got[idx]), float(ref[idx])))
    return "%s %.2g%s" % (name, worst, " (valid positions)" if masked else "")


def has_bf16(model):
    import onnx

    bf = onnx.TensorProto.BFLOAT16
    vis = list(model.graph.input) + list(model.graph.output) + list(model.graph.value_info)
    return (any(t.data_type == bf for t in model.graph.initializer)
            or any(v.type.tensor_type.elem_type == bf for v in vis))


def bf16_as_f32(path, out):
    """A copy of the model at `path` with bfloat16 replaced by float32 everywhere
    (initializers widened exactly, value types, Cast/ConstantOfShape targets)."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(path)
    bf, f32 = onnx.TensorProto.BFLOAT16, onnx.TensorProto.FLOAT

    def widen(t):
        if t.data_type != bf:
            return
        raw = np.frombuffer(t.raw_data, dtype=np.uint16) if t.raw_data else \
            np.array(t.int32_data, dtype=np.uint16)
        a = (raw.astype(np.uint32) << 16).view(np.float32).reshape(tuple(t.dims))
        t.CopyFrom(numpy_helper.from_array(a, t.name))

    for t in m.graph.initializer:
        widen(t)
    for v in list(m.graph.input) + list(m.graph.output) + list(m.graph.value_info):
        if v.type.tensor_type.elem_type == bf:
            v.type.tensor_type.elem_type = f32
    for n in m.graph.node:
        for a in n.attribute:
            if a.name == "to" and a.i == bf:
                a.i = f32
            if a.type == onnx.AttributeProto.TENSOR:
                widen(a.t)
    onnx.save(m, out)
    return out


# ----------------------------------------------------------------------------
# The fixture.
# ----------------------------------------------------------------------------
class Fixture:
    def __init__(self, d, tools, tmp):
        self.dir = d
        self.name = fixture_name(d)
        self.fx = json.load(open(os.path.join(d, "fixture.json")))
        self.model = os.path.join(d, "model.onnx")
        self.tools = tools
        self.tmp = os.path.join(tmp, self.name.replace("/", "__"))
        self.qdir = os.path.join(self.tmp, "q")
        self.bf16 = self.fx.get("dtype") == "bf16"
        self.inputs = [i["name"] for i in self.fx["inputs"]]
        self.outputs = [o["name"] for o in self.fx["outputs"]]
        self.feeds = {n: load_npy(self.in_path(n)) for n in self.inputs}
        self.has_past = any(n.startswith("past_key_values.") or n.startswith("past_")
                            for n in self.inputs)
        self.quantized = None
        # The architecture's Hugging Face folder (config, tokenizer, weights).
        self.hf_dir = os.path.join(os.path.dirname(d), "hf")
        self.hf_python = None

    def token_input(self):
        if "input_ids" in self.feeds:
            return "input_ids"
        return next(n for n in self.inputs if self.feeds[n].dtype.kind in "iu")

    def in_path(self, n):
        return os.path.join(self.dir, "in.%s.npy" % n)

    def ref_path(self, n):
        return os.path.join(self.dir, "ref.%s.npy" % n)

    def tool(self, t):
        return os.path.join(self.tools, t)

    def input_args(self):
        args = []
        for n in self.inputs:
            args += ["--input", "%s=%s" % (n, self.in_path(n))]
        return args

    # -- stages ---------------------------------------------------------------
    def stage_import(self):
        out = os.path.join(self.tmp, "import.mlir")
        rc, so, se = run([self.tool("gptq-translate"), "--import-onnx", self.model, "-o", out])
        if rc != 0:
            raise Failure(first_error(se, so))
        sig = main_signature(open(out).read())
        if sig is None:
            raise Failure("no func.func @main in the imported module")
        args, results = sig
        problems = []
        proven = {}
        for spec, got in zip(self.fx["inputs"], args):
            problems += dims_problems("input " + spec["name"], spec["shape"], got, proven)
        for spec, got in zip(self.fx["outputs"], results):
            problems += dims_problems("output " + spec["name"], spec["shape"], got, proven)
        if len(args) != len(self.fx["inputs"]) or len(results) != len(self.fx["outputs"]):
            problems.append("@main has %d arguments / %d results, the model %d inputs / %d outputs"
                            % (len(args), len(results), len(self.fx["inputs"]),
                               len(self.fx["outputs"])))
        if problems:
            raise Failure("; ".join(problems[:4]))
        kept = sum(1 for spec, got in zip(self.fx["inputs"] + self.fx["outputs"],
                                          list(args) + list(results))
                   for want, g in zip(spec["shape"], got or []) if isinstance(want, str) and g == "?")
        return "%d arguments, %d results, %d dynamic dims kept%s" % (
            len(args), len(results), kept,
            "; dim_params the ops fix: " + ", ".join(sorted(proven)) if proven else "")

    def stage_run(self):
        tol = self.fx["tolerance"]
        outdir = os.path.join(self.tmp, "run")
        shutil.rmtree(outdir, ignore_errors=True)
        masked = self.fx.get("mask_outputs", {}) if "attention_mask" in self.feeds else {}
        cmd = [self.tool("gptq-run"), self.model] + self.input_args() + ["--output-dir", outdir]
        exact = [n for n in self.outputs if n not in masked and not self.bf16]
        for n in exact:
            cmd += ["--expect", "%s=%s" % (n, self.ref_path(n))]
        if exact:
            cmd += ["--atol", str(tol["atol"]), "--rtol", str(tol["rtol"])]
        rc, so, se = run(cmd)
        if rc != 0:
            raise Failure(first_error(se, so))
        notes = []
        for n in self.outputs:
            p = os.path.join(outdir, "%s.npy" % n)
            if not os.path.exists(p):
                raise Failure("gptq-run wrote no %s.npy" % n)
            got = load_npy(p, self.bf16)
            ref = load_npy(self.ref_path(n))
            notes.append(compare(n, got, ref, tol["atol"], tol["rtol"], self.fx, self.feeds))
        return "max |diff|: " + ", ".join(notes)

    def calibration_files(self):
        rng = np.random.default_rng(0)
        v = int(self.fx["vocab_size"])
        cal = rng.integers(0, v, size=(8, 16), dtype=np.int64)
        ev = rng.integers(0, v, size=(4, 16), dtype=np.int64)
        cp = os.path.join(self.tmp, "calibration.npy")
        ep = os.path.join(self.tmp, "eval.npy")
        np.save(cp, cal)
        np.save(ep, ev)
        return cp, ep

    def stage_quantize(self):
        cal, ev = self.calibration_files()
        shutil.rmtree(self.qdir, ignore_errors=True)
        rc, so, se = run([self.tool("gptq-quantize"), self.model, "--calibration", cal,
                          "--nsamples", "8", "--eval", ev, "--eval-max-windows", "2", "--group-size", "16",
                          "--no-kernels", "--progress", "none", "-o", self.qdir,
                          "--hf-config", self.hf_dir])
        if rc != 0:
            raise Failure(first_error(se, so))
        for f in ("model.mlirbc", "model.onnx", "gptq/model.safetensors", "gptq/config.json"):
            if not os.path.exists(os.path.join(self.qdir, f)):
                raise Failure("gptq-quantize wrote no %s" % f)
        qc = json.load(open(os.path.join(self.qdir, "gptq", "config.json"))).get("quantization_config")
        if not qc or qc.get("quant_method") != "gptq":
            raise Failure("gptq/config.json has no gptq quantization_config")
        self.quantized = self.qdir
        ppl = []
        rp = os.path.join(self.qdir, "report.md")
        if os.path.exists(rp):
            for line in open(rp):
                m = re.match(r"\| (float|GPTQ [^|]*|RTN [^|]*) \| ([0-9.eE+-]+|inf|nan) \|", line)
                if m:
                    ppl.append("%s %s" % (m.group(1).strip(), m.group(2)))
        return ("wrote q/model.mlirbc and q/model.onnx"
                + ("; perplexity " + ", ".join(ppl) if ppl else ""))

    def need_quantized(self):
        if self.quantized is None:
            if os.path.exists(os.path.join(self.qdir, "model.mlirbc")):
                self.quantized = self.qdir
            else:
                raise Failure("needs the quantize stage's output (it failed or did not run)")

    def stage_onnxruntime(self):
        self.need_quantized()
        import onnx

        qonnx = os.path.join(self.qdir, "model.onnx")
        orig = onnx.load(self.model, load_external_data=False)
        written = onnx.load(qonnx, load_external_data=False)
        problems = io_problems(orig, written)
        if problems:
            raise Failure("q/model.onnx differs from the original: " + "; ".join(problems[:4]))
        import onnxruntime as ort

        so_ = ort.SessionOptions()
        so_.log_severity_level = 3
        widened = ""
        if has_bf16(written):
            # onnxruntime's CPU provider has no bfloat16 kernels (it cannot run
            # the original bf16 export either): run a float32 copy in which every
            # bf16 tensor, value and cast target is float32 (weights exactly).
            qonnx = bf16_as_f32(qonnx, os.path.join(self.tmp, "q-as-f32.onnx"))
            widened = " (bf16 model.onnx run as float32 in onnxruntime)"
        try:
            sess = ort.InferenceSession(qonnx, so_, providers=["CPUExecutionProvider"])
        except Exception as e:  # noqa: BLE001
            raise Failure("onnxruntime cannot load q/model.onnx: %s" % str(e).splitlines()[0][:300])
        feeds = {}
        for i in sess.get_inputs():
            feeds[i.name] = ort_cast(self.feeds[i.name], i.type)
        names = [o.name for o in sess.get_outputs()]
        try:
            got = dict(zip(names, sess.run(names, feeds)))
        except Exception as e:  # noqa: BLE001
            raise Failure("onnxruntime run: %s" % str(e).splitlines()[0][:300])
        outdir = os.path.join(self.tmp, "qrun")
        shutil.rmtree(outdir, ignore_errors=True)
        rc, so, se = run([self.tool("gptq-run"), os.path.join(self.qdir, "model.mlirbc")]
                         + self.input_args() + ["--output-dir", outdir])
        if rc != 0:
            raise Failure("gptq-run q/model.mlirbc: " + first_error(se, so))
        tol = 5e-2 if self.fx.get("dtype") in ("fp16", "bf16") else 1e-3
        notes = []
        for n in self.outputs:
            ours = load_npy(os.path.join(outdir, "%s.npy" % n), self.bf16)
            notes.append(compare(n, got[n], ours, tol, tol, self.fx, self.feeds))
        return ("onnxruntime vs gptq-run on the quantized model, max |diff|: " + ", ".join(notes)
                + widened)

    def stage_hfload(self):
        """q/gptq/ (written with --hf-config) loaded by transformers and by GPTQModel
        (the python of --hf-python), logits against gptq-run's on the quantized
        module for one row of token ids with no padding and no past."""
        if not self.hf_python:
            raise Skip("needs --hf-python (a python with torch, transformers, optimum, gptqmodel)")
        self.need_quantized()
        d = os.path.join(self.tmp, "hfload")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        ids = self.feeds[self.token_input()][:1].astype(np.int64)
        if "attention_mask" in self.feeds:  # drop row 0's padding (left)
            valid = self.feeds["attention_mask"][0, -ids.shape[1]:] != 0
            ids = ids[:, valid]
        seq = ids.shape[1]
        feeds = {}
        for spec in self.fx["inputs"]:
            n, dt = spec["name"], self.feeds[spec["name"]].dtype
            if n == self.token_input():
                feeds[n] = ids.astype(dt)
            elif n == "attention_mask":
                feeds[n] = np.ones((1, seq), dt)
            elif n == "position_ids":
                feeds[n] = np.arange(seq, dtype=dt)[None, :]
            elif n == "token_type_ids":
                feeds[n] = np.zeros((1, seq), dt)
            elif n.startswith("past"):
                # Batch 1 and no past, by the graph's dim names (optimum:
                # [batch, heads, past, head_dim]; onnxruntime's GPT-2:
                # [2, batch, heads, past, head_dim]).
                shp = list(self.feeds[n].shape)
                dims = spec.get("shape") or []
                if len(dims) != len(shp) or not any(isinstance(x, str) for x in dims):
                    dims = ["batch", shp[1], "past"] + shp[3:]
                for i, x in enumerate(dims):
                    if isinstance(x, str) and "batch" in x:
                        shp[i] = 1
                    elif isinstance(x, str) and "past" in x:
                        shp[i] = 0
                feeds[n] = np.zeros(shp, dt)
            else:
                raise Failure("hfload: no rule for input %s" % n)
        args = []
        for n, a in feeds.items():
            path = os.path.join(d, "in.%s.npy" % n)
            np.save(path, a)
            args += ["--input", "%s=%s" % (n, path)]
        np.save(os.path.join(d, "ids.npy"), ids)
        rc, so, se = run([self.tool("gptq-run"), os.path.join(self.qdir, "model.mlirbc")] + args
                         + ["--output-dir", os.path.join(d, "ours")])
        if rc != 0:
            raise Failure("gptq-run q/model.mlirbc: " + first_error(se, so))
        script = os.path.join(HERE, "..", "..", "Export", "Inputs", "hf_load_compare.py")
        # The loaders get the same inputs (GPT-2 adds wte(token_type_ids)
        # even for zeros), no past.
        extra = []
        for n in ("attention_mask", "position_ids", "token_type_ids"):
            if n in feeds:
                extra += ["--input", "%s=%s" % (n, os.path.join(d, "in.%s.npy" % n))]
        # fp16 rounding grows with the logits: 2e-2 up to |logits| 4 (most
        # fixtures), proportionally beyond (Gemma's reach 25).
        ref = np.load(os.path.join(d, "ours", "logits.npy")).astype(np.float64)
        atol = 2e-2 * max(1.0, float(np.abs(ref).max()) / 4)
        notes, failed = [], []
        for loader in ("transformers", "gptqmodel"):
            rc, so, se = run([self.hf_python, script, os.path.join(self.qdir, "gptq"),
                              os.path.join(d, "ids.npy"), os.path.join(d, "ours", "logits.npy"),
                              "--loader", loader, "--dtype", "float16", "--backend", "torch",
                              "--atol", "%.3g" % atol] + extra)
            m = re.search(r"max abs diff vs gptq-run ([0-9.e+-]+|nan|inf)", so)
            if rc == 0 and m:
                notes.append("%s %s" % (loader, m.group(1)))
            else:
                failed.append("%s: %s" % (loader, (m.group(0) if m else loader_error(se, so))[:400]))
        if failed:
            raise Failure("; ".join(failed + notes))
        return ("max |logits - gptq-run| (fp16 torch kernel, limit %.3g): " % atol
                + ", ".join(notes))

    def generate_ids(self, extra):
        rc, so, se = run([self.tool("gptq-run"), os.path.join(self.qdir, "model.mlirbc"),
                          "--generate", "5", "--prompt-ids", "1,2,3"] + extra)
        if rc != 0:
            raise Failure(("%s: " % " ".join(extra) if extra else "") + first_error(se, so))
        for line in so.splitlines():
            if re.fullmatch(r"\s*\d+(\s*,\s*\d+)+\s*", line):
                return [int(x) for x in line.split(",")]
        raise Failure("no token ids in the output of --generate")

    def stage_generate(self):
        self.need_quantized()
        ids = self.generate_ids([])
        if len(ids) != 8 or ids[:3] != [1, 2, 3]:
            raise Failure("--generate 5 --prompt-ids 1,2,3 printed %s" % ids)
        if not self.has_past:
            return "ids %s" % ",".join(map(str, ids))
        ids2 = self.generate_ids(["--no-kv-cache"])
        if ids2 != ids:
            raise Failure("KV cache %s, --no-kv-cache %s" % (ids, ids2))
        return "ids %s, same with --no-kv-cache" % ",".join(map(str, ids))


# ----------------------------------------------------------------------------
# Signatures and ONNX interfaces.
# ----------------------------------------------------------------------------
def split_top(s, sep=","):
    """Split at `sep` outside <>, (), [], {} and quotes."""
    out, depth, cur, q = [], 0, [], False
    for ch in s:
        if ch == '"':
            q = not q
        if not q:
            if ch in "<([{":
                depth += 1
            elif ch in ">)]}":
                depth -= 1
            elif ch == sep and depth == 0:
                out.append("".join(cur))
                cur = []
                continue
        cur.append(ch)
    if "".join(cur).strip():
        out.append("".join(cur))
    return out


def tensor_dims(s):
    m = re.search(r"tensor<([^>]*)>", s)
    if not m:
        return None
    parts = m.group(1).split("x")
    return [p for p in parts[:-1]]


def main_signature(text):
    i = text.find("func.func @main(")
    if i < 0:
        return None
    j = i + len("func.func @main(")
    depth, k = 1, j
    while k < len(text) and depth:
        if text[k] == "(":
            depth += 1
        elif text[k] == ")":
            depth -= 1
        k += 1
    args = [tensor_dims(a) for a in split_top(text[j:k - 1])]
    rest = text[k:]
    rest = rest[:rest.find("{\n")] if "{\n" in rest else rest.split("\n")[0]
    rest = rest.strip()
    results = []
    if rest.startswith("->"):
        r = rest[2:].strip()
        if r.startswith("("):
            depth, e = 0, 0
            for e, ch in enumerate(r):
                depth += ch in "(<[{"
                depth -= ch in ")>]}"
                if depth == 0:
                    break
            results = [tensor_dims(x) for x in split_top(r[1:e])]
        else:
            results = [tensor_dims(r)]
    return args, results


VARYING_DIM = re.compile(r"batch|seq|len|past|total|step", re.I)


def dims_problems(what, onnx_shape, dims, proven=None):
    """Batch and sequence dims (dim_params naming them) must stay dynamic; other
    dim_params (onnxruntime-genai's kv_cache_dim) may be proven static by the
    graph's ops: those go to `proven`."""
    if dims is None:
        return ["%s: not a ranked tensor" % what]
    if len(dims) != len(onnx_shape):
        return ["%s: rank %d, the model's %d" % (what, len(dims), len(onnx_shape))]
    out = []
    for k, (want, got) in enumerate(zip(onnx_shape, dims)):
        if isinstance(want, str):
            if got != "?" and not VARYING_DIM.search(want) and proven is not None:
                proven["%s=%s" % (want, got)] = True
            elif got != "?":
                out.append("%s dim %d ('%s') imported as static %s" % (what, k, want, got))
        elif str(want) != got:
            out.append("%s dim %d is %s, imported as %s" % (what, k, want, got))
    return out


def value_sig(v):
    import onnx

    tt = v.type.tensor_type
    dims = []
    for d in tt.shape.dim:
        dims.append(d.dim_value if d.HasField("dim_value") else None)
    return onnx.TensorProto.DataType.Name(tt.elem_type), dims


def io_problems(orig, written):
    out = []
    inits = {i.name for i in orig.graph.initializer}
    oi = [v for v in orig.graph.input if v.name not in inits]
    winits = {i.name for i in written.graph.initializer}
    wi = [v for v in written.graph.input if v.name not in winits]
    for kind, a, b in (("inputs", oi, wi), ("outputs", list(orig.graph.output),
                                            list(written.graph.output))):
        an, bn = [v.name for v in a], [v.name for v in b]
        if an != bn:
            out.append("%s %s, original %s" % (kind, bn, an))
            continue
        for va, vb in zip(a, b):
            ta, da = value_sig(va)
            tb, db = value_sig(vb)
            if ta != tb:
                out.append("%s dtype %s, original %s" % (va.name, tb, ta))
            if len(da) != len(db) or any(x != y for x, y in zip(da, db)):
                out.append("%s dims %s, original %s" % (
                    va.name, ["?" if x is None else x for x in db],
                    ["?" if x is None else x for x in da]))
    return out


def ort_cast(a, t):
    if t == "tensor(float16)":
        return a.astype(np.float16)
    if t == "tensor(float)":
        return a.astype(np.float32)
    if t == "tensor(int32)":
        return a.astype(np.int32)
    if t == "tensor(int64)":
        return a.astype(np.int64)
    return a


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*", help="fixture folders, or folders holding them")
    ap.add_argument("--list", action="store_true", help="list the fixtures and exit")
    ap.add_argument("--tools", help="directory of gptq-translate, gptq-run, gptq-quantize")
    ap.add_argument("--tmp", help="scratch directory")
    ap.add_argument("--stages", default=",".join(STAGES),
                    help="comma-separated subset of: " + ", ".join(STAGES))
    ap.add_argument("--hf-python", default=os.environ.get("GPTQ_HF_PYTHON"),
                    help="python with torch, transformers, optimum and gptqmodel for the hfload "
                         "stage (default $GPTQ_HF_PYTHON; without it the stage is skipped)")
    args = ap.parse_args()
    paths = args.paths or [os.path.dirname(os.path.abspath(__file__))]
    fixtures = find_fixtures(paths)
    if args.list:
        for d in fixtures:
            fx = json.load(open(os.path.join(d, "fixture.json")))
            print("%s %s %s %s" % (fixture_name(d), fx.get("exporter"), fx.get("dtype"),
                                   fx.get("opset")))
        print("%d fixtures" % len(fixtures))
        return 0
    if not args.tools or not args.tmp:
        ap.error("--tools and --tmp are required unless --list")
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    for s in stages:
        if s not in STAGES:
            ap.error("unknown stage '%s'" % s)
    if not fixtures:
        print("no fixtures under %s" % ", ".join(paths))
        return 1
    failed = 0
    for d in fixtures:
        f = None
        for s in stages:
            try:
                if f is None:
                    f = Fixture(d, args.tools, args.tmp)
                    f.hf_python = args.hf_python
                    os.makedirs(f.tmp, exist_ok=True)
                msg = getattr(f, "stage_" + s)()
                print("%s: %s: ok %s" % (fixture_name(d), s, msg), flush=True)
            except Skip as e:
                print("%s: %s: skipped %s" % (fixture_name(d), s, e), flush=True)
            except Failure as e:
                failed += 1
                print("%s: %s: FAIL %s" % (fixture_name(d), s, e), flush=True)
            except Exception as e:  # noqa: BLE001 - a broken fixture is a failure too
                failed += 1
                print("%s: %s: FAIL %s: %s" % (fixture_name(d), s, type(e).__name__,
                                               str(e).splitlines()[0][:300] if str(e) else ""),
                      flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
