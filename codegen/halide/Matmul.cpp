//===- Matmul.cpp - linear and batched matmul kernels -----------*- C++ -*-===//
//
// Both are a reduction over K into an accumulator Func. The CPU schedules are
// register blocked: tiles run in parallel, the accumulator of a tile lives in
// 24 vector registers with the K loop outermost inside the tile. A linear
// over packed weights (`#xf.panels`) tiles one panel x 6 rows, a task per
// panel, and with fewer rows (a decode step) reads each panel as 4 concurrent
// runs of K; other GEMMs (weights as computed, or read transposed) 128
// columns x 3 rows. Tails are handled so one-row (decode) calls work.
//
//===----------------------------------------------------------------------===//

#include "codegen/halide/KernelEmitters.h"

using namespace Halide;

namespace xf::codegen {

namespace {

/// Rows of a panel GEMM's register tile; calls with fewer take the GEMV.
constexpr int kTileRows = 6;
/// Concurrent K streams of a panel in a GEMV (see emitLinear).
constexpr int kStreams = 4;

/// out(v) = acc(v): tile (columns v[0], rows v[1]) and block the accumulator
/// in registers: `cols` columns (vectors of 16) x 3 rows, 24 vector
/// accumulators of the 32 AVX-512 registers, the reduction outermost inside
/// the tile, so each step of k loads cols / 16 vectors of w and broadcasts 3
/// values of x for 24 FMAs. Measured on GPT-2 small (prefill 128 / decode
/// step, 2026-12-02): 32 x 8 218 / 14.1 ms, 64 x 6 175 / 10.9, 96 x 4
/// 174 / 9.9, 128 x 3 176 / 9.7; 128 columns divide every common width
/// (512 ... 4096), which the in-place residual GEMMs need (below). When the
/// column count `n` is static and at least a tile, column tiles shift
/// inwards (no guards in the inner loop); rows are guarded so one-row
/// (decode) calls work. `mayAlias`: the output may be written over an input
/// (memory planning puts a residual epilogue in place), so no output point
/// may be computed twice: a shifted last tile would read inputs its
/// neighbour already overwrote, and columns are guarded unless they divide
/// into tiles. A gated GEMM (two accumulators per point) takes 64 columns.
/// A weight read transposed ([N, K], not packed: --no-opt) gathers each
/// vector of w, so it keeps narrow 32 x 8 tiles (GPT-2's tied lm_head at 128
/// tokens: 546 ms at 128 x 3, 87 ms at 32 x 8).
void scheduleGemm(Func out, Func acc, const std::vector<Var> &v, RVar k, int64_t n,
                  bool mayAlias, bool gated = false, bool gathersW = false) {
  Var no("no"), ni("ni"), mo("mo"), mi("mi"), t("t"), vo("vo"), vi("vi");
  const int cols = gathersW ? 32 : gated ? 64 : 128, rows = gathersW ? 8 : 3;
  bool exactColumns = n >= cols && (!mayAlias || n % cols == 0);
  TailStrategy colTail = exactColumns ? TailStrategy::ShiftInwards : TailStrategy::GuardWithIf;
  out.split(v[0], no, ni, cols, colTail)
      .split(v[1], mo, mi, rows, TailStrategy::GuardWithIf)
      .reorder(ni, mi, mo, no) // row tiles innermost: a column block of w stays in cache
      .fuse(mo, no, t)
      .parallel(t)
      .vectorize(ni, 16, exactColumns ? TailStrategy::RoundUp : TailStrategy::GuardWithIf);
  acc.compute_at(out, t).vectorize(v[0], 16, TailStrategy::GuardWithIf);
  acc.update()
      .reorder(v[0], v[1], k)
      .split(v[0], vo, vi, 16, exactColumns ? TailStrategy::RoundUp : TailStrategy::GuardWithIf)
      .vectorize(vi)
      .unroll(vo)
      .unroll(v[1]);
}

/// The GEMM over a weight stored in panels of P columns ([K, P] each,
/// contiguous): a task computes one panel's columns for R rows (P = 64,
/// R = 6), so each step of k loads P / 16 vectors of one contiguous stream
/// and broadcasts R values of x for 24 FMAs on accumulators that stay in
/// registers. A gated GEMM has two accumulators (`accs`: the gate's, then
/// the product's), each such a tile over its own weight, one after the
/// other in the task, and its epilogue reads both: LLaMA's gate/up at 128
/// and 512 rows ran at 167 / 198 GFLOP/s (best of 5) against 147 / 158 for
/// one Tuple accumulator over both weights, which held 3 rows and streamed
/// two panels per step of k (Intel Xeon slice, 2026-12-03). Rows are
/// rounded up inside the tile (the accumulator is internal and x's row is
/// clamped), so the inner loop has no guards; the output is written once
/// per point, guarded, so a residual epilogue may write in place. A call
/// with fewer than R rows (a decode step) takes one row at a time instead
/// of computing R. Measured on 2 cores (M = 128, K = 768, N = 3072): 2.6 ms
/// against 8.1 ms for the 128 x 3 tiles over a row-major [K, N] weight, which
/// strides K pages per tile.
///
/// A parallel task is one panel, its row tiles in turn: the panel comes from
/// memory once, in the first tile, while the other threads compute on other
/// panels. With a task per (panel, row tile), all threads started on the same
/// cold panel together and waited on memory together. Zen 5 slice
/// (2026-12-04, xfc-kernel-bench, both orders in turn): at 128 rows with the
/// weights from memory (`_cold`) 305-335 against 260-280 GFLOP/s, the
/// lm_head 315-345 against 265-280; a decode step (1 row, weights from
/// memory) 20-22 against 14-15 GFLOP/s; GPT-2 small's prefill 118 against
/// 126 ms. (A Halide prefetch of the panel: 2x slower in the row tiles, 20 %
/// slower in the one-row loop of this order; Halide 14 splits it wrongly,
/// one cache line per 256 bytes, and as PREFETCHNTA.)
void scheduleGemmPanels(Func out, const std::vector<Func> &accs, const std::vector<Func> &parts,
                        const std::vector<Var> &v, Var c, Var stream, RVar k, RVar kq,
                        int64_t width, Expr rows) {
  Var no("no"), ni("ni"), mo("mo"), mi("mi"), vo("vo"), vi("vi"), ro("ro"), ri("ri");
  const int tileRows = kTileRows;
  out.split(v[0], no, ni, (int)width, TailStrategy::GuardWithIf)
      .split(v[1], mo, mi, tileRows, TailStrategy::GuardWithIf)
      .reorder(ni, mi, mo, no) // row tiles innermost: the panel stays in cache
      .parallel(no)            // a task per panel
      .vectorize(ni, 16, TailStrategy::GuardWithIf);
  if (!parts.empty()) {
    // Fewer rows than a tile: the GEMV over K streams (out's definition
    // reads the parts there and the tiles elsewhere).
    out.specialize(rows < tileRows);
    for (Func part : parts) {
      part.compute_at(out, mo).bound_extent(c, (int)width).vectorize(c, 16);
      part.update()
          .split(c, vo, vi, 16)
          .reorder(vi, vo, stream, kq, v[1])
          .vectorize(vi)
          .unroll(vo)
          .unroll(stream);
    }
  }
  for (Func acc : accs) {
    acc.compute_at(out, mo).bound_extent(c, (int)width).vectorize(c, 16);
    acc.update()
        .specialize(rows < tileRows)
        .split(c, vo, vi, 16)
        .reorder(vi, vo, k, v[1])
        .vectorize(vi)
        .unroll(vo);
    acc.update()
        .split(v[1], ro, ri, tileRows, TailStrategy::RoundUp)
        .split(c, vo, vi, 16)
        .reorder(vi, vo, ri, k, ro)
        .vectorize(vi)
        .unroll(vo)
        .unroll(ri);
  }
}

/// GPU: a thread per output point, its accumulator in a register over the
/// whole of K (no shared-memory tiling yet); 16 x 16 threads a block, or
/// 128 x 1 for a single row (a decode step). Dimensions past the second
/// (batch) are fused into a third block dimension.
void gpuScheduleGemm(Func out, Func acc, const std::vector<Var> &v, Expr rows) {
  Var xo("xo"), xi("xi"), yo("yo"), yi("yi");
  if (v.size() < 2) {
    out.gpu_tile(v[0], xo, xi, 128, TailStrategy::GuardWithIf);
    acc.compute_at(out, xi);
    return;
  }
  Var batch = v.size() > 2 ? fuseFrom(out, v, 2, "batch") : Var();
  auto tile = [&](Stage st, int cols, int tileRows) {
    st.gpu_tile(v[0], v[1], xo, yo, xi, yi, cols, tileRows, TailStrategy::GuardWithIf);
    if (v.size() > 2)
      st.gpu_blocks(batch);
  };
  tile(out.specialize(rows == 1), 128, 1);
  tile(out, 16, 16);
  acc.compute_at(out, xi);
}

} // namespace

Func emitLinear(const KernelSpec &s, Inputs &in, bool gpu) {
  ImageParam x = in[0], w = in[1];
  int r = s.output.rank();
  std::vector<Var> v = makeVars(r);
  RDom k(0, x.dim(0).extent(), "k");
  // w is [K, N] (Halide (n, k)), transposed [N, K] (Halide (k, n)), or in
  // panels [N / P, K, P] (Halide (c, k, panel)). Over panels the accumulator
  // is indexed by (column in panel, rows..., panel) and x's row is clamped,
  // so a tile may run past the last row.
  const bool panels = w.dimensions() == 3;
  const int64_t width = panels ? s.inputs[1].shape[2] : 0;
  Var c("c"), panel("panel");
  std::vector<Var> accVars = v;
  std::vector<Expr> accAt = exprs(v);
  Func xRows("x_rows");
  if (panels) {
    accVars[0] = c;
    accVars.push_back(panel);
    accAt[0] = v[0] % (int)width;
    accAt.push_back(v[0] / (int)width);
    std::vector<Var> xv = makeVars(x.dimensions());
    std::vector<Expr> clamped = exprs(xv);
    if (x.dimensions() >= 2)
      clamped[1] = min(xv[1], x.dim(1).max());
    xRows(xv) = x(clamped);
  }
  std::vector<Expr> xi = exprs(accVars);
  xi[0] = k;
  if (panels)
    xi.pop_back();
  auto weight = [&](ImageParam p) {
    return panels ? p(c, k, panel) : s.flag ? p(k, v[0]) : p(v[0], k);
  };
  auto xAt = [&]() { return panels ? xRows(xi) : x(xi); };
  bool hasBias = s.ints.size() > 0 ? s.ints[0] != 0 : in.size() > 2;
  bool hasResidual = s.ints.size() > 1 && s.ints[1] != 0;
  int activation = s.ints.size() > 2 ? (int)s.ints[2] : 0;
  bool hasGate = s.ints.size() > 3 && s.ints[3] != 0;
  Func acc("linear_acc"), gateAcc("linear_gate_acc"), out("linear");
  Expr product, gate;
  // Over panels on a CPU, x @ w and x @ gate are two accumulators, each a
  // plain panel tile; elsewhere one Tuple accumulator.
  const bool gateApart = hasGate && panels && !gpu && r >= 2;
  ImageParam g = hasGate ? in[2 + (hasBias ? 1 : 0) + (hasResidual ? 1 : 0)] : ImageParam();
  // A call of fewer rows than a tile (a decode step) on a CPU reads each
  // panel as kStreams runs of K / kStreams rows at once, each into its own
  // accumulators (`parts`, summed at the end): with one sequential stream a
  // core leaves memory bandwidth unused. Zen 5 slice (2026-12-04): one-row
  // GEMMs with weights from memory 28-32 against 20-22 GFLOP/s (56-64 GB/s),
  // GPT-2 small decode 97-103 against 78-88 tokens/s, in turn; a C kernel of
  // the same loop read 64 GB/s at 4 streams, 50 at 2, 44 at 1, where a C
  // sum over the same memory read 56. (A call of 6 rows or more takes the tiles; out's
  // definition selects, and its specialisation keeps one of the two.)
  const int64_t depth = panels ? s.inputs[1].shape[1] : 0;
  const bool streams = panels && !gpu && r >= 2 && depth > 0 && depth % kStreams == 0;
  Var stream("stream");
  RDom kq(0, std::max<int>(1, (int)(depth / kStreams)), "kq");
  std::vector<Func> parts;
  auto gemvOf = [&](ImageParam p, const std::string &name) {
    std::vector<Var> partVars = accVars;
    partVars.insert(partVars.begin() + 1, stream);
    std::vector<Expr> xAtK = xi;
    Expr kAt = stream * (int)(depth / kStreams) + kq;
    xAtK[0] = kAt;
    Func part(name);
    part(partVars) = 0.0f;
    part(partVars) += xRows(xAtK) * p(c, kAt, panel);
    parts.push_back(part);
    auto at = [&](int i) {
      std::vector<Expr> e = accAt;
      e.insert(e.begin() + 1, i);
      return part(e);
    };
    static_assert(kStreams == 4, "the parts are summed pairwise below");
    return (at(0) + at(1)) + (at(2) + at(3));
  };
  Expr fewRows = x.dimensions() >= 2 ? x.dim(1).extent() < kTileRows : Expr(true);
  if (gateApart) {
    acc(accVars) = 0.0f;
    acc(accVars) += xAt() * weight(w);
    gateAcc(accVars) = 0.0f;
    gateAcc(accVars) += xAt() * weight(g);
    product = acc(accAt);
    gate = gateAcc(accAt);
    if (streams) {
      gate = select(fewRows, gemvOf(g, "linear_gate_gemv"), gate);
      product = select(fewRows, gemvOf(w, "linear_gemv"), product);
    }
  } else if (hasGate) { // x @ w and x @ gate in one pass over x
    acc(accVars) = Tuple(0.0f, 0.0f);
    acc(accVars) = Tuple(acc(accVars)[0] + xAt() * weight(w), acc(accVars)[1] + xAt() * weight(g));
    product = acc(accAt)[0];
    gate = acc(accAt)[1];
  } else {
    acc(accVars) = 0.0f;
    acc(accVars) += xAt() * weight(w);
    product = acc(accAt);
    if (streams)
      product = select(fewRows, gemvOf(w, "linear_gemv"), product);
  }
  // Epilogue: act(acc + bias) + residual, or act(gate) * (acc + bias) +
  // residual, while the tile is in registers.
  int next = 2;
  Expr result = product;
  if (hasBias)
    result += in[next++](v[0]);
  Expr activated = hasGate ? gate : result;
  switch (activation) {
  case 1: // gelu_tanh
    activated = geluTanh(activated);
    break;
  case 2: // gelu (erf)
    activated = 0.5f * activated * (1.0f + erf(activated * 0.7071067811865476f));
    break;
  case 3: // silu
    activated = activated / (1.0f + exp(-activated));
    break;
  case 4: // relu
    activated = max(activated, 0.0f);
    break;
  default:
    break;
  }
  result = hasGate ? activated * result : activated;
  if (hasResidual)
    result += in[next](v);
  out(v) = result;
  if (gpu)
    gpuScheduleGemm(out, acc, v, r >= 2 ? x.dim(1).extent() : Expr(1));
  else if (panels && r >= 2)
    scheduleGemmPanels(out, gateApart ? std::vector<Func>{gateAcc, acc} : std::vector<Func>{acc},
                       parts, v, c, stream, k.x, kq.x, width, x.dim(1).extent());
  else if (r >= 2)
    scheduleGemm(out, acc, v, k.x, s.output.shape.back(), hasResidual, hasGate, s.flag);
  return out;
}

Func emitMatmul(const KernelSpec &s, Inputs &in, bool gpu) {
  ImageParam a = in[0], b = in[1];
  int r = s.output.rank();
  std::vector<Var> v = makeVars(r);
  RDom k(0, a.dim(0).extent(), "k");
  std::vector<Expr> ai = exprs(v), bi = exprs(v);
  ai[0] = k;  // a(k, m, batch...)
  bi[1] = k;  // b(n, k, batch...)
  Func acc("matmul_acc"), out("matmul");
  acc(v) = 0.0f;
  acc(v) += a(ai) * b(bi);
  out(v) = acc(v);
  if (gpu)
    gpuScheduleGemm(out, acc, v, a.dim(1).extent());
  else
    scheduleGemm(out, acc, v, k.x, s.output.shape.back(), /*mayAlias=*/false);
  return out;
}

} // namespace xf::codegen
