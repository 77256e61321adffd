//===- KernelEmitters.h - private: one emitter per kernel family -*- C++ -*-===//
//
// Shared helpers of the Halide emitters. Halide orders dimensions innermost
// first; tensors here are described outermost first, so tensor dimension t of
// a rank-r tensor is Halide dimension r-1-t. Each emitter defines the
// algorithm and then applies its CPU schedule or, with `gpu` (CUDA, OpenCL),
// its GPU schedule, in which every stage runs on the device.
//
//===----------------------------------------------------------------------===//

#ifndef XF_CODEGEN_HALIDE_KERNELEMITTERS_H
#define XF_CODEGEN_HALIDE_KERNELEMITTERS_H

#include "codegen/halide/KernelSpec.h"

#include "Halide.h"

#include <functional>

#include <vector>

namespace xf::codegen {

/// Vars d0 (innermost) .. d{rank-1}.
inline std::vector<Halide::Var> makeVars(int rank) {
  std::vector<Halide::Var> v;
  for (int i = 0; i < rank; ++i)
    v.emplace_back("d" + std::to_string(i));
  return v;
}
inline std::vector<Halide::Expr> exprs(const std::vector<Halide::Var> &v) {
  return std::vector<Halide::Expr>(v.begin(), v.end());
}

/// The schedule of every elementwise-shaped output: the innermost dimension
/// vectorised, every other one fused into one loop of rows that runs in
/// parallel in chunks of about 16K elements (one task per row of a
/// [B, H, S, 64] tensor would be all overhead), tails guarded. Returns the
/// loop of one row, where per-row producers (norm statistics) go.
Halide::Var scheduleRowwise(Halide::Func out, const std::vector<Halide::Var> &v,
                            const KernelSpec &s, int vector = 16);

/// Fuses dimensions v[first], v[first + 1], ... of `out` into one loop
/// (named `name` + index) and returns it; v[first] itself when it is the last.
Halide::Var fuseFrom(Halide::Func out, const std::vector<Halide::Var> &v, size_t first,
                     const std::string &name);

/// The GPU schedule of the same outputs: the innermost dimension in lanes of
/// `threads` GPU threads, every other dimension fused into one loop of rows,
/// one block per row (its lanes loop over the row). Returns the block's row
/// loop, where per-row producers go (computed once per row by the block).
Halide::Var gpuScheduleRowwise(Halide::Func out, const std::vector<Halide::Var> &v,
                               int threads = 64);

/// Lanes of GPU threads per block in the GPU schedules.
constexpr int kGpuLanes = 64;

using Inputs = std::vector<Halide::ImageParam>;

/// HF's gelu_new, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), with tanh
/// written through exp (1 - 2 / (exp(2y) + 1)) so it vectorises: Halide 14's
/// tanh is a scalar libm call per element.
inline Halide::Expr geluTanh(Halide::Expr x) {
  Halide::Expr y = 0.7978845608028654f * (x + 0.044715f * x * x * x);
  Halide::Expr t = 1.0f - 2.0f / (Halide::exp(2.0f * y) + 1.0f);
  return 0.5f * x * (1.0f + t);
}

/// Element d of a head of `dim` values rotated by `position` (HF's
/// rotate_half RoPE): x(d) cos + rotate_half(x)(d) sin, x read through `at`.
inline Halide::Expr ropeAt(const std::function<Halide::Expr(Halide::Expr)> &at, Halide::Expr d,
                           Halide::Expr position, int dim, float theta) {
  int half = dim / 2;
  Halide::Expr i = Halide::select(d < half, d, d - half);
  Halide::Expr invFreq = 1.0f / Halide::pow(theta, Halide::cast<float>(2 * i) / (float)dim);
  Halide::Expr angle = Halide::cast<float>(position) * invFreq;
  Halide::Expr partner = Halide::select(d < half, -at(Halide::clamp(d + half, 0, dim - 1)),
                                        at(Halide::clamp(d - half, 0, dim - 1)));
  return at(d) * Halide::cos(angle) + partner * Halide::sin(angle);
}

Halide::Func emitEmbedding(const KernelSpec &s, Inputs &in, bool gpu);
Halide::Func emitLinear(const KernelSpec &s, Inputs &in, bool gpu);
Halide::Func emitMatmul(const KernelSpec &s, Inputs &in, bool gpu);
Halide::Func emitElementwise(const KernelSpec &s, Inputs &in, bool gpu);
Halide::Func emitLayerNorm(const KernelSpec &s, Inputs &in, bool gpu);
Halide::Func emitSoftmax(const KernelSpec &s, Inputs &in, bool gpu);
Halide::Func emitRmsNorm(const KernelSpec &s, Inputs &in, bool gpu);
Halide::Func emitRope(const KernelSpec &s, Inputs &in, bool gpu);
Halide::Func emitRepeatHeads(const KernelSpec &s, Inputs &in, bool gpu);
Halide::Func emitTranspose(const KernelSpec &s, Inputs &in, bool gpu);
Halide::Func emitCausalMask(const KernelSpec &s, Inputs &in, bool gpu);
Halide::Func emitPaddingMask(const KernelSpec &s, Inputs &in, bool gpu);
Halide::Func emitAttention(const KernelSpec &s, Inputs &in, bool gpu);
Halide::Func emitMoe(const KernelSpec &s, Inputs &in, bool gpu);
Halide::Func emitRelativePositionBias(const KernelSpec &s, Inputs &in, bool gpu);
Halide::Func emitIota(const KernelSpec &s, Inputs &in, bool gpu);
Halide::Func emitCompare(const KernelSpec &s, Inputs &in, bool gpu);
Halide::Func emitSelect(const KernelSpec &s, Inputs &in, bool gpu);

/// T5's bucket of relative position `rel` (key - query), read from tables
/// made at compile time with the reference's float32 formula.
Halide::Expr t5BucketExpr(Halide::Expr rel, bool bidirectional, int64_t buckets,
                          int64_t maxDistance);

} // namespace xf::codegen

#endif // XF_CODEGEN_HALIDE_KERNELEMITTERS_H
