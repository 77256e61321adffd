//===- Layout.cpp - embedding, transpose, repeat, masks ----------*- C++ -*-===//
//
// Kernels that move or make data rather than compute on it: row gathers,
// permutations, repeated heads, and the explicit causal mask tensor
// (only made when masks are not specialised, e.g. with --no-opt).
//
//===----------------------------------------------------------------------===//

#include "codegen/halide/KernelEmitters.h"

#include <limits>

using namespace Halide;

namespace xf::codegen {

Func emitEmbedding(const KernelSpec &s, Inputs &in, bool gpu) {
  ImageParam table = in[0], ids = in[1];
  int r = s.output.rank();
  std::vector<Var> v = makeVars(r);
  std::vector<Expr> idIdx(v.begin() + 1, v.end());
  // The runtime checks ids against the vocabulary; the clamp keeps any
  // stray id inside the table.
  Expr row = clamp(cast<int>(ids(idIdx)), 0, table.dim(1).extent() - 1);
  Func out("embedding");
  out(v) = table(v[0], row);
  if (gpu)
    gpuScheduleRowwise(out, v);
  else
    scheduleRowwise(out, v, s);
  return out;
}

Func emitTranspose(const KernelSpec &s, Inputs &in, bool gpu) {
  int r = s.output.rank();
  std::vector<Var> v = makeVars(r);
  std::vector<Expr> src(r);
  // Tensor dim i of the result is tensor dim perm[i] of the input.
  for (int i = 0; i < r; ++i)
    src[r - 1 - s.ints[i]] = v[r - 1 - i];
  Func out("transpose");
  out(v) = in[0](src);
  if (gpu)
    gpuScheduleRowwise(out, v);
  else
    scheduleRowwise(out, v, s, 8);
  return out;
}

Func emitRepeatHeads(const KernelSpec &s, Inputs &in, bool gpu) {
  Var d("d"), j("j"), h("h"), b("b");
  Func out("repeat_heads");
  out(d, j, h, b) = in[0](d, j, h / (int)s.ints[0], b);
  if (gpu)
    gpuScheduleRowwise(out, {d, j, h, b});
  else
    out.vectorize(d, 16, TailStrategy::GuardWithIf).parallel(h);
  return out;
}

/// Causal (and, for SlidingWindowMask, banded) mask: 0 where visible.
Func emitCausalMask(const KernelSpec &s, Inputs &, bool gpu) {
  Var j("j"), i("i");
  Func out(kernelKindName(s.kind));
  Expr visible = j <= i;
  if (s.kind == KernelKind::SlidingWindowMask)
    visible = visible && i - j < (int)s.ints[0];
  out(j, i) = select(visible, 0.0f, std::numeric_limits<float>::lowest());
  if (gpu)
    gpuScheduleRowwise(out, {j, i});
  else
    out.vectorize(j, 16, TailStrategy::GuardWithIf).parallel(i);
  return out;
}

} // namespace xf::codegen

namespace xf::codegen {

Func emitPaddingMask(const KernelSpec &, Inputs &in, bool gpu) {
  ImageParam lengths = in[0];
  Var j("j"), x("x"), y("y"), b("b");
  Func out("padding_mask");
  out(j, x, y, b) =
      select(j < lengths(b), 0.0f, std::numeric_limits<float>::lowest());
  if (gpu)
    gpuScheduleRowwise(out, {j, x, y, b});
  else
    out.vectorize(j, 16, TailStrategy::GuardWithIf).parallel(b);
  return out;
}

} // namespace xf::codegen
