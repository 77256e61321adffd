//===- Attention.cpp - scaled dot-product attention kernel ------*- C++ -*-===//
//
// softmax(scale * q k^T + mask) v per (batch, head, query), with the causal
// mask as a predicate on the key reduction: keys past `i + (Sk - Sq)` are
// never computed, and no [Sq, Sk] tensor is ever stored. The CPU schedule
// runs (query, head) rows in parallel and computes one row of scores at a
// time (16 rows per task).
//
//===----------------------------------------------------------------------===//

#include "codegen/halide/KernelEmitters.h"

using namespace Halide;

namespace xf::codegen {

Func emitAttention(const KernelSpec &s, Inputs &in) {
  ImageParam q = in[0], k = in[1], val = in[2];
  int64_t window = s.ints.size() > 0 ? s.ints[0] : 0;
  int64_t buckets = s.ints.size() > 1 ? s.ints[1] : 0;
  bool hasMask = s.ints.size() > 4 ? s.ints[4] != 0 : in.size() > 3;
  // Grouped-query attention: q head h reads kv head h / group.
  Expr group = q.dim(2).extent() / k.dim(2).extent();
  Var d("d"), j("j"), i("i"), h("h"), b("b"), ih("ih");
  Expr sq = q.dim(1).extent(), sk = k.dim(1).extent();

  // Operands after q, k, v, each when present: mask, bias table, key
  // lengths, query positions.
  bool hasKeyLengths = s.ints.size() > 5 && s.ints[5] != 0;
  bool hasQueryRope = s.ints.size() > 6 && s.ints[6] != 0;
  int nextInput = hasMask ? 4 : 3;
  int tableInput = buckets > 0 ? nextInput++ : -1;
  int lengthsInput = hasKeyLengths ? nextInput++ : -1;
  int positionsInput = hasQueryRope ? nextInput++ : -1;

  // q, rotated here when its rope was folded in (one row at a time).
  Func query("attn_query");
  if (hasQueryRope) {
    ImageParam pos = in[positionsInput];
    query(d, i, h, b) = ropeAt([&](Expr e) { return q(e, i, h, b); }, d, pos(i, b),
                               (int)s.inputs[0].shape[3], s.scalar2);
  } else {
    query(d, i, h, b) = q(d, i, h, b);
  }
  RDom rd(0, q.dim(0).extent(), "rd");
  Func dot("attn_dot"), score("attn_score");
  dot(j, i, h, b) = 0.0f;
  dot(j, i, h, b) += query(rd, i, h, b) * k(rd, j, h / group, b);
  Expr sc = dot(j, i, h, b) * s.scalar;
  if (hasMask)
    sc += in[3](j, i);
  if (buckets > 0) { // T5 relative position bias, computed per score
    ImageParam table = in[tableInput];
    Expr rel = j - (i + (sk - sq));
    sc += table(h, t5BucketExpr(rel, s.ints[3] != 0, buckets, s.ints[2]));
  }
  score(j, i, h, b) = sc;

  RDom rj(0, sk, "rj");
  if (s.flag)
    rj.where(rj <= i + (sk - sq));
  if (s.flag && window > 0) // sliding window
    rj.where(i + (sk - sq) - rj < (int)window);
  if (hasKeyLengths) // padding: keys past the sequence's length are never computed
    rj.where(rj < cast<int>(in[lengthsInput](b)));
  Func mx("attn_max"), e("attn_exp"), den("attn_sum"), num("attn_num"), out("attention");
  mx(i, h, b) = maximum(score(rj, i, h, b));
  e(j, i, h, b) = exp(score(j, i, h, b) - mx(i, h, b));
  den(i, h, b) = sum(e(rj, i, h, b));
  num(d, i, h, b) = 0.0f;
  num(d, i, h, b) += e(rj, i, h, b) * val(d, rj, h / group, b);
  out(d, i, h, b) = num(d, i, h, b) / den(i, h, b);

  // One task per 16 (query, head) rows (GPT-2 small's attention kernels at
  // 128 / 512 tokens: 38.0 / 171.9 ms with a task per row, 33.8 / 147.7 ms
  // with 16; keys transposed per task for vectorised dot products measured
  // slower, 46.9 / 189.5 ms).
  Var chunk("chunk"), row("row");
  out.fuse(i, h, ih)
      .split(ih, chunk, row, 16, TailStrategy::GuardWithIf)
      .parallel(chunk)
      .vectorize(d, 16, TailStrategy::GuardWithIf);
  if (hasQueryRope)
    query.compute_at(out, row).vectorize(d, 16, TailStrategy::GuardWithIf);
  dot.compute_at(out, row);
  score.compute_at(out, row);
  mx.compute_at(out, row);
  e.compute_at(out, row);
  den.compute_at(out, row);
  num.compute_at(out, row).vectorize(d, 16, TailStrategy::GuardWithIf);
  num.update().vectorize(d, 16, TailStrategy::GuardWithIf);
  return out;
}

} // namespace xf::codegen
