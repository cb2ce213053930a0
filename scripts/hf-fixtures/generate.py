#!/usr/bin/env python3
"""Generate the tiny Hugging Face decoder fixtures under test/Models/hf/.

Run by hand, never by CI (it needs torch, transformers, optimum and onnxruntime
from PyPI; see README.md beside this file). Each run makes the fixtures of the
environment it runs in:

    python generate.py --tokenizers          # main env: train the tokenizers, write <arch>/hf/
    python generate.py                       # every fixture this environment can make
    python generate.py --only llama/dynamo-o20 --only gpt2/   # a subset (prefix match)
    python generate.py --list                # the recipes this environment would make

Everything is deterministic: the weights of an architecture are drawn from a numpy
generator seeded with the parameter's name, so every exporter, dtype and
transformers version sees the same model; the inputs are the tokenized opening
of two TinyStories stories.
"""

import argparse
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(REPO, "test", "Models", "hf")
DEFAULT_TEXT = "/work/shared/data/tinystories-valid-head.txt"
SIZE_LIMIT = 300 * 1024

# --------------------------------------------------------------------------
# Architectures: tiny configs (2 layers, hidden 32). vocab_size and the special
# token ids come from the tokenizer trained for each (see train_tokenizer).
# --------------------------------------------------------------------------
COMMON = dict(num_hidden_layers=2, max_position_embeddings=64)
ARCHS = {
    # Llama with grouped-query attention (2 query heads share 1 KV head; head_dim 16, the
    # smallest onnxruntime's GroupQueryAttention CPU kernel accepts, so every arch has it).
    "llama": dict(config="LlamaConfig", tok="spm", kw=dict(
        hidden_size=32, intermediate_size=64, num_attention_heads=2, num_key_value_heads=1,
        rms_norm_eps=1e-5, tie_word_embeddings=False, **COMMON)),
    "mistral": dict(config="MistralConfig", tok="spm", kw=dict(
        hidden_size=32, intermediate_size=64, num_attention_heads=2, num_key_value_heads=1,
        sliding_window=4096, tie_word_embeddings=False, **COMMON)),
    # Qwen2: q/k/v projections with biases.
    "qwen2": dict(config="Qwen2Config", tok="bytelevel", kw=dict(
        hidden_size=32, intermediate_size=64, num_attention_heads=2, num_key_value_heads=1,
        tie_word_embeddings=False, use_sliding_window=False, **COMMON)),
    # Gemma: multi-query attention (1 KV head), head_dim given, embeddings scaled
    # by sqrt(hidden), RMSNorm with (1 + weight), GeLU-tanh MLP, tied head.
    "gemma": dict(config="GemmaConfig", tok="spm-gemma", kw=dict(
        hidden_size=32, intermediate_size=64, num_attention_heads=2, num_key_value_heads=1,
        head_dim=16, hidden_activation="gelu_pytorch_tanh",
        **COMMON)),
    # Phi (phi-2): LayerNorm with bias, parallel attention + MLP, partial rotary
    # (half of each head), biases everywhere, dense lm_head with bias.
    "phi": dict(config="PhiConfig", tok="bytelevel-phi", kw=dict(
        hidden_size=32, intermediate_size=64, num_attention_heads=2, partial_rotary_factor=0.5,
        resid_pdrop=0.0, embd_pdrop=0.0, attention_dropout=0.0, tie_word_embeddings=False,
        **COMMON)),
    # Phi-3: fused qkv_proj and gate_up_proj, grouped-query attention here.
    "phi3": dict(config="Phi3Config", tok="spm-phi3", kw=dict(
        hidden_size=32, intermediate_size=64, num_attention_heads=2, num_key_value_heads=1,
        original_max_position_embeddings=64, sliding_window=None, tie_word_embeddings=False,
        resid_pdrop=0.0, embd_pdrop=0.0, attention_dropout=0.0, **COMMON)),
    "gpt2": dict(config="GPT2Config", tok="bytelevel-gpt2", kw=dict(
        n_embd=32, n_layer=2, n_head=2, n_inner=64, n_positions=64, resid_pdrop=0.0,
        embd_pdrop=0.0, attn_pdrop=0.0)),
    "opt": dict(config="OPTConfig", tok="bytelevel-opt", kw=dict(
        hidden_size=32, ffn_dim=64, num_attention_heads=2, word_embed_proj_dim=32,
        do_layer_norm_before=True, dropout=0.0, attention_dropout=0.0, **COMMON)),
}
ARCH_ORDER = list(ARCHS)
# Number of attention heads / hidden size (for onnxruntime's optimizer).
HEADS, HIDDEN = 2, 32

# Inputs: batch 2. "full": 8 tokens, row 1 left-padded by 3. "past": a prefix of
# 5 tokens (row 1 left-padded by 2) run first, then 3 new tokens.
SEQ, PAD = 8, 3
PREFIX, NEW, PREFIX_PAD = 5, 3, 2


def log(*a):
    print(*a, flush=True)


# --------------------------------------------------------------------------
# Environments: which recipes each makes. Detected from the installed versions.
# --------------------------------------------------------------------------
def versions():
    """Installed versions of the packages that matter (distribution metadata)."""
    from importlib.metadata import PackageNotFoundError, version as dist_version

    v = {}
    for dist in ("torch", "transformers", "optimum", "optimum-onnx", "onnx", "onnxruntime",
                 "onnxscript", "onnxruntime-genai", "tokenizers", "numpy"):
        try:
            v[dist] = dist_version(dist)
        except PackageNotFoundError:
            pass
    return v


def env_name(v):
    tf = v.get("transformers", "")
    if "onnxruntime-genai" in v:
        return "genai"
    if tf.startswith("4.40"):
        torch_v = tuple(int(x) for x in v.get("torch", "0.0").split("+")[0].split(".")[:2])
        return "tf440" if torch_v < (2, 5) else "tf440t"
    if tf.startswith("5."):
        return "tf5"
    return "main"


def recipes(env, v):
    """(arch, fixture name, exporter, options) for the environment."""
    r = []
    if env == "main":
        for a in ARCH_ORDER:
            r.append((a, "torchscript-o17", "torchscript", dict(opset=17)))
            r.append((a, "dynamo-o20", "dynamo", dict(opset=20)))
            r.append((a, "optimum", "optimum", dict(task="text-generation")))
            r.append((a, "optimum-past", "optimum", dict(task="text-generation-with-past")))
        # Older opset, no attention mask: the input_ids-only export.
        for a in ("llama", "gpt2", "phi3"):
            r.append((a, "torchscript-o14", "torchscript", dict(opset=14)))
        # input_ids only (no attention_mask): fails with transformers 4.57 (aten::diff of
        # the packed-sequence detection); kept to record it.
        r.append(("llama", "torchscript-o17-ids", "torchscript", dict(opset=17, inputs=["input_ids"])))
        for a in ("llama", "qwen2"):
            r.append((a, "dynamo-o18", "dynamo", dict(opset=18, inputs=["input_ids"])))
        for a in ("llama", "gemma", "phi3", "gpt2"):
            r.append((a, "dynamo-o23", "dynamo", dict(opset=23)))
        # Half precision.
        for a in ("llama", "qwen2"):
            r.append((a, "torchscript-o17-fp16", "torchscript", dict(opset=17, dtype="fp16")))
            r.append((a, "optimum-past-fp16", "optimum",
                      dict(task="text-generation-with-past", dtype="fp16")))
            r.append((a, "torchscript-o17-bf16", "torchscript", dict(opset=17, dtype="bf16")))
        r.append(("qwen2", "optimum-bf16", "optimum", dict(task="text-generation", dtype="bf16")))
        for a in ("llama", "qwen2"):
            r.append((a, "dynamo-o20-bf16", "dynamo", dict(opset=20, dtype="bf16")))
            r.append((a, "dynamo-o20-fp16", "dynamo", dict(opset=20, dtype="fp16")))
        # onnxruntime's transformer optimizer on some exports.
        r.append(("gpt2", "ortopt-optimum-past", "ortopt",
                  dict(source="optimum-past", model_type="gpt2")))
        r.append(("gpt2", "ortopt-torchscript-o17", "ortopt",
                  dict(source="torchscript-o17", model_type="gpt2")))
        r.append(("opt", "ortopt-optimum-past", "ortopt",
                  dict(source="optimum-past", model_type="gpt2")))
        r.append(("llama", "ortopt-optimum-past", "ortopt",
                  dict(source="optimum-past", model_type="gpt2")))
        r.append(("llama", "ortopt-dynamo-o20", "ortopt",
                  dict(source="dynamo-o20", model_type="gpt2")))
        r.append(("phi", "ortopt-optimum-past", "ortopt",
                  dict(source="optimum-past", model_type="gpt2")))
        r.append(("phi", "ortopt-dynamo-o20", "ortopt",
                  dict(source="dynamo-o20", model_type="phi")))
        r.append(("qwen2", "ortopt-optimum-past", "ortopt",
                  dict(source="optimum-past", model_type="gpt2")))
    elif env == "genai":
        # onnxruntime-genai's model builder (GroupQueryAttention, past_key_values.*).
        # phi is left out: its rotary half-width (4) is below what onnxruntime's
        # GroupQueryAttention CPU kernel takes (a multiple of 8), so no reference run.
        for a in ("llama", "mistral", "qwen2", "phi3"):
            r.append((a, "genai-fp32", "genai", dict(precision="fp32")))
        # The builder scales Gemma's embeddings by round(sqrt(hidden), 2) = 5.66, not
        # sqrt(32) = 5.657: its graph is 8e-3 off PyTorch's logits.
        r.append(("gemma", "genai-fp32", "genai", dict(
            precision="fp32", tol=2e-2,
            note="tolerance 2e-2: the builder multiplies the embeddings by round(sqrt(32), 2) "
                 "= 5.66 where transformers uses sqrt(32) = 5.657; onnxruntime on this graph "
                 "differs from PyTorch by 8e-3")))
        r.append(("llama", "genai-fp16", "genai", dict(precision="fp16", dtype="fp16")))
    elif env == "tf440t":
        # onnxruntime's own GPT-2 converter (com.microsoft Attention with past_N/present_N,
        # EmbedLayerNormalization, SkipLayerNormalization, FastGelu); it needs
        # transformers' GPT-2 of 4.4x and torch >= 2.5.
        r.append(("gpt2", "ortgpt2-past", "ortgpt2", dict(precision="fp32")))
    elif env == "tf440":
        tag = "tf440"
        for a in ("llama", "gpt2", "qwen2", "opt"):
            r.append((a, tag + "-torchscript-o17", "torchscript", dict(opset=17)))
        for a in ("llama", "phi", "gemma"):
            r.append((a, tag + "-optimum-past", "optimum", dict(task="text-generation-with-past")))
        r.append(("mistral", tag + "-optimum", "optimum", dict(task="text-generation")))
    elif env == "tf5":
        tag = "tf5"
        for a in ("llama", "qwen2", "gpt2", "phi3"):
            r.append((a, tag + "-dynamo-o20", "dynamo", dict(opset=20)))
        for a in ("llama", "opt"):
            r.append((a, tag + "-torchscript-o17", "torchscript", dict(opset=17)))
        for a in ("llama", "gemma"):
            r.append((a, tag + "-optimum-past", "optimum", dict(task="text-generation-with-past")))
    # Stored with external data (model.onnx.data).
    ext = {("llama", "dynamo-o20"), ("mistral", "optimum-past"), ("qwen2", "genai-fp32")}
    out = []
    for a, name, exp, o in r:
        o = dict(o)
        o.setdefault("dtype", "fp32")
        o["external_data"] = (a, name) in ext
        out.append((a, name, exp, o))
    return out


# --------------------------------------------------------------------------
# Tokenizers (main environment only): trained on TinyStories with `tokenizers`.
# --------------------------------------------------------------------------
TOKENIZER_STYLES = {
    # style: (kind, specials in id order, wrapper class, wrapper kwargs)
    "spm": ("spm", ["<unk>", "<s>", "</s>"], "LlamaTokenizerFast",
            dict(unk_token="<unk>", bos_token="<s>", eos_token="</s>", add_bos_token=True,
                 add_eos_token=False, legacy=False)),
    "spm-phi3": ("spm", ["<unk>", "<s>", "</s>"], "LlamaTokenizerFast",
                 dict(unk_token="<unk>", bos_token="<s>", eos_token="<|endoftext|>",
                      pad_token="<|endoftext|>", add_bos_token=False, add_eos_token=False,
                      legacy=False, added=["<|endoftext|>", "<|user|>", "<|assistant|>", "<|end|>"])),
    "spm-gemma": ("spm-noprefix", ["<pad>", "<eos>", "<bos>", "<unk>"], "GemmaTokenizerFast",
                  dict(pad_token="<pad>", eos_token="<eos>", bos_token="<bos>", unk_token="<unk>",
                       add_bos_token=True, add_eos_token=False)),
    "bytelevel": ("bytelevel", ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], "Qwen2TokenizerFast",
                  dict(eos_token="<|endoftext|>", pad_token="<|endoftext|>", unk_token=None,
                       bos_token=None)),
    "bytelevel-phi": ("bytelevel", ["<|endoftext|>"], "CodeGenTokenizerFast",
                      dict(bos_token="<|endoftext|>", eos_token="<|endoftext|>",
                           unk_token="<|endoftext|>")),
    "bytelevel-gpt2": ("bytelevel", ["<|endoftext|>"], "GPT2TokenizerFast",
                       dict(bos_token="<|endoftext|>", eos_token="<|endoftext|>",
                            unk_token="<|endoftext|>")),
    "bytelevel-opt": ("bytelevel", ["<s>", "<pad>", "</s>", "<unk>"], "GPT2TokenizerFast",
                      dict(bos_token="</s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>",
                           add_bos_token=True)),
}
VOCAB = 320  # tokenizer vocabulary before added tokens (bytes + specials + merges)


def stories(text_path):
    text = open(text_path, encoding="utf-8").read()
    parts = [s.strip() for s in text.split("<|endoftext|>")]
    return [p for p in parts if p]


def train_tokenizer(style, text_path):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    kind, specials, _, _ = TOKENIZER_STYLES[style]
    docs = stories(text_path)
    if kind == "bytelevel":
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
        trainer = trainers.BpeTrainer(vocab_size=VOCAB, special_tokens=specials,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                      show_progress=False)
        tok.train_from_iterator(docs, trainer=trainer)
        return tok
    # SentencePiece-style BPE: Metaspace ("▁" for spaces), <0xNN> byte fallback,
    # the special tokens first, then the 256 byte tokens, then the learnt pieces.
    prepend = "never" if kind == "spm-noprefix" else "first"
    piece = Tokenizer(models.BPE())
    piece.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme=prepend,
                                                   split=False)
    n_fixed = len(specials) + 256
    trainer = trainers.BpeTrainer(vocab_size=VOCAB - n_fixed, limit_alphabet=28,
                                  special_tokens=[], show_progress=False)
    piece.train_from_iterator(docs, trainer=trainer)
    learnt = json.loads(piece.to_str())["model"]
    vocab = {}
    for s in specials:
        vocab[s] = len(vocab)
    for b in range(256):
        vocab["<0x%02X>" % b] = len(vocab)
    for t, _ in sorted(learnt["vocab"].items(), key=lambda kv: kv[1]):
        if t not in vocab:
            vocab[t] = len(vocab)
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in learnt["merges"]]
    unk = "<unk>"
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token=unk, fuse_unk=True,
                               byte_fallback=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme=prepend,
                                                 split=False)
    tok.decoder = decoders.Sequence([
        decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()]
        + ([decoders.Strip(content=" ", left=1, right=0)] if prepend == "first" else []))
    tok.add_special_tokens(specials)
    return tok


def legacy_merges(path):
    """Write tokenizer.json's merges as "a b" strings, which every tokenizers
    release reads (0.20+ writes [a, b] pairs, which 0.19 cannot read)."""
    j = json.load(open(path, encoding="utf-8"))
    m = j.get("model", {})
    if isinstance(m.get("merges"), list):
        m["merges"] = [" ".join(x) if isinstance(x, list) else x for x in m["merges"]]
    with open(path, "w", encoding="utf-8") as f:
        json.dump(j, f, ensure_ascii=False, indent=2)
        f.write("\n")


def write_hf_folder(arch, text_path):
    import transformers
    from transformers import GenerationConfig

    spec = ARCHS[arch]
    style = spec["tok"]
    _, specials, wrapper, wkw = TOKENIZER_STYLES[style]
    wkw = dict(wkw)
    added = wkw.pop("added", [])
    tok = train_tokenizer(style, text_path)
    if added:
        tok.add_special_tokens(added)
    cls = getattr(transformers, wrapper)
    hf_tok = cls(tokenizer_object=tok, **wkw)
    hf_dir = os.path.join(OUT, arch, "hf")
    if os.path.isdir(hf_dir):
        shutil.rmtree(hf_dir)
    os.makedirs(hf_dir)
    hf_tok.save_pretrained(hf_dir)
    legacy_merges(os.path.join(hf_dir, "tokenizer.json"))
    ids = {}
    for key in ("bos_token_id", "eos_token_id", "pad_token_id"):
        val = getattr(hf_tok, key, None)
        if val is not None:
            ids[key] = int(val)
    if arch == "phi3":
        ids["bos_token_id"] = hf_tok.convert_tokens_to_ids("<s>")
    cfg = make_config(arch, vocab_size=len(hf_tok), token_ids=ids)
    cfg.save_pretrained(hf_dir)
    GenerationConfig.from_model_config(cfg).save_pretrained(hf_dir)
    # Keep the float32 dtype explicit (config.json is the checkpoint's description).
    log("%s/hf: vocab %d, %s" % (arch, len(hf_tok), ids))
    return hf_dir


def write_hf_weights(arch):
    """<arch>/hf/model.safetensors: the seeded float32 weights of the architecture,
    as save_pretrained writes them (tied weights once)."""
    import tempfile

    model = build_model(arch, "fp32")
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        shutil.copy(os.path.join(tmp, "model.safetensors"),
                    os.path.join(OUT, arch, "hf", "model.safetensors"))
    log("%s/hf/model.safetensors: %d parameters" % (arch, sum(p.numel() for p in model.parameters())))


def make_config(arch, vocab_size=None, token_ids=None):
    import transformers

    spec = ARCHS[arch]
    cls = getattr(transformers, spec["config"])
    kw = dict(spec["kw"])
    if vocab_size is None:
        saved = json.load(open(os.path.join(OUT, arch, "hf", "config.json")))
        vocab_size = saved["vocab_size"]
        token_ids = {k: saved[k] for k in ("bos_token_id", "eos_token_id", "pad_token_id")
                     if saved.get(k) is not None}
    kw.update(vocab_size=vocab_size, **(token_ids or {}))
    cfg = cls(**kw)
    cfg.torch_dtype = "float32"
    return cfg


# --------------------------------------------------------------------------
# The model: transformers' architecture, our seeded weights.
# --------------------------------------------------------------------------
def seeded(arch, name, shape):
    rng = np.random.default_rng(zlib.crc32(("%s:%s" % (arch, name)).encode()))
    return rng.standard_normal(shape).astype(np.float32)


def build_model(arch, dtype="fp32"):
    import torch
    import transformers

    torch.manual_seed(0)
    cfg = make_config(arch)
    model = transformers.AutoModelForCausalLM.from_config(cfg)
    owners = {}
    for mname, mod in model.named_modules():
        for pname, _ in mod.named_parameters(recurse=False):
            owners[(mname + "." if mname else "") + pname] = mod
    with torch.no_grad():
        for name, p in model.named_parameters():
            mod = owners[name]
            kind = type(mod).__name__
            w = seeded(arch, name, tuple(p.shape))
            if name.endswith("bias"):
                val = 0.1 * w                               # every bias perturbed
            elif p.dim() == 1:
                val = 1.0 + 0.1 * w                         # every norm weight perturbed
            elif isinstance(mod, torch.nn.Embedding):
                pos = "pos" in name or "wpe" in name
                val = (0.1 if pos else 0.5) * w
            elif kind == "Conv1D":                          # GPT-2: weight [in, out]
                val = w / np.sqrt(p.shape[0])
            else:                                           # nn.Linear: weight [out, in]
                val = w / np.sqrt(p.shape[1])
            p.copy_(torch.from_numpy(val))
    model.eval()
    tdt = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[dtype]
    model.to(tdt)
    return model


# --------------------------------------------------------------------------
# Inputs and PyTorch references.
# --------------------------------------------------------------------------
def token_rows(arch, text_path):
    """Token ids of the openings of two stories (BOS first where the tokenizer
    adds one), from the committed tokenizer.json."""
    from tokenizers import Tokenizer

    hf_dir = os.path.join(OUT, arch, "hf")
    tok = Tokenizer.from_file(os.path.join(hf_dir, "tokenizer.json"))
    docs = stories(text_path)
    rows = [tok.encode(docs[1]).ids, tok.encode(docs[2]).ids]
    cfg = json.load(open(os.path.join(hf_dir, "config.json")))
    pad = cfg.get("pad_token_id")
    if pad is None:
        pad = cfg.get("eos_token_id")
    if isinstance(pad, list):
        pad = pad[0]
    return rows, int(pad)


def make_case(arch, kind, text_path, pad_rows=True, new=NEW):
    """Input arrays (numpy) for 'full' or 'past'. Position ids as transformers'
    generate() computes them: cumsum(mask) - 1, 1 on padding."""
    rows, pad = token_rows(arch, text_path)
    if kind == "full":
        total, npad = SEQ, (PAD if pad_rows else 0)
    else:
        total, npad = PREFIX + new, (PREFIX_PAD if pad_rows else 0)
    ids = np.full((2, total), pad, dtype=np.int64)
    mask = np.ones((2, total), dtype=np.int64)
    ids[0] = rows[0][:total]
    ids[1, npad:] = rows[1][:total - npad]
    mask[1, :npad] = 0
    pos = np.cumsum(mask, -1) - 1
    pos[mask == 0] = 1
    # token_type_ids (GPT-2): segment 1 for the last 3 tokens of row 1.
    tt = np.zeros((2, total), dtype=np.int64)
    tt[1, -3:] = 1
    return dict(kind=kind, ids=ids, mask=mask, pos=pos, tt=tt, pad_id=pad,
                prefix=PREFIX if kind == "past" else 0, new=new if kind == "past" else total)


def cache_layers(cache):
    """A transformers cache (any version) as [(key, value)] tensors."""
    if hasattr(cache, "layers"):
        return [(l.keys, l.values) for l in cache.layers]
    if hasattr(cache, "key_cache"):
        return list(zip(cache.key_cache, cache.value_cache))
    return [(k, v) for k, v in cache]


def torch_reference(model, case, names):
    """Feeds (ONNX input name -> array) and references (output name -> array),
    computed with exactly the optional inputs the ONNX graph has."""
    import torch

    def t(x):
        return torch.from_numpy(np.ascontiguousarray(x))

    def kwargs(sl):
        kw = {}
        if "attention_mask" in names:
            kw["attention_mask"] = t(case["mask"][:, :sl.stop])
        if "position_ids" in names:
            kw["position_ids"] = t(case["pos"][:, sl])
        if "token_type_ids" in names:
            kw["token_type_ids"] = t(case["tt"][:, sl])
        return kw

    feeds, refs = {}, {}
    with torch.no_grad():
        if case["kind"] == "full":
            sl = slice(0, SEQ)
            out = model(input_ids=t(case["ids"]), use_cache=False, **kwargs(sl))
            feeds["input_ids"] = case["ids"]
            for k, v in kwargs(sl).items():
                feeds[k] = v.numpy()
            refs["logits"] = out.logits
        else:
            pre = slice(0, PREFIX)
            out = model(input_ids=t(case["ids"][:, pre]), use_cache=True, **kwargs(pre))
            past = out.past_key_values
            for i, (k, v) in enumerate(cache_layers(past)):
                feeds["past_key_values.%d.key" % i] = k.detach().clone()
                feeds["past_key_values.%d.value" % i] = v.detach().clone()
                # onnxruntime's GPT-2 converter: past_N = stack(key, value).
                feeds["past_%d" % i] = torch.stack([k, v]).detach().clone()
            step = slice(PREFIX, PREFIX + case["new"])
            out = model(input_ids=t(case["ids"][:, step]), past_key_values=past, use_cache=True,
                        **kwargs(step))
            feeds["input_ids"] = case["ids"][:, step]
            for k, v in kwargs(step).items():
                feeds[k] = v.numpy()
            refs["logits"] = out.logits
            for i, (k, v) in enumerate(cache_layers(out.past_key_values)):
                refs["present.%d.key" % i] = k
                refs["present.%d.value" % i] = v
                refs["present_%d" % i] = torch.stack([k, v])
    return {k: to_numpy(v) for k, v in feeds.items()}, {k: to_numpy(v) for k, v in refs.items()}


def to_numpy(x):
    import torch

    if isinstance(x, np.ndarray):
        return x
    x = x.detach()
    if x.dtype == torch.bfloat16:
        # numpy has no bfloat16: stored as float32 holding the exact bf16 values.
        return x.float().numpy()
    return x.numpy()


# --------------------------------------------------------------------------
# Exporters. Each returns the path of the exported model.onnx in a temp dir.
# --------------------------------------------------------------------------
def traceable_mask_patch():
    """transformers >= 4.53 builds the sdpa mask with torch.vmap on torch >= 2.6,
    which the TorchScript tracer cannot trace ('IndexError: unordered_map::at').
    Register a mask built by broadcasting index tensors instead (same values)."""
    try:
        from transformers.masking_utils import AttentionMaskInterface, causal_mask_function
    except ImportError:
        return None
    import torch

    def broadcast_sdpa_mask(batch_size, cache_position, kv_length, kv_offset=0,
                            mask_function=causal_mask_function, attention_mask=None, **kwargs):
        dev = cache_position.device
        q = cache_position.reshape(1, 1, -1, 1)
        kv = (torch.arange(kv_length, device=dev) + kv_offset).reshape(1, 1, 1, -1)
        b = torch.arange(batch_size, device=dev).reshape(-1, 1, 1, 1)
        h = torch.zeros(1, dtype=torch.long, device=dev).reshape(1, -1, 1, 1)
        allowed = mask_function(b, h, q, kv)
        if attention_mask is not None:
            keep = attention_mask.bool()[:, kv_offset:kv_offset + kv_length]
            allowed = allowed & keep[:, None, None, :]
        return allowed.expand(batch_size, 1, q.shape[2], kv_length)

    AttentionMaskInterface.register("sdpa", broadcast_sdpa_mask)
    return "sdpa mask built by broadcasting (transformers' vmap mask cannot be traced by TorchScript)"


def model_input_names(model, wanted):
    import inspect

    params = inspect.signature(model.forward).parameters
    return [n for n in wanted if n == "input_ids" or n in params]


def make_wrapper(model, names):
    """A module whose forward takes exactly `names` (named parameters, so that the
    dynamo exporter's dynamic_shapes can be keyed by them) and returns the logits."""
    import torch

    src = ("def forward(self, %s):\n    return self.m(%s, use_cache=False).logits\n"
           % (", ".join(names), ", ".join("%s=%s" % (n, n) for n in names)))
    ns = {}
    exec(src, ns)  # noqa: S102 - a fixed template over known input names

    class W(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

    W.forward = ns["forward"]
    return W(model)


def export_torch(model, arch, case, opts, tmp, dynamo):
    import torch

    want = opts.get("inputs", ["input_ids", "attention_mask", "position_ids"]
                    + (["token_type_ids"] if arch == "gpt2" else []))
    names = model_input_names(model, want)
    feeds, _ = torch_reference(model, case, names)
    args = tuple(torch.from_numpy(feeds[n]) for n in names)
    path = os.path.join(tmp, "model.onnx")
    notes = []
    kw = dict(opset_version=opts["opset"], input_names=names, output_names=["logits"])
    sig = __import__("inspect").signature(torch.onnx.export).parameters
    if dynamo:
        dims = {0: torch.export.Dim("batch"), 1: torch.export.Dim("sequence")}
        kw["dynamic_shapes"] = {n: dict(dims) for n in names}
        kw["dynamo"] = True
    else:
        if "dynamo" in sig:
            kw["dynamo"] = False
        kw["dynamic_axes"] = {n: {0: "batch", 1: "sequence"} for n in names + ["logits"]}
        import transformers
        tfv = tuple(int(x) for x in transformers.__version__.split(".")[:2])
        if (4, 53) <= tfv < (5, 0):  # 5.x builds the mask without vmap by default
            note = traceable_mask_patch()
            if note:
                notes.append(note)
    torch.onnx.export(make_wrapper(model, names), args, path, **kw)
    return path, notes


def save_hf_with_weights(model, arch, tmp):
    d = os.path.join(tmp, "hf")
    model.save_pretrained(d, safe_serialization=True)
    src = os.path.join(OUT, arch, "hf")
    for f in os.listdir(src):
        if f not in ("config.json", "generation_config.json"):
            shutil.copy(os.path.join(src, f), d)
    return d


def export_optimum(model, arch, case, opts, tmp):
    from optimum.exporters.onnx import main_export

    hf = save_hf_with_weights(model, arch, tmp)
    out = os.path.join(tmp, "optimum")
    kw = dict(task=opts["task"], device="cpu", do_validation=False)
    import inspect
    params = inspect.signature(main_export).parameters
    if opts["dtype"] != "fp32":
        if "dtype" in params:
            kw["dtype"] = opts["dtype"]
        elif opts["dtype"] == "fp16" and "fp16" in params:
            kw["fp16"] = True
        else:
            raise RuntimeError("this optimum has no dtype option for %s" % opts["dtype"])
    main_export(hf, out, **kw)
    files = sorted(os.listdir(out))
    onnx_files = [f for f in files if f.endswith(".onnx")]
    if onnx_files != ["model.onnx"]:
        raise RuntimeError("optimum wrote %s" % onnx_files)
    return os.path.join(out, "model.onnx"), []


def export_ortopt(arch, opts, tmp):
    from onnxruntime.transformers.optimizer import optimize_model

    src = os.path.join(OUT, arch, opts["source"], "model.onnx")
    if not os.path.exists(src):
        raise RuntimeError("source fixture %s/%s not made" % (arch, opts["source"]))
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        opt = optimize_model(src, model_type=opts["model_type"], num_heads=HEADS,
                             hidden_size=HIDDEN, opt_level=0, use_gpu=False)
    notes = []
    # The rotary fusion writes cos_cache/sin_cache for 131072 positions (megabytes):
    # keep the first max_position_embeddings rows, which cover every position the
    # model can take (values unchanged).
    import onnx.numpy_helper as nh
    max_pos = 64
    for t in opt.model.graph.initializer:
        if t.name in ("cos_cache", "sin_cache") and t.dims[0] > max_pos:
            a = nh.to_array(t)[:max_pos]
            notes.append("%s truncated from %d to %d rows (max_position_embeddings)"
                         % (t.name, t.dims[0], max_pos))
            t.CopyFrom(nh.from_array(a, t.name))
    path = os.path.join(tmp, "model.onnx")
    opt.save_model_to_file(path)
    fused = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
    return path, ["onnxruntime.transformers.optimizer model_type=%s on %s/%s; fused: %s"
                  % (opts["model_type"], arch, opts["source"], fused)] + notes


def export_ortgpt2(model, arch, opts, tmp):
    hf = save_hf_with_weights(model, arch, tmp)
    out = os.path.join(tmp, "ortgpt2")
    cmd = [sys.executable, "-m", "onnxruntime.transformers.models.gpt2.convert_to_onnx", "-m", hf,
           "--output", os.path.join(out, "model.onnx"), "-o", "-p", opts["precision"],
           "-t", "2", "-r", "1", "--cache_dir", os.path.join(tmp, "cache")]
    # cwd: the converter writes gpt2_parity_results.csv into the working directory.
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp)
    if p.returncode != 0 or not os.path.exists(os.path.join(out, "model.onnx")):
        raise RuntimeError("converter failed: " + p.stdout[-3000:])
    return os.path.join(out, "model.onnx"), [
        "python -m onnxruntime.transformers.models.gpt2.convert_to_onnx -o -p %s "
        "(past_N/present_N stack key and value: [2, batch, heads, length, head_dim])"
        % opts["precision"]]


def export_genai(model, arch, opts, tmp):
    hf = save_hf_with_weights(model, arch, tmp)
    out = os.path.join(tmp, "genai")
    cache = os.path.join(tmp, "cache")
    cmd = [sys.executable, "-m", "onnxruntime_genai.models.builder", "-i", hf, "-o", out,
           "-p", opts["precision"], "-e", "cpu", "-c", cache]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp)
    if p.returncode != 0:
        raise RuntimeError("builder failed: " + p.stdout[-3000:])
    return os.path.join(out, "model.onnx"), ["python -m onnxruntime_genai.models.builder -p %s -e cpu"
                                             % opts["precision"]]


# --------------------------------------------------------------------------
# onnxruntime check of a fixture against the references.
# --------------------------------------------------------------------------
ONNX_NP = {1: np.float32, 10: np.float16, 16: "bf16", 7: np.int64, 6: np.int32, 9: np.bool_,
           11: np.float64}


def valid_mask(mask, shape, axes):
    """Boolean array of `shape`: False at padded positions. axes = {batch_axis,
    seq_axis}; the attention mask's last shape[seq_axis] columns are right-aligned
    with the output's seq_axis."""
    b, t = axes["batch_axis"], axes["seq_axis"]
    n = shape[t]
    m = mask[:, -n:].astype(bool)
    view = [1] * len(shape)
    view[b], view[t] = m.shape[0], n
    return np.broadcast_to(m.reshape(view), shape)


def mask_axes(name):
    """Batch and sequence axes of an output: logits [B, T, V]; present.N.key/value
    [B, H, T, D]; present_N (onnxruntime's GPT-2 converter) [2, B, H, T, D]."""
    if name == "logits":
        return dict(batch_axis=0, seq_axis=1)
    if name.startswith("present_"):
        return dict(batch_axis=1, seq_axis=3)
    return dict(batch_axis=0, seq_axis=2)


def compare(out, ref, mask=None, name="logits"):
    out = np.asarray(out, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    d = np.abs(out - ref)
    d_all = float(np.nanmax(d)) if np.isfinite(d).any() else float("inf")
    if np.isnan(d).any():
        d_all = float("nan")
    if mask is not None:
        v = valid_mask(mask, d.shape, mask_axes(name))
        dv = d[v]
        return d_all, float(dv.max()) if dv.size else 0.0
    return d_all, d_all


def run_ort(path, feeds):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    f = {}
    for i in sess.get_inputs():
        a = feeds[i.name]
        if i.type == "tensor(float16)":
            a = a.astype(np.float16)
        elif i.type == "tensor(int32)":
            a = a.astype(np.int32)
        elif i.type == "tensor(bfloat16)":
            raise RuntimeError("bfloat16 inputs cannot be fed from numpy")
        f[i.name] = a
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, f)))


# --------------------------------------------------------------------------
# Writing a fixture.
# --------------------------------------------------------------------------
def io_info(m):
    import onnx

    def one(v):
        tt = v.type.tensor_type
        dims = [d.dim_param if d.dim_param else (d.dim_value if d.HasField("dim_value") else "?")
                for d in tt.shape.dim]
        return dict(name=v.name, dtype=onnx.TensorProto.DataType.Name(tt.elem_type).lower(),
                    shape=dims)

    inits = {i.name for i in m.graph.initializer}
    return ([one(v) for v in m.graph.input if v.name not in inits],
            [one(v) for v in m.graph.output])


def all_graphs(g):
    """A graph and its subgraphs (If/Loop/Scan bodies)."""
    import onnx

    yield g
    for node in g.node:
        for a in node.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                yield from all_graphs(a.g)
            elif a.type == onnx.AttributeProto.GRAPHS:
                for sub in a.graphs:
                    yield from all_graphs(sub)


def cast_feed(a, dtype_name):
    if dtype_name == "float16":
        return a.astype(np.float16)
    if dtype_name == "float":
        return a.astype(np.float32)
    if dtype_name == "int32":
        return a.astype(np.int32)
    if dtype_name == "int64":
        return a.astype(np.int64)
    if dtype_name == "bfloat16":
        return a.astype(np.float32)  # values exact in bf16; see fixture.json "bf16_as_float32"
    return a


def write_fixture(arch, name, exporter, opts, model_path, model, case, notes, v, env):
    import onnx

    m = onnx.load(model_path, load_external_data=True)
    # The dynamo exporter annotates every node with metadata_props: Python stack
    # traces, FX node text and class hierarchies (debug information, several
    # times the size of these models' weights: dropped) and the module path
    # (`pkg.torch.onnx.name_scopes`: kept, --hf-config names parameters by it).
    # The graph itself is unchanged.
    keep = ("pkg.torch.onnx.name_scopes",)
    stripped = 0
    for g in all_graphs(m.graph):
        for node in g.node:
            kept = [p for p in node.metadata_props if p.key in keep]
            if len(kept) != len(node.metadata_props):
                stripped += 1
                del node.metadata_props[:]
                node.metadata_props.extend(kept)
    if stripped:
        notes = list(notes) + ["node metadata_props other than the module path (exporter debug "
                               "info) removed from %d nodes" % stripped]
    ins, outs = io_info(m)
    in_names = [i["name"] for i in ins]
    feeds, refs = torch_reference(model, case, set(in_names))
    missing = [n for n in in_names if n not in feeds]
    if missing:
        raise RuntimeError("graph inputs without a feed: %s" % missing)
    extra_out = [o["name"] for o in outs if o["name"] not in refs]
    if extra_out:
        raise RuntimeError("graph outputs without a reference: %s" % extra_out)
    dst = os.path.join(OUT, arch, name)
    if os.path.isdir(dst):
        shutil.rmtree(dst)
    os.makedirs(dst)
    onnx_path = os.path.join(dst, "model.onnx")
    if opts["external_data"]:
        onnx.save_model(m, onnx_path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location="model.onnx.data", size_threshold=1024)
    else:
        for t in m.graph.initializer:
            if t.data_location == onnx.TensorProto.EXTERNAL:
                raise RuntimeError("tensor still external after load")
        onnx.save_model(m, onnx_path)
    dtypes = {i["name"]: i["dtype"] for i in ins}
    for n in in_names:
        feeds[n] = cast_feed(feeds[n], dtypes[n])
        np.save(os.path.join(dst, "in.%s.npy" % n), feeds[n])
    out_dtypes = {o["name"]: o["dtype"] for o in outs}
    for o in outs:
        r = refs[o["name"]]
        if out_dtypes[o["name"]] == "float16":
            r = r.astype(np.float16)
        np.save(os.path.join(dst, "ref.%s.npy" % o["name"]), r)
    for i in ins:
        i["value_shape"] = list(feeds[i["name"]].shape)
    for o in outs:
        o["value_shape"] = list(refs[o["name"]].shape)
    half = opts["dtype"] in ("fp16", "bf16")
    tol = opts.get("tol", 5e-2 if half else 1e-4)
    if opts.get("note"):
        notes = list(notes) + [opts["note"]]
    padded = "attention_mask" in feeds and (feeds["attention_mask"] == 0).any()
    fx = dict(
        arch=arch, name=name, exporter=exporter, dtype=opts["dtype"], environment=env,
        opset=max([o.version for o in m.opset_import if o.domain in ("", "ai.onnx")] or [0]),
        opset_imports={(o.domain or "ai.onnx"): o.version for o in m.opset_import},
        versions=v, model_type=model.config.model_type,
        attn_implementation=getattr(model.config, "_attn_implementation", None),
        external_data=bool(opts["external_data"]),
        vocab_size=int(model.config.vocab_size),
        inputs=ins, outputs=outs,
        tolerance=dict(atol=tol, rtol=tol),
        case=("past: a %d-token prefix was run first (its cache is past_key_values.*), then %d new "
              "token(s)" % (PREFIX, case["new"])) if case["kind"] == "past" else ("%d tokens" % SEQ),
        options={k: v2 for k, v2 in opts.items() if k not in ("external_data", "note", "tol")},
        notes=list(notes),
    )
    if padded:
        fx["padding"] = ("row 1 is left-padded (in.attention_mask is 0 there). Compare only "
                         "valid positions: for each output listed in mask_outputs, the element "
                         "at batch index b (batch_axis) and position t (seq_axis) is valid where "
                         "attention_mask[b, -n:][t] == 1, n = the output's size along seq_axis "
                         "(right-aligned: logits cover the new tokens, present.* past + new).")
        fx["mask_outputs"] = {o["name"]: mask_axes(o["name"]) for o in outs}
    if opts["dtype"] == "bf16":
        fx["notes"].append("numpy has no bfloat16: bf16 inputs/references are stored as float32 "
                           "arrays holding exact bf16 values")
    # onnxruntime against the PyTorch references.
    check = {}
    try:
        got = run_ort(onnx_path, feeds)
        worst = 0.0
        for o in outs:
            n = o["name"]
            d_all, d_valid = compare(got[n], refs[n], feeds.get("attention_mask") if padded else None,
                                     n)
            check[n] = dict(max_abs_diff_valid=d_valid, max_abs_diff_all=d_all)
            worst = max(worst, d_valid if np.isfinite(d_valid) else float("inf"))
        ok_all = all(c["max_abs_diff_valid"] <= tol * (1 + np.abs(refs[n]).max())
                     for n, c in check.items())
        check["matches_reference"] = bool(ok_all)
    except Exception as e:  # noqa: BLE001
        check["error"] = ("%s: %s" % (type(e).__name__, e)).splitlines()[0][:400]
        if len(m.graph.value_info):
            # Some exporters write wrong value_info; say whether that is the cause.
            try:
                m2 = onnx.load(onnx_path, load_external_data=True)
                del m2.graph.value_info[:]
                p2 = os.path.join(tempfile.mkdtemp(prefix="hffx-vi-"), "model.onnx")
                onnx.save_model(m2, p2)
                got = run_ort(p2, feeds)
                worst = {n["name"]: compare(got[n["name"]], refs[n["name"]],
                                            feeds.get("attention_mask") if padded else None,
                                            n["name"])[1] for n in outs}
                check["without_value_info"] = dict(max_abs_diff_valid=worst)
                fx["notes"].append("onnxruntime fails on the model as written but runs it with "
                                   "graph.value_info removed (max |diff| %.3g): the exporter's "
                                   "value_info is wrong" % max(worst.values()))
                shutil.rmtree(os.path.dirname(p2), ignore_errors=True)
            except Exception as e2:  # noqa: BLE001
                check["without_value_info"] = ("%s: %s" % (type(e2).__name__, e2)).splitlines()[0][:300]
    fx["onnxruntime_check"] = check
    with open(os.path.join(dst, "fixture.json"), "w") as f:
        json.dump(fx, f, indent=1, default=str)
        f.write("\n")
    size = sum(os.path.getsize(os.path.join(dst, f)) for f in os.listdir(dst))
    fx["size"] = size
    if size > SIZE_LIMIT:
        raise RuntimeError("fixture is %d bytes (> %d)" % (size, SIZE_LIMIT))
    return fx


def make_one(arch, name, exporter, opts, text_path, v, env):
    warnings.filterwarnings("ignore")
    dtype = opts["dtype"]
    model = build_model(arch, dtype)
    kind = "past" if ("past" in opts.get("task", "") or exporter in ("genai", "ortgpt2")
                      or (exporter == "ortopt" and "past" in opts["source"])) else "full"
    # GroupQueryAttention (genai) takes a batch > 1 with past only one token at a time,
    # and derives positions from the mask's row sums (no left padding).
    genai = exporter == "genai"
    case = make_case(arch, kind, text_path, pad_rows=not genai, new=1 if genai else NEW)
    tmp = tempfile.mkdtemp(prefix="hffx-")
    try:
        if exporter == "torchscript":
            path, notes = export_torch(model, arch, case, opts, tmp, dynamo=False)
        elif exporter == "dynamo":
            path, notes = export_torch(model, arch, case, opts, tmp, dynamo=True)
        elif exporter == "optimum":
            path, notes = export_optimum(model, arch, case, opts, tmp)
        elif exporter == "ortopt":
            path, notes = export_ortopt(arch, opts, tmp)
        elif exporter == "ortgpt2":
            path, notes = export_ortgpt2(model, arch, opts, tmp)
        elif exporter == "genai":
            path, notes = export_genai(model, arch, opts, tmp)
            notes.append("no padding and one new token: onnxruntime's GroupQueryAttention derives "
                         "positions from the mask's row sums and refuses batch > 1 with past for "
                         "more than one new token")
        else:
            raise ValueError(exporter)
        return write_fixture(arch, name, exporter, opts, path, model, case, notes, v, env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--text", default=DEFAULT_TEXT, help="TinyStories text for tokenizers and inputs")
    ap.add_argument("--tokenizers", action="store_true", help="train tokenizers, write <arch>/hf/")
    ap.add_argument("--weights", action="store_true",
                    help="write <arch>/hf/model.safetensors (the float32 weights every export of "
                         "the architecture has), so that --hf-config checks names and shapes")
    ap.add_argument("--only", action="append", default=[], help="ARCH/NAME prefix (repeatable)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--keep-going", action="store_true", help="record failures and continue")
    ap.add_argument("--log", default=None, help="append results (JSON lines) here")
    args = ap.parse_args()

    v = versions()
    env = env_name(v)
    if args.tokenizers:
        for a in ARCH_ORDER:
            write_hf_folder(a, args.text)
        return 0
    if args.weights:
        for a in ARCH_ORDER:
            write_hf_weights(a)
        return 0
    todo = [r for r in recipes(env, v)
            if not args.only or any((r[0] + "/" + r[1]).startswith(p) for p in args.only)]
    if args.list:
        for a, n, e, o in todo:
            log("%s/%s  %s %s" % (a, n, e, o))
        return 0
    log("environment %s: %s" % (env, v))
    failures = 0
    for a, n, e, o in todo:
        t0 = time.time()
        rec = dict(fixture="%s/%s" % (a, n), exporter=e, env=env, versions=v, dtype=o["dtype"],
                   options={k: x for k, x in o.items() if k not in ("note",)})
        try:
            fx = make_one(a, n, e, o, args.text, v, env)
            chk = fx["onnxruntime_check"]
            rec.update(status="ok", size=fx["size"], onnxruntime=chk)
            log("%s/%s: ok %.0fs %d bytes ort %s" % (a, n, time.time() - t0, fx["size"],
                                                    json.dumps(chk)))
        except Exception as ex:  # noqa: BLE001
            failures += 1
            msg = ("%s: %s" % (type(ex).__name__, ex)).strip()
            rec.update(status="failed", error=msg[:2000], traceback=traceback.format_exc()[-4000:])
            log("%s/%s: FAILED %.0fs %s" % (a, n, time.time() - t0, msg.splitlines()[0][:300]
                                           if msg else ""))
            shutil.rmtree(os.path.join(OUT, a, n), ignore_errors=True)
            if not args.keep_going:
                traceback.print_exc()
        if args.log:
            with open(args.log, "a") as f:
                f.write(json.dumps(rec, default=str) + "\n")
        if failures and not args.keep_going:
            return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
