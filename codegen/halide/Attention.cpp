//===- Attention.cpp - scaled dot-product attention kernel ------*- C++ -*-===//
//
// softmax(scale * q k^T + mask) v per (batch, head, query); no [Sq, Sk]
// tensor is ever stored. Keys a query may not see (causal, sliding window,
// padding) are predicates on the key reductions, so they are never computed.
//
// Two schedules, chosen per call: with at least a tile of queries (prefill,
// encoders) the queries run in tiles of 8 rows and every product is a small
// register-blocked GEMM (scores: 8 rows x 32 keys over the head dimension,
// keys transposed once per task; values: 4 rows x the head dimension over
// the keys), with the softmax passes vectorised over keys. A call with
// fewer queries (a decode step) takes one query row at a time.
//
//===----------------------------------------------------------------------===//

#include "codegen/halide/KernelEmitters.h"

#include <limits>

using namespace Halide;

namespace xf::codegen {

namespace {

constexpr int kTileRows = 8;    // queries per tile
constexpr int kScoreKeys = 32;  // keys per register block of scores
constexpr int kValueRows = 4;   // query rows per register block of values
constexpr int kTilesPerTask = 8;

/// What both schedules share: the operands, the score of key j for query
/// row i from its dot product, and which keys row i may attend.
struct AttentionParts {
  ImageParam q, k, val;
  // Element (d, row i, head h, batch b) of q, rotated when its rope was
  // folded in.
  std::function<Expr(Expr, Expr, Expr, Expr)> query;
  bool queryRotated = false;
  Expr group;   // q heads per kv head
  Expr sq, sk, offset; // query row i sits at position i + offset among the keys
  // T5's relative position bias as a new Func (rel, h) each call, rel = key
  // position - query position; null without one. Each schedule makes its
  // own, to compute where it pays: per task in tiles, inline by row.
  std::function<Func(const std::string &)> makeBias;
  // (dot, j, i, h, bias): the score of key j for query row i of head h, with
  // the Func makeBias made (undefined without a bias).
  std::function<Expr(Expr, Expr, Expr, Expr, Func)> score;
  std::function<Expr(Expr, Expr, Expr)> visible;          // (j, i, b)
  // The keys a tile of rows [first, last] may attend: [lo, hi).
  std::function<Expr(Expr)> keysFrom;      // (first row)
  std::function<Expr(Expr, Expr)> keysTo;  // (last row, b)
};

/// One query row at a time (2 rows per task): scalar dot products, the
/// softmax over the row's visible keys, then the values. This path serves
/// calls of fewer than kTileRows queries, a decode step above all: 16 rows a
/// task put a decode step's 12 heads in one task, on one core. With 2
/// (xfc-kernel-bench attentionDecode, 12 heads, K/V from memory, in turn,
/// Zen 5 slice): 128 keys 29-30 against 36-41 us, 2048 keys 323-331 against
/// 522-582 us. On a GPU (`gpu`), the GPU schedule: a block
/// per (query row, head, batch); the row's scores and weights, in shared
/// memory, are made by lanes of threads over the keys, the values by lanes
/// over the head dimension; the row's max and sum by the block.
Func attentionByRow(AttentionParts &p, bool gpu) {
  Var d("d"), j("j"), i("i"), h("h"), b("b"), ih("ih");
  RDom rd(0, p.q.dim(0).extent(), "rd");
  Func query("attn_row_query"), dot("attn_row_dot"), score("attn_row_score");
  query(d, i, h, b) = p.query(d, i, h, b);
  dot(j, i, h, b) = 0.0f;
  dot(j, i, h, b) += query(rd, i, h, b) * p.k(rd, j, h / p.group, b);
  Func bias = p.makeBias ? p.makeBias("attn_row_bias") : Func(); // inline
  score(j, i, h, b) = p.score(dot(j, i, h, b), j, i, h, bias);

  RDom rj(0, p.sk, "rj");
  rj.where(p.visible(rj, i, b));
  Func mx("attn_row_max"), e("attn_row_exp"), den("attn_row_sum"), num("attn_row_num"),
      out("attn_by_row");
  mx(i, h, b) = maximum(score(rj, i, h, b));
  e(j, i, h, b) = exp(score(j, i, h, b) - mx(i, h, b));
  den(i, h, b) = sum(e(rj, i, h, b));
  num(d, i, h, b) = 0.0f;
  num(d, i, h, b) += e(rj, i, h, b) * p.val(d, rj, h / p.group, b);
  out(d, i, h, b) = num(d, i, h, b) / den(i, h, b);

  if (gpu) {
    Var dO("d_o"), dI("d_i"), jo("j_o"), ji("j_i");
    auto keyLanes = [&](Stage st) {
      st.split(j, jo, ji, kGpuLanes, TailStrategy::GuardWithIf).gpu_threads(ji);
    };
    auto dimLanes = [&](Stage st) {
      st.split(d, dO, dI, kGpuLanes, TailStrategy::GuardWithIf).gpu_threads(dI);
    };
    out.split(d, dO, dI, kGpuLanes, TailStrategy::GuardWithIf)
        .reorder(dI, dO, i, h, b)
        .gpu_blocks(i, h, b)
        .gpu_threads(dI);
    if (p.queryRotated)
      dimLanes(query.compute_at(out, i));
    keyLanes(dot.compute_at(out, i));
    keyLanes(dot.update());
    mx.compute_at(out, i);
    keyLanes(e.compute_at(out, i));
    den.compute_at(out, i);
    dimLanes(num.compute_at(out, i));
    dimLanes(num.update());
    return out;
  }
  Var chunk("chunk"), row("row");
  out.compute_root()
      .fuse(i, h, ih)
      .split(ih, chunk, row, 2, TailStrategy::GuardWithIf)
      .parallel(chunk)
      .vectorize(d, 16, TailStrategy::GuardWithIf);
  if (p.queryRotated)
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

/// Queries in tiles of kTileRows (rows past the last are clamped to it and
/// discarded). Per tile t, over the keys any of its rows may see:
///   scores  S(j, r) = q(r) . k(j)      8 x 32 blocks, k transposed per task
///   max     m(r), by 16 partial maxima vectorised over keys
///   weights E(j, r) = exp(S - m) where visible, else 0
///   sum     l(r), by 16 partial sums
///   values  O(:, r) = sum_j E(j, r) v(j) / l(r)   4 rows x the head dim
/// Result in tile coordinates (d, r, t, h, b).
Func attentionByTile(AttentionParts &p, int64_t headDim) {
  Var d("d"), j("j"), r("r"), t("t"), h("h"), b("b"), jl("jl");
  const int T = kTileRows;
  Expr first = t * T, last = min(t * T + (T - 1), p.sq - 1);
  Expr row = min(t * T + r, p.sq - 1);
  Expr lo = p.keysFrom(first), hi = p.keysTo(last, b);

  Func qt("attn_tile_query"), kt("attn_keys_t");
  qt(d, r, t, h, b) = p.query(d, row, h, b);
  Var kd("kd"), kj("kj"), kh("kh"), kb("kb");
  kt(kj, kd, kh, kb) = p.k(kd, clamp(kj, 0, p.sk - 1), kh, kb);

  RDom rd(0, p.q.dim(0).extent(), "rd");
  Func dot("attn_tile_dot"), score("attn_tile_score");
  dot(j, r, t, h, b) = 0.0f;
  dot(j, r, t, h, b) += qt(rd, r, t, h, b) * kt(j, rd, h / p.group, b);
  Expr visible = j < p.sk && p.visible(j, row, b);
  // The bias by relative position, once per task (a task is one head): a
  // score block then reads it as one contiguous run per row, where reading
  // the table per score took three gathers (T5-small's encoder attention,
  // xfc-kernel-bench attention/t5bias).
  Func bias = p.makeBias ? p.makeBias("attn_tile_bias") : Func();
  score(j, r, t, h, b) = select(visible, p.score(dot(j, r, t, h, b), j, row, h, bias),
                                Expr(-std::numeric_limits<float>::infinity()));

  // Blocks of 16 keys that overlap [lo, hi).
  RDom rb(0, (p.sk + 15) / 16, "rb");
  rb.where(rb * 16 < hi);
  rb.where(rb * 16 + 16 > lo);
  RDom rl(0, 16, "rl");
  Func mxPart("attn_tile_max16"), mx("attn_tile_max"), e("attn_tile_exp");
  Func denPart("attn_tile_sum16"), den("attn_tile_sum");
  mxPart(jl, r, t, h, b) = Expr(-std::numeric_limits<float>::infinity());
  mxPart(jl, r, t, h, b) = max(mxPart(jl, r, t, h, b), score(rb * 16 + jl, r, t, h, b));
  mx(r, t, h, b) = maximum(mxPart(rl, r, t, h, b));
  e(j, r, t, h, b) = select(visible, exp(score(j, r, t, h, b) - mx(r, t, h, b)), 0.0f);
  denPart(jl, r, t, h, b) = 0.0f;
  denPart(jl, r, t, h, b) += e(rb * 16 + jl, r, t, h, b);
  den(r, t, h, b) = sum(denPart(rl, r, t, h, b));

  RDom rk(0, p.sk, "rk");
  rk.where(rk >= lo);
  rk.where(rk < hi);
  Func num("attn_tile_num"), out("attn_by_tile");
  num(d, r, t, h, b) = 0.0f;
  num(d, r, t, h, b) += e(rk, r, t, h, b) * p.val(d, rk, h / p.group, b);
  out(d, r, t, h, b) = num(d, r, t, h, b) / den(r, t, h, b);

  // Tasks of kTilesPerTask tiles of one head; k transposed once per task.
  Var to("to"), ti("ti"), ro("ro"), ri("ri"), task("task"), th("th"), jo("jo"), ji("ji");
  out.compute_root().bound(r, 0, T);
  if (headDim > 0)
    out.bound(d, 0, (int)headDim);
  out
      .split(t, to, ti, kTilesPerTask, TailStrategy::GuardWithIf)
      .split(r, ro, ri, kValueRows)
      .reorder(d, ri, ro, ti, to, h, b)
      .fuse(to, h, th)
      .fuse(th, b, task)
      .parallel(task)
      .vectorize(d, 16, TailStrategy::GuardWithIf);
  kt.compute_at(out, task).vectorize(kj, 16, TailStrategy::GuardWithIf);
  if (bias.defined())
    bias.compute_at(out, task).vectorize(bias.args()[0], 16, TailStrategy::GuardWithIf);
  qt.compute_at(out, ti).vectorize(d, 16, TailStrategy::GuardWithIf);
  score.compute_at(out, ti)
      .split(j, jo, ji, kScoreKeys, TailStrategy::RoundUp)
      .reorder(ji, r, jo)
      .vectorize(ji, 16);
  dot.compute_at(score, jo).bound_extent(j, kScoreKeys).vectorize(j, 16);
  dot.update()
      .reorder(j, r, rd)
      .vectorize(j, 16)
      .unroll(j)
      .unroll(r);
  mxPart.compute_at(out, ti).vectorize(jl);
  mxPart.update().reorder(jl, r, rb).vectorize(jl).unroll(r);
  mx.compute_at(out, ti);
  e.compute_at(out, ti).vectorize(j, 16, TailStrategy::GuardWithIf);
  denPart.compute_at(out, ti).vectorize(jl);
  denPart.update().reorder(jl, r, rb).vectorize(jl).unroll(r);
  den.compute_at(out, ti);
  num.compute_at(out, ro).vectorize(d, 16, TailStrategy::GuardWithIf);
  num.update().reorder(d, r, rk).vectorize(d, 16, TailStrategy::GuardWithIf).unroll(r);
  if (headDim > 0 && headDim % 16 == 0)
    num.update().unroll(d);
  return out;
}

} // namespace

Func emitAttention(const KernelSpec &s, Inputs &in, bool gpu) {
  AttentionParts p;
  p.q = in[0];
  p.k = in[1];
  p.val = in[2];
  int64_t window = s.ints.size() > 0 ? s.ints[0] : 0;
  int64_t buckets = s.ints.size() > 1 ? s.ints[1] : 0;
  bool hasMask = s.ints.size() > 4 ? s.ints[4] != 0 : in.size() > 3;
  // Grouped-query attention: q head h reads kv head h / group.
  p.group = p.q.dim(2).extent() / p.k.dim(2).extent();
  p.sq = p.q.dim(1).extent();
  p.sk = p.k.dim(1).extent();
  p.offset = p.sk - p.sq;
  bool causal = s.flag;

  // Operands after q, k, v, each when present: mask, bias table, key
  // lengths, query positions.
  bool hasKeyLengths = s.ints.size() > 5 && s.ints[5] != 0;
  bool hasQueryRope = s.ints.size() > 6 && s.ints[6] != 0;
  int nextInput = hasMask ? 4 : 3;
  int tableInput = buckets > 0 ? nextInput++ : -1;
  int lengthsInput = hasKeyLengths ? nextInput++ : -1;
  int positionsInput = hasQueryRope ? nextInput++ : -1;

  Var d("d"), i("i"), h("h"), b("b");
  ImageParam q = p.q;
  p.queryRotated = hasQueryRope;
  p.query = [&, q](Expr dd, Expr row, Expr hh, Expr bb) -> Expr {
    if (!hasQueryRope)
      return q(dd, row, hh, bb);
    ImageParam pos = in[positionsInput];
    return ropeAt([&](Expr e) { return q(e, row, hh, bb); }, dd, pos(row, bb),
                  (int)s.inputs[0].shape[3], s.scalar2);
  };

  Expr offset = p.offset, sq = p.sq, sk = p.sk;
  if (buckets > 0) {
    ImageParam table = in[tableInput];
    bool bidirectional = s.ints[3] != 0;
    int64_t maxDistance = s.ints[2];
    p.makeBias = [=](const std::string &name) {
      Var rel("rel"), hh("hh");
      Func f(name);
      f(rel, hh) = table(hh, t5BucketExpr(rel, bidirectional, buckets, maxDistance));
      return f;
    };
  }
  p.score = [&, offset](Expr dot, Expr j, Expr row, Expr hh, Func bias) {
    Expr sc = dot * s.scalar;
    if (hasMask)
      sc += in[3](j, row);
    if (bias.defined())
      sc += bias(j - (row + offset), hh);
    return sc;
  };
  p.visible = [&, offset](Expr j, Expr row, Expr bb) {
    Expr ok = Internal::const_true();
    if (causal)
      ok = ok && j <= row + offset;
    if (causal && window > 0) // sliding window
      ok = ok && row + offset - j < (int)window;
    if (hasKeyLengths) // padding: keys past the sequence's length
      ok = ok && j < cast<int>(in[lengthsInput](bb));
    return ok;
  };
  p.keysFrom = [&, offset](Expr first) -> Expr {
    if (causal && window > 0)
      return max(0, first + offset - ((int)window - 1));
    return 0;
  };
  p.keysTo = [&, offset, sk](Expr last, Expr bb) -> Expr {
    Expr hi = causal ? min(sk, last + offset + 1) : sk;
    if (hasKeyLengths)
      hi = min(hi, cast<int>(in[lengthsInput](bb)));
    return hi;
  };

  if (gpu)
    return attentionByRow(p, /*gpu=*/true);
  Func byRow = attentionByRow(p, /*gpu=*/false);
  Func byTile = attentionByTile(p, s.inputs[2].shape[3]);
  Func out("attention");
  Expr tiled = sq >= kTileRows;
  out(d, i, h, b) = select(tiled, byTile(d, i % kTileRows, i / kTileRows, h, b),
                           byRow(d, i, h, b));
  Var ih("ih"), rows("rows"), row("row");
  out.specialize(tiled)
      .fuse(i, h, ih)
      .split(ih, rows, row, 64, TailStrategy::GuardWithIf)
      .parallel(rows)
      .vectorize(d, 16, TailStrategy::GuardWithIf);
  out.vectorize(d, 16, TailStrategy::GuardWithIf);
  return out;
}

} // namespace xf::codegen
