// RUN: gptq-opt %s -nn-canonicalize -split-input-file | FileCheck %s

// Symbolic shape reasoning (dialects/NN/Analysis/SymbolicShapes.h) on the
// shape arithmetic exporters write for dynamic [batch, seq] inputs: each
// function reproduces one pattern of a Hugging Face export.

// Llama / Mistral / Gemma / OPT: q_proj, view(bsz, q_len, heads, head_dim),
// transpose, attention, transpose back, reshape(bsz, q_len, -1), o_proj.
// The -1 is (batch * seq * 4 * 8) / (batch * seq) = 32: o_proj's K is static.
// CHECK-LABEL: func @attn_output_reshape
// CHECK-SAME: -> tensor<?x?x32xf32>
// CHECK: %[[Q:.*]] = nn.reshape {{.*}} -> tensor<?x?x4x8xf32>
// CHECK: %[[O:.*]] = nn.reshape {{.*}} -> tensor<?x?x32xf32>
// CHECK: nn.matmul %[[O]], {{.*}} : (tensor<?x?x32xf32>, tensor<32x32xf32>) -> tensor<?x?x32xf32>
func.func @attn_output_reshape(%h: tensor<?x?x32xf32> {nn.dim_names = ["batch", "seq", ""]}) -> tensor<?x?x?xf32> {
  %wq = nn.constant dense<0.5> : tensor<32x32xf32>
  %wo = nn.constant dense<0.25> : tensor<32x32xf32>
  %q = nn.matmul %h, %wq : (tensor<?x?x32xf32>, tensor<32x32xf32>) -> tensor<?x?x?xf32>
  %s = nn.shape %h : tensor<?x?x32xf32> -> tensor<3xi64>
  %i0 = nn.constant dense<0> : tensor<i64>
  %i1 = nn.constant dense<1> : tensor<i64>
  %b = nn.gather %s, %i0 : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %l = nn.gather %s, %i1 : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %bu = nn.unsqueeze %b, axes = [0] : tensor<i64> -> tensor<1xi64>
  %lu = nn.unsqueeze %l, axes = [0] : tensor<i64> -> tensor<1xi64>
  %hd = nn.constant dense<[-1, 8]> : tensor<2xi64>
  %heads = nn.concat %bu, %lu, %hd {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<2xi64>) -> tensor<4xi64>
  %qh = nn.reshape %q, %heads : (tensor<?x?x?xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  %qt = nn.transpose %qh, perm = [0, 2, 1, 3] : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  %kt = nn.transpose %qh, perm = [0, 2, 3, 1] : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  %scores = nn.matmul %qt, %kt : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>
  %p = nn.softmax %scores : tensor<?x?x?x?xf32>
  %ctx = nn.matmul %p, %qt : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>
  %back = nn.transpose %ctx, perm = [0, 2, 1, 3] : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  %m1 = nn.constant dense<[-1]> : tensor<1xi64>
  %merged = nn.concat %bu, %lu, %m1 {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  %o = nn.reshape %back, %merged : (tensor<?x?x?x?xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %y = nn.matmul %o, %wo : (tensor<?x?x?xf32>, tensor<32x32xf32>) -> tensor<?x?x?xf32>
  return %y : tensor<?x?x?xf32>
}

// -----

// GPT-2's Conv1D: x.view(-1, x.size(-1)) @ W (+ b), view(size()[:-1] + (nf,)),
// after _merge_heads' reshape(*shape[:-2], -1) of the attention output.
// CHECK-LABEL: func @view_last_dim
// x.size(-1) is the constant 32:
// CHECK-DAG: %[[FLAT:.*]] = nn.constant dense<[-1, 32]>
// CHECK: nn.reshape {{.*}} -> tensor<?x?x32xf32>
// CHECK: nn.reshape %{{.*}}, %[[FLAT]] {{.*}} -> tensor<?x32xf32>
// CHECK: nn.gemm {{.*}} : (tensor<?x32xf32>, tensor<32x96xf32>, tensor<96xf32>) -> tensor<?x96xf32>
// CHECK: nn.reshape {{.*}} -> tensor<?x?x96xf32>
func.func @view_last_dim(%a: tensor<?x4x?x8xf32> {nn.dim_names = ["batch", "", "seq", ""]}) -> tensor<?x?x?xf32> {
  %w = nn.constant dense<0.5> : tensor<32x96xf32>
  %bias = nn.constant dense<0.1> : tensor<96xf32>
  %t = nn.transpose %a, perm = [0, 2, 1, 3] : tensor<?x4x?x8xf32> -> tensor<?x?x4x8xf32>
  %st = nn.shape %t {end = -2 : i64} : tensor<?x?x4x8xf32> -> tensor<2xi64>
  %m1 = nn.constant dense<[-1]> : tensor<1xi64>
  %ms = nn.concat %st, %m1 {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>) -> tensor<3xi64>
  %x = nn.reshape %t, %ms : (tensor<?x?x4x8xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %sx = nn.shape %x : tensor<?x?x?xf32> -> tensor<3xi64>
  %last = nn.constant dense<[-1]> : tensor<1xi64>
  %k = nn.gather %sx, %last : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %flat = nn.concat %m1, %k {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %x2 = nn.reshape %x, %flat : (tensor<?x?x?xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  %y2 = nn.gemm %x2, %w, %bias : (tensor<?x?xf32>, tensor<32x96xf32>, tensor<96xf32>) -> tensor<?x96xf32>
  %lead = nn.shape %x {end = -1 : i64} : tensor<?x?x?xf32> -> tensor<2xi64>
  %nf = nn.constant dense<[96]> : tensor<1xi64>
  %out = nn.concat %lead, %nf {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>) -> tensor<3xi64>
  %y = nn.reshape %y2, %out : (tensor<?x96xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  return %y : tensor<?x?x?xf32>
}

// -----

// Phi-3's chunk(2, -1) of gate_up_proj as two Slices whose ends come from
// (dim + 1) / 2 of the static last dim: both halves are 64 wide, the
// arithmetic is constant, down_proj's K is static.
// CHECK-LABEL: func @chunk_as_slices
// CHECK-NOT: nn.shape
// CHECK-NOT: nn.div
// CHECK: %[[A:.*]] = nn.slice {{.*}} -> tensor<?x?x64xf32>
// CHECK: %[[B:.*]] = nn.slice {{.*}} -> tensor<?x?x64xf32>
// CHECK: nn.matmul {{.*}} : (tensor<?x?x64xf32>, tensor<64x32xf32>) -> tensor<?x?x32xf32>
func.func @chunk_as_slices(%x: tensor<?x?x32xf32> {nn.dim_names = ["batch", "seq", ""]}) -> tensor<?x?x32xf32> {
  %wgu = nn.constant dense<0.5> : tensor<32x128xf32>
  %wd = nn.constant dense<0.5> : tensor<64x32xf32>
  %gu = nn.matmul %x, %wgu : (tensor<?x?x32xf32>, tensor<32x128xf32>) -> tensor<?x?x128xf32>
  %s = nn.shape %gu : tensor<?x?x128xf32> -> tensor<3xi64>
  %two = nn.constant dense<[2]> : tensor<1xi64>
  %one = nn.constant dense<[1]> : tensor<1xi64>
  %zero = nn.constant dense<[0]> : tensor<1xi64>
  %axis = nn.constant dense<[-1]> : tensor<1xi64>
  %d = nn.gather %s, %two : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %d1 = nn.add %d, %one : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %half = nn.div %d1, %two : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %end = nn.mul %half, %two : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %gate = nn.slice %gu, %zero, %half, %axis, %one : (tensor<?x?x128xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?x?xf32>
  %up = nn.slice %gu, %half, %end, %axis, %one : (tensor<?x?x128xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?x?xf32>
  %sg = nn.sigmoid %gate : tensor<?x?x?xf32>
  %silu = nn.mul %gate, %sg : (tensor<?x?x?xf32>, tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %h = nn.mul %up, %silu : (tensor<?x?x?xf32>, tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %y = nn.matmul %h, %wd : (tensor<?x?x?xf32>, tensor<64x32xf32>) -> tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}

// -----

// Flatten-like reshape to [prod(dims[:2]), -1] with the product computed
// by Mul, then back with [batch, seq, -1] taken from another input with
// the same named dims.
// CHECK-LABEL: func @flatten_products
// CHECK: nn.reshape {{.*}} -> tensor<?x32xf32>
// CHECK: nn.reshape {{.*}} -> tensor<?x?x32xf32>
func.func @flatten_products(%x: tensor<?x?x4x8xf32> {nn.dim_names = ["batch", "seq", "", ""]},
                            %ids: tensor<?x?xi64> {nn.dim_names = ["batch", "seq"]}) -> tensor<?x?x?xf32> {
  %s = nn.shape %x : tensor<?x?x4x8xf32> -> tensor<4xi64>
  %i0 = nn.constant dense<[0]> : tensor<1xi64>
  %i1 = nn.constant dense<[1]> : tensor<1xi64>
  %b = nn.gather %s, %i0 : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %l = nn.gather %s, %i1 : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %bl = nn.mul %b, %l : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %m1 = nn.constant dense<[-1]> : tensor<1xi64>
  %fs = nn.concat %bl, %m1 {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %flat = nn.reshape %x, %fs : (tensor<?x?x4x8xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  %sid = nn.shape %ids : tensor<?x?xi64> -> tensor<2xi64>
  %bs = nn.concat %sid, %m1 {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>) -> tensor<3xi64>
  %y = nn.reshape %flat, %bs : (tensor<?x?xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  return %y : tensor<?x?x?xf32>
}

// -----

// Provably equal shape computations fold: Equal(shape_a[1], shape_b[1]) of
// the same named dim is true, a size is never -1 (the Where(Equal(shape,
// -1), 1, shape) that guards Expand is the shape itself), and an Expand to
// the input's own shape is the input.
// CHECK-LABEL: func @equal_dims_fold
// CHECK-NOT: nn.equal
// CHECK-NOT: nn.where
// CHECK-NOT: nn.expand
// CHECK: %[[T:.*]] = nn.constant dense<true> : tensor<1xi1>
// CHECK: return %[[T]], %arg0 :
func.func @equal_dims_fold(%a: tensor<?x?x8xf32> {nn.dim_names = ["batch", "seq", ""]},
                           %m: tensor<?x?xi64> {nn.dim_names = ["batch", "seq"]}) -> (tensor<1xi1>, tensor<?x?x?xf32>) {
  %sa = nn.shape %a : tensor<?x?x8xf32> -> tensor<3xi64>
  %sm = nn.shape %m : tensor<?x?xi64> -> tensor<2xi64>
  %i1 = nn.constant dense<[1]> : tensor<1xi64>
  %la = nn.gather %sa, %i1 : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %lm = nn.gather %sm, %i1 : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  %same = nn.equal %la, %lm : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi1>
  %m1 = nn.constant dense<-1> : tensor<3xi64>
  %ones = nn.constant dense<1> : tensor<3xi64>
  %isneg = nn.equal %sa, %m1 : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi1>
  %safe = nn.where %isneg, %ones, %sa : (tensor<3xi1>, tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %e = nn.expand %a, %safe : (tensor<?x?x8xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  return %same, %e : tensor<1xi1>, tensor<?x?x?xf32>
}

// -----

// KV cache: concat(past, new) along the sequence is past + seq; the mask's
// dim_param "past_sequence_length + sequence_length" is the same sum, so
// the mask slice to the key length is the whole mask; Range(past, past +
// seq) has seq elements.
// CHECK-LABEL: func @kv_cache_sums
// CHECK-NOT: nn.equal
// CHECK-NOT: nn.slice
// CHECK: %[[KV:.*]] = nn.concat %arg0, %arg1 {{.*}} -> tensor<?x2x?x8xf32>
// CHECK: %[[R:.*]] = nn.range
// CHECK: return %[[KV]], %arg2, %[[R]], %{{.*}} :
func.func @kv_cache_sums(%past: tensor<?x2x?x8xf32> {nn.dim_names = ["batch_size", "", "past_sequence_length", ""]},
                         %k: tensor<?x2x?x8xf32> {nn.dim_names = ["batch_size", "", "sequence_length", ""]},
                         %mask: tensor<?x?xf32> {nn.dim_names = ["batch_size", "past_sequence_length + sequence_length"]})
    -> (tensor<?x?x?x?xf32>, tensor<?x?xf32>, tensor<?xi64>, tensor<1xi1>) {
  %kv = nn.concat %past, %k {axis = 2 : i64} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x?x?x?xf32>
  %skv = nn.shape %kv : tensor<?x?x?x?xf32> -> tensor<4xi64>
  %i2 = nn.constant dense<[2]> : tensor<1xi64>
  %kvlen = nn.gather %skv, %i2 : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %zero = nn.constant dense<[0]> : tensor<1xi64>
  %one = nn.constant dense<[1]> : tensor<1xi64>
  %m = nn.slice %mask, %zero, %kvlen, %one, %one : (tensor<?x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?xf32>
  %sp = nn.shape %past : tensor<?x2x?x8xf32> -> tensor<4xi64>
  %p = nn.gather %sp, %i2 : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %ps = nn.squeeze %p, axes = [0] : tensor<1xi64> -> tensor<i64>
  %ks = nn.squeeze %kvlen, axes = [0] : tensor<1xi64> -> tensor<i64>
  %step = nn.constant dense<1> : tensor<i64>
  %pos = nn.range %ps, %ks, %step : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %sm = nn.shape %mask : tensor<?x?xf32> -> tensor<2xi64>
  %mlen = nn.gather %sm, %one : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  %same = nn.equal %kvlen, %mlen : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi1>
  return %kv, %m, %pos, %same : tensor<?x?x?x?xf32>, tensor<?x?xf32>, tensor<?xi64>, tensor<1xi1>
}

// -----

// What is not provable stays dynamic: a -1 next to dims of an unrelated
// tensor, a comparison of unrelated dims, a slice end that may exceed the
// dimension.
// CHECK-LABEL: func @not_provable
// CHECK: nn.reshape {{.*}} -> tensor<?x?x?xf32>
// CHECK: nn.equal
// CHECK: nn.slice {{.*}} -> tensor<?x8xf32>
func.func @not_provable(%x: tensor<?x?x4x8xf32>, %other: tensor<?x?xi64>)
    -> (tensor<?x?x?xf32>, tensor<1xi1>, tensor<?x8xf32>) {
  %so = nn.shape %other : tensor<?x?xi64> -> tensor<2xi64>
  %m1 = nn.constant dense<[-1]> : tensor<1xi64>
  %t = nn.concat %so, %m1 {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>) -> tensor<3xi64>
  %y = nn.reshape %x, %t : (tensor<?x?x4x8xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %sx = nn.shape %x : tensor<?x?x4x8xf32> -> tensor<4xi64>
  %i1 = nn.constant dense<[1]> : tensor<1xi64>
  %a = nn.gather %sx, %i1 : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %b = nn.gather %so, %i1 : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  %eq = nn.equal %a, %b : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi1>
  %table = nn.constant dense<1.0> : tensor<64x8xf32>
  %zero = nn.constant dense<[0]> : tensor<1xi64>
  %rows = nn.slice %table, %zero, %a, %zero, %i1 : (tensor<64x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x8xf32>
  return %y, %eq, %rows : tensor<?x?x?xf32>, tensor<1xi1>, tensor<?x8xf32>
}

// -----

// Grouped-query attention's repeat_interleave with dynamic [batch, seq]
// (stories260k's export: split into single KV heads, unsqueeze, expand with
// a constant target of 1s, reshape to [0, 0, -1, 8], concat): the pieces'
// shapes are proven by symbolic reasoning, and the rewrite reuses their
// shape operands (the -1 then infers 2 * 3).
// CHECK-LABEL: func @repeat_interleave_dynamic
// CHECK-DAG: %[[ES:.*]] = nn.constant dense<[1, 1, 1, 3, 8]> : tensor<5xi64>
// CHECK-DAG: %[[RS:.*]] = nn.constant dense<[0, 0, -1, 8]> : tensor<4xi64>
// CHECK: %[[U:.*]] = nn.unsqueeze %arg0, axes = [3] : tensor<?x?x2x8xf32> -> tensor<?x?x2x1x8xf32>
// CHECK: %[[E:.*]] = nn.expand %[[U]], %[[ES]] : (tensor<?x?x2x1x8xf32>, tensor<5xi64>) -> tensor<?x?x2x3x8xf32>
// CHECK: %[[R:.*]] = nn.reshape %[[E]], %[[RS]] : (tensor<?x?x2x3x8xf32>, tensor<4xi64>) -> tensor<?x?x6x8xf32>
// CHECK-NOT: nn.split
// CHECK: return %[[R]]
func.func @repeat_interleave_dynamic(%x: tensor<?x?x2x8xf32> {nn.dim_names = ["batch", "seq", "", ""]}) -> tensor<?x?x6x8xf32> {
  %es = nn.constant dense<[1, 1, 1, 3, 8]> : tensor<5xi64>
  %rs = nn.constant dense<[0, 0, -1, 8]> : tensor<4xi64>
  %s:2 = nn.split %x, sizes = [1, 1] {axis = 2 : i64} : tensor<?x?x2x8xf32> -> tensor<?x?x1x8xf32>, tensor<?x?x1x8xf32>
  %u0 = nn.unsqueeze %s#0, axes = [3] : tensor<?x?x1x8xf32> -> tensor<?x?x1x1x8xf32>
  %e0 = nn.expand %u0, %es : (tensor<?x?x1x1x8xf32>, tensor<5xi64>) -> tensor<?x?x1x3x8xf32>
  %r0 = nn.reshape %e0, %rs : (tensor<?x?x1x3x8xf32>, tensor<4xi64>) -> tensor<?x?x3x8xf32>
  %u1 = nn.unsqueeze %s#1, axes = [3] : tensor<?x?x1x8xf32> -> tensor<?x?x1x1x8xf32>
  %e1 = nn.expand %u1, %es : (tensor<?x?x1x1x8xf32>, tensor<5xi64>) -> tensor<?x?x1x3x8xf32>
  %r1 = nn.reshape %e1, %rs : (tensor<?x?x1x3x8xf32>, tensor<4xi64>) -> tensor<?x?x3x8xf32>
  %c = nn.concat %r0, %r1 {axis = 2 : i64} : (tensor<?x?x3x8xf32>, tensor<?x?x3x8xf32>) -> tensor<?x?x6x8xf32>
  return %c : tensor<?x?x6x8xf32>
}

// -----

// The same with the expand target and reshape target computed from the
// input's shape ([batch, seq, 1, 3, 8] and [batch, seq, 3, 8]): the
// reshape target is scaled to [batch, seq, 6, 8].
// CHECK-LABEL: func @repeat_interleave_dynamic_computed
// CHECK-DAG: %[[SCALE:.*]] = nn.constant dense<[1, 1, 2, 1]> : tensor<4xi64>
// CHECK: %[[U:.*]] = nn.unsqueeze %arg0, axes = [3]
// CHECK: %[[E:.*]] = nn.expand %[[U]], %{{.*}} : (tensor<?x?x2x1x8xf32>, tensor<5xi64>) -> tensor<?x?x2x3x8xf32>
// CHECK: %[[RS:.*]] = nn.mul %{{.*}}, %[[SCALE]] : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
// CHECK: nn.reshape %[[E]], %[[RS]] : (tensor<?x?x2x3x8xf32>, tensor<4xi64>) -> tensor<?x?x6x8xf32>
// CHECK-NOT: nn.split
func.func @repeat_interleave_dynamic_computed(%x: tensor<?x?x2x8xf32> {nn.dim_names = ["batch", "seq", "", ""]}) -> tensor<?x?x6x8xf32> {
  %sh = nn.shape %x {end = 2 : i64} : tensor<?x?x2x8xf32> -> tensor<2xi64>
  %tail5 = nn.constant dense<[1, 3, 8]> : tensor<3xi64>
  %tail4 = nn.constant dense<[3, 8]> : tensor<2xi64>
  %es = nn.concat %sh, %tail5 {axis = 0 : i64} : (tensor<2xi64>, tensor<3xi64>) -> tensor<5xi64>
  %rs = nn.concat %sh, %tail4 {axis = 0 : i64} : (tensor<2xi64>, tensor<2xi64>) -> tensor<4xi64>
  %s:2 = nn.split %x, sizes = [1, 1] {axis = 2 : i64} : tensor<?x?x2x8xf32> -> tensor<?x?x1x8xf32>, tensor<?x?x1x8xf32>
  %u0 = nn.unsqueeze %s#0, axes = [3] : tensor<?x?x1x8xf32> -> tensor<?x?x1x1x8xf32>
  %e0 = nn.expand %u0, %es : (tensor<?x?x1x1x8xf32>, tensor<5xi64>) -> tensor<?x?x1x3x8xf32>
  %r0 = nn.reshape %e0, %rs : (tensor<?x?x1x3x8xf32>, tensor<4xi64>) -> tensor<?x?x3x8xf32>
  %u1 = nn.unsqueeze %s#1, axes = [3] : tensor<?x?x1x8xf32> -> tensor<?x?x1x1x8xf32>
  %e1 = nn.expand %u1, %es : (tensor<?x?x1x1x8xf32>, tensor<5xi64>) -> tensor<?x?x1x3x8xf32>
  %r1 = nn.reshape %e1, %rs : (tensor<?x?x1x3x8xf32>, tensor<4xi64>) -> tensor<?x?x3x8xf32>
  %c = nn.concat %r0, %r1 {axis = 2 : i64} : (tensor<?x?x3x8xf32>, tensor<?x?x3x8xf32>) -> tensor<?x?x6x8xf32>
  return %c : tensor<?x?x6x8xf32>
}

// -----

// Not a repeat_interleave when the expand may change another dim: its
// target's seq entry comes from an unrelated tensor.
// CHECK-LABEL: func @repeat_interleave_dynamic_unproven
// CHECK: nn.split
// CHECK: nn.concat
func.func @repeat_interleave_dynamic_unproven(%x: tensor<?x?x2x8xf32>, %o: tensor<?x?xi64>) -> tensor<?x?x6x8xf32> {
  %sh = nn.shape %o : tensor<?x?xi64> -> tensor<2xi64>
  %tail5 = nn.constant dense<[1, 3, 8]> : tensor<3xi64>
  %es = nn.concat %sh, %tail5 {axis = 0 : i64} : (tensor<2xi64>, tensor<3xi64>) -> tensor<5xi64>
  %rs = nn.constant dense<[0, 0, -1, 8]> : tensor<4xi64>
  %s:2 = nn.split %x, sizes = [1, 1] {axis = 2 : i64} : tensor<?x?x2x8xf32> -> tensor<?x?x1x8xf32>, tensor<?x?x1x8xf32>
  %u0 = nn.unsqueeze %s#0, axes = [3] : tensor<?x?x1x8xf32> -> tensor<?x?x1x1x8xf32>
  %e0 = nn.expand %u0, %es : (tensor<?x?x1x1x8xf32>, tensor<5xi64>) -> tensor<?x?x1x3x8xf32>
  %r0 = nn.reshape %e0, %rs : (tensor<?x?x1x3x8xf32>, tensor<4xi64>) -> tensor<?x?x3x8xf32>
  %u1 = nn.unsqueeze %s#1, axes = [3] : tensor<?x?x1x8xf32> -> tensor<?x?x1x1x8xf32>
  %e1 = nn.expand %u1, %es : (tensor<?x?x1x1x8xf32>, tensor<5xi64>) -> tensor<?x?x1x3x8xf32>
  %r1 = nn.reshape %e1, %rs : (tensor<?x?x1x3x8xf32>, tensor<4xi64>) -> tensor<?x?x3x8xf32>
  %c = nn.concat %r0, %r1 {axis = 2 : i64} : (tensor<?x?x3x8xf32>, tensor<?x?x3x8xf32>) -> tensor<?x?x6x8xf32>
  return %c : tensor<?x?x6x8xf32>
}

// -----

// The dynamo exporter at opset 23: the same pattern around nn.attention
// (grouped heads: 4 query heads on 2 key/value heads). Its result is
// [batch, 4, seq, 8], so reshape(bsz, q_len, -1) is again 32 wide.
// CHECK-LABEL: func @attention_op_output_reshape
// CHECK: nn.attention {{.*}} -> tensor<?x4x?x8xf32>
// CHECK: %[[O:.*]] = nn.reshape {{.*}} -> tensor<?x?x32xf32>
// CHECK: nn.matmul %[[O]], {{.*}} : (tensor<?x?x32xf32>, tensor<32x32xf32>) -> tensor<?x?x32xf32>
func.func @attention_op_output_reshape(%q: tensor<?x4x?x8xf32> {nn.dim_names = ["batch", "", "seq", ""]}, %k: tensor<?x2x?x8xf32> {nn.dim_names = ["batch", "", "seq", ""]}, %v: tensor<?x2x?x8xf32> {nn.dim_names = ["batch", "", "seq", ""]}) -> tensor<?x?x?xf32> {
  %wo = nn.constant dense<0.25> : tensor<32x32xf32>
  %ctx = nn.attention %q, %k, %v {is_causal = true} : (tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x?x?x?xf32>
  %back = nn.transpose %ctx, perm = [0, 2, 1, 3] : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  %s = nn.shape %q : tensor<?x4x?x8xf32> -> tensor<4xi64>
  %i0 = nn.constant dense<0> : tensor<i64>
  %i2 = nn.constant dense<2> : tensor<i64>
  %b = nn.gather %s, %i0 : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %l = nn.gather %s, %i2 : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %bu = nn.unsqueeze %b, axes = [0] : tensor<i64> -> tensor<1xi64>
  %lu = nn.unsqueeze %l, axes = [0] : tensor<i64> -> tensor<1xi64>
  %m1 = nn.constant dense<[-1]> : tensor<1xi64>
  %merged = nn.concat %bu, %lu, %m1 {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  %o = nn.reshape %back, %merged : (tensor<?x?x?x?xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %y = nn.matmul %o, %wo : (tensor<?x?x?xf32>, tensor<32x32xf32>) -> tensor<?x?x?xf32>
  return %y : tensor<?x?x?xf32>
}

// -----

// dim_params the ops fix: nn.attention needs the keys' head size to be the
// queries' (16) and one value per key; nn.matmul's contraction is the
// weight's K (8). The arguments' dims become static, their names stay.
// CHECK-LABEL: func @bound_dim_params
// CHECK-SAME: %arg1: tensor<?x2x?x16xf32> {nn.dim_names = ["batch", "", "past", "kv_cache_dim"]}
// CHECK-SAME: %arg2: tensor<?x2x?x16xf32> {nn.dim_names = ["batch", "", "past", "kv_cache_dim"]}
// CHECK-SAME: %arg3: tensor<?x8xf32> {nn.dim_names = ["n", "hidden"]}
// CHECK-SAME: -> (tensor<?x2x3x16xf32>, tensor<?x4xf32>)
func.func @bound_dim_params(%q: tensor<?x2x3x16xf32> {nn.dim_names = ["batch", "", "", ""]},
                            %k: tensor<?x2x?x?xf32> {nn.dim_names = ["batch", "", "past", "kv_cache_dim"]},
                            %v: tensor<?x2x?x?xf32> {nn.dim_names = ["batch", "", "past", "kv_cache_dim"]},
                            %x: tensor<?x?xf32> {nn.dim_names = ["n", "hidden"]}) -> (tensor<?x2x3x?xf32>, tensor<?x4xf32>) {
  %a = nn.attention %q, %k, %v : (tensor<?x2x3x16xf32>, tensor<?x2x?x?xf32>, tensor<?x2x?x?xf32>) -> tensor<?x2x3x?xf32>
  %w = nn.constant dense<0.5> : tensor<8x4xf32>
  %y = nn.matmul %x, %w : (tensor<?x?xf32>, tensor<8x4xf32>) -> tensor<?x4xf32>
  return %a, %y : tensor<?x2x3x?xf32>, tensor<?x4xf32>
}

// -----

// A dim_param only a broadcast meets is not fixed (1 broadcasts too).
// CHECK-LABEL: func @broadcast_does_not_bind
// CHECK-SAME: tensor<?x?xf32> {nn.dim_names = ["n", "d"]}
func.func @broadcast_does_not_bind(%x: tensor<?x?xf32> {nn.dim_names = ["n", "d"]}) -> tensor<?x8xf32> {
  %c = nn.constant dense<0.5> : tensor<1x8xf32>
  %y = nn.add %x, %c : (tensor<?x?xf32>, tensor<1x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
