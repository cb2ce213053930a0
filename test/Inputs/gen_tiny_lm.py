#!/usr/bin/env python3
"""Prints a tiny nn-dialect language model for quantization tests (no numpy).

  gen_tiny_lm.py [--vocab 16] [--dim 64] [--hidden 96] [--seed 3] [--static B,S]
                 [--gemm] [--f16]

embedding gather -> w1 (matmul) -> relu -> w2 (matmul) -> residual add ->
output (matmul, the "lm_head") -> logits. Weights are deterministic
pseudo-random dense_resource blobs; the first hidden unit of w1's input is
made dead (a zero embedding column) to exercise dead-input handling."""
import struct
import sys


def rng(seed):
    state = seed
    while True:
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        yield ((state >> 11) / float(1 << 53)) * 2.0 - 1.0


def blob(values, fmt):
    data = struct.pack("<I", {"f": 4, "e": 2}[fmt]) + b"".join(
        struct.pack("<" + fmt, v) for v in values)
    return "0x" + data.hex().upper()


def arg(name, default):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default


def main():
    vocab, dim, hidden = int(arg("--vocab", 16)), int(arg("--dim", 64)), int(arg("--hidden", 96))
    r = rng(int(arg("--seed", 3)))
    f16 = "--f16" in sys.argv
    ft = "f16" if f16 else "f32"
    fmt = "e" if f16 else "f"
    emb = [next(r) for _ in range(vocab * dim)]
    for v in range(vocab):
        emb[v * dim] = 0.0  # dead input 0 for w1
    w1 = [next(r) * 0.2 for _ in range(dim * hidden)]
    w2 = [next(r) * 0.2 for _ in range(hidden * dim)]
    wo = [next(r) * 0.2 for _ in range(dim * vocab)]
    static = arg("--static", None)
    b, s = ("?", "?") if static is None else static.split(",")
    ids_t = "tensor<%sx%sxi64>" % (b, s)
    act = lambda n: "tensor<%sx%sx%dx%s>" % (b, s, n, ft)
    print('func.func @main(%%ids: %s {nn.name = "input_ids"}) -> (%s {nn.name = "logits"}) {' % (ids_t, act(vocab)))
    print('  %%emb = nn.constant dense_resource<emb> : tensor<%dx%dx%s> loc("embedding.weight")' % (vocab, dim, ft))
    print('  %%x = nn.gather %%emb, %%ids : (tensor<%dx%dx%s>, %s) -> %s' % (vocab, dim, ft, ids_t, act(dim)))
    print('  %%w1 = nn.constant dense_resource<w1> : tensor<%dx%dx%s> loc("onnx::MatMul_1")' % (dim, hidden, ft))
    print('  %%h = nn.matmul %%x, %%w1 : (%s, tensor<%dx%dx%s>) -> %s loc("/layers.0/w1/MatMul")' % (act(dim), dim, hidden, ft, act(hidden)))
    print('  %%r = nn.relu %%h : %s' % act(hidden))
    if "--gemm" in sys.argv:
        # w2 as a Gemm on 2-D activations with trans_b and a bias.
        print('  %%w2 = nn.constant dense_resource<w2> : tensor<%dx%dx%s> loc("layers.0.w2.weight")' % (dim, hidden, ft))
        print('  %%bias = nn.constant dense<0.5> : tensor<%dx%s>' % (dim, ft))
        print('  %%shape2 = nn.constant dense<[-1, %d]> : tensor<2xi64>' % hidden)
        print('  %%r2 = nn.reshape %%r, %%shape2 : (%s, tensor<2xi64>) -> tensor<?x%dx%s>' % (act(hidden), hidden, ft))
        print('  %%y2 = nn.gemm %%r2, %%w2, %%bias {trans_b = true} : (tensor<?x%dx%s>, tensor<%dx%dx%s>, tensor<%dx%s>) -> tensor<?x%dx%s> loc("/layers.0/w2/Gemm")' % (hidden, ft, dim, hidden, ft, dim, ft, dim, ft))
        print('  %%s3 = nn.shape %%x : %s -> tensor<3xi64>' % act(dim))
        print('  %%y = nn.reshape %%y2, %%s3 : (tensor<?x%dx%s>, tensor<3xi64>) -> %s' % (dim, ft, act(dim)))
        w2t = [w2[k * dim + n] for n in range(dim) for k in range(hidden)]
        w2 = w2t
    else:
        print('  %%w2 = nn.constant dense_resource<w2> : tensor<%dx%dx%s> loc("onnx::MatMul_2")' % (hidden, dim, ft))
        print('  %%y = nn.matmul %%r, %%w2 : (%s, tensor<%dx%dx%s>) -> %s loc("/layers.0/w2/MatMul")' % (act(hidden), hidden, dim, ft, act(dim)))
    print('  %%z = nn.add %%x, %%y : (%s, %s) -> %s' % (act(dim), act(dim), act(dim)))
    print('  %%wo = nn.constant dense_resource<wo> : tensor<%dx%dx%s> loc("onnx::MatMul_3")' % (dim, vocab, ft))
    print('  %%logits = nn.matmul %%z, %%wo : (%s, tensor<%dx%dx%s>) -> %s loc("/output/MatMul")' % (act(dim), dim, vocab, ft, act(vocab)))
    print('  return %%logits : %s' % act(vocab))
    print('}')
    print('{-#\n  dialect_resources: {\n    builtin: {')
    print('      emb: "%s",' % blob(emb, fmt))
    print('      w1: "%s",' % blob(w1, fmt))
    print('      w2: "%s",' % blob(w2, fmt))
    print('      wo: "%s"' % blob(wo, fmt))
    print('    }\n  }\n#-}')


if __name__ == "__main__":
    main()
