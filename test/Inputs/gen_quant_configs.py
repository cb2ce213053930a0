#!/usr/bin/env python3
"""Prints a module with one quantized matmul per kernel configuration of one
bit width, for compiling the emitted CUDA (no numpy).

  gen_quant_configs.py --bits 4

For bits B: group sizes -1, 32, 64, 128 x act-order off/on, each with a
dynamic M (so that gptq-lower-to-cuda outlines both the gemv and the mma
kernel): 16 kernels. Variations ride along: act-order ops have K = 200
(partial last chunk), the others K = 256; N = 96 (a partial mma column
tile); group size 32 uses f16 activations, 64 a bias, 128 a SiLU * mul
epilogue (gptq.fused_matmul_nbits). Weights are zero splats (the emitted
code does not depend on them); g_idx is a real act-order permutation."""
import sys


def arg(name, default):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default


def main():
    bits = int(arg("--bits", 4))
    n = 96
    print("module {")
    for gs in (-1, 32, 64, 128):
        for act in (False, True):
            k = 200 if act else 256
            groups = 1 if gs < 0 else (k + gs - 1) // gs
            rows = (k * bits + 31) // 32
            zcols = (n * bits + 31) // 32
            ft = "f16" if gs == 32 else "f32"
            name = "w%d_g%s_%s" % (bits, "pc" if gs < 0 else gs, "act" if act else "noact")
            xt = "tensor<?x%dx%s>" % (k, ft)
            yt = "tensor<?x%dx%s>" % (n, ft)
            args = ["%%x: %s" % xt]
            if gs == 128:
                args.append("%%h: %s" % yt)
            print("  func.func @%s(%s) -> %s {" % (name, ", ".join(args), yt))
            print("    %%qw = nn.constant dense<0> : tensor<%dx%dxi32>" % (rows, n))
            print("    %%s = nn.constant dense<1.000000e-02> : tensor<%dx%dxf16>" % (groups, n))
            print("    %%qz = nn.constant dense<0> : tensor<%dx%dxi32>" % (groups, zcols))
            operands = "%x, %qw, %s, %qz"
            types = [xt, "tensor<%dx%dxi32>" % (rows, n), "tensor<%dx%dxf16>" % (groups, n),
                     "tensor<%dx%dxi32>" % (groups, zcols)]
            if act:
                # Row r goes to group pi(r) // gs for the permutation
                # pi(r) = 7 r mod K: every group has gs rows (the last fewer).
                g = [0 if gs < 0 else ((7 * r) % k) // gs for r in range(k)]
                print("    %%g = nn.constant dense<[%s]> : tensor<%dxi32>" % (", ".join(map(str, g)), k))
                operands += " g_idx(%g)"
                types.append("tensor<%dxi32>" % k)
            if gs == 64:
                print("    %%b = nn.constant dense<5.000000e-01> : tensor<%dx%s>" % (n, ft))
                operands += " bias(%b)"
                types.append("tensor<%dx%s>" % (n, ft))
            quant = "#gptq.quant<bits = %d, group_size = %d, sym = true, desc_act = %s>" % (
                bits, gs, "true" if act else "false")
            if gs == 128:
                types.append(yt)
                print("    %%y = gptq.fused_matmul_nbits %s epilogue [\"silu\", \"mul\"] (%%h) {quant = %s} : (%s) -> %s"
                      % (operands, quant, ", ".join(types), yt))
            else:
                print("    %%y = gptq.matmul_nbits %s {quant = %s} : (%s) -> %s"
                      % (operands, quant, ", ".join(types), yt))
            print("    return %%y : %s" % yt)
            print("  }")
    print("}")


if __name__ == "__main__":
    main()
