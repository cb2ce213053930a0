#!/usr/bin/env python3
"""Tiny random Hugging Face decoders for the --hf-config checkpoint tests.

Run by hand (needs torch and transformers; never run by the tests or CI):

    gen_hf_models.py OUT_DIR [--arch opt,gpt2,...] [--opset 17]

writes, per architecture, OUT_DIR/<arch>/hf/ (save_pretrained: config.json,
generation_config.json, model.safetensors, and a small word-level tokenizer:
tokenizer.json, tokenizer_config.json, special_tokens_map.json),
OUT_DIR/<arch>/model.onnx (torch.onnx TorchScript export, opset 17,
input_ids [batch, 12] -> logits, no cache: transformers' pre-torch-2.6 mask
code, which traces, fixes the sequence length) and OUT_DIR/<arch>/ids.npy
(int64 [1, 12] token ids). Weights are seeded random; every norm weight and
bias is perturbed so that a dropped or misnamed one changes the logits.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import transformers

COMMON = dict(vocab_size=64, max_position_embeddings=64, tie_word_embeddings=False)


def configs():
    t = transformers
    return {
        # grouped-query attention: 4 query heads, 2 key/value heads
        "llama": lambda: t.LlamaConfig(
            hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, **COMMON),
        # q/k/v biases, tied embeddings
        "qwen2": lambda: t.Qwen2Config(
            hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2,
            vocab_size=64, max_position_embeddings=64, tie_word_embeddings=True),
        # Conv1D layers ([in, out] weights), fused c_attn, tied lm_head
        "gpt2": lambda: t.GPT2Config(
            n_embd=32, n_layer=2, n_head=4, n_inner=64, vocab_size=64,
            n_positions=64, activation_function="gelu_new"),
        # linear biases, learned positions with an offset, final layer norm
        "opt": lambda: t.OPTConfig(
            hidden_size=32, ffn_dim=64, num_hidden_layers=2,
            num_attention_heads=4, vocab_size=64, max_position_embeddings=64,
            word_embed_proj_dim=32, do_layer_norm_before=True,
            tie_word_embeddings=False),
        # fused qkv_proj and gate_up_proj
        "phi3": lambda: t.Phi3Config(
            hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, pad_token_id=0,
            **COMMON),
    }


def tokenizer(vocab_size):
    from tokenizers import Tokenizer, models, pre_tokenizers
    words = ["<unk>", "<s>", "</s>"] + ["w%d" % i for i in range(vocab_size - 3)]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>",
        pad_token="<unk>")


def trace_friendly_masks():
    """transformers >= 4.53 builds attention masks with torch.vmap on torch >=
    2.6, which the TorchScript tracer of recent torch cannot trace
    (IndexError: unordered_map::at); its pre-2.6 path builds the same masks
    with broadcasting."""
    from transformers import masking_utils as mu
    if not hasattr(mu, "sdpa_mask_older_torch"):
        return
    mu._is_torch_greater_or_equal_than_2_6 = False
    mu.sdpa_mask = mu.sdpa_mask_older_torch
    mu.ALL_MASK_ATTENTION_FUNCTIONS._global_mapping["sdpa"] = mu.sdpa_mask_older_torch


def perturb(model, gen):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name or "ln" in name or name.endswith(".bias"):
                p.add_(0.2 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=gen))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--arch", default=",".join(configs()))
    ap.add_argument("--opset", type=int, default=17)
    args = ap.parse_args()
    trace_friendly_masks()
    for arch in args.arch.split(","):
        cfg = configs()[arch]()
        cfg.use_cache = False
        # A pad token inside the tiny vocabulary (GPTQModel's tokenizer fixer
        # otherwise picks the architecture's usual pad id, out of range).
        cfg.pad_token_id = 0
        torch.manual_seed(0)
        # eager attention: SDPA's export adds IsNaN
        model = transformers.AutoModelForCausalLM.from_config(cfg, attn_implementation="eager")
        model.eval()
        perturb(model, torch.Generator().manual_seed(1234))
        if getattr(cfg, "tie_word_embeddings", False):
            model.tie_weights()
        d = os.path.join(args.out, arch)
        hf = os.path.join(d, "hf")
        os.makedirs(hf, exist_ok=True)
        model.save_pretrained(hf)
        tokenizer(cfg.vocab_size).save_pretrained(hf)
        forward = model.forward  # export logits only, parameter names unchanged
        model.forward = lambda input_ids: forward(input_ids=input_ids).logits
        ids = torch.from_numpy(np.random.RandomState(7).randint(0, cfg.vocab_size, (2, 12)).astype(np.int64))
        np.save(os.path.join(d, "ids.npy"), ids[:1].numpy())
        with torch.no_grad():
            torch.onnx.export(
                model, (ids,), os.path.join(d, "model.onnx"), dynamo=False,
                opset_version=args.opset, input_names=["input_ids"],
                output_names=["logits"],
                dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                              "logits": {0: "batch", 1: "sequence"}})
        with open(os.path.join(d, "versions.json"), "w") as f:
            json.dump({"torch": torch.__version__, "transformers": transformers.__version__,
                       "exporter": "torch.onnx TorchScript", "opset": args.opset}, f, indent=1)
        print(arch, "->", d, file=sys.stderr)


if __name__ == "__main__":
    main()
