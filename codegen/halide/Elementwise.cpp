//===- Elementwise.cpp - add, mul, scale, GELU, SiLU kernels ----------*- C++ -*-===//
//
// Pointwise kernels. The rhs of add and mul broadcasts along leading
// dimensions (its shape is a suffix of the lhs's), which in Halide's
// innermost-first order means it is indexed by the first vars.
//
//===----------------------------------------------------------------------===//

#include "codegen/halide/KernelEmitters.h"

using namespace Halide;

namespace xf::codegen {

Func emitElementwise(const KernelSpec &s, Inputs &in, bool gpu) {
  int r = s.output.rank();
  std::vector<Var> v = makeVars(r);
  Expr x = in[0](v);
  Expr result;
  switch (s.kind) {
  case KernelKind::Add:
  case KernelKind::Mul: {
    // rhs aligned at the last dimension; its static size-1 dimensions broadcast.
    const KernelArg &rhs = s.inputs[1];
    std::vector<Expr> ri;
    for (int d = 0; d < rhs.rank(); ++d)
      ri.push_back(rhs.shape[rhs.rank() - 1 - d] == 1 ? Expr(0) : Expr(v[d]));
    Expr y = in[1](ri);
    result = s.kind == KernelKind::Add ? x + y : x * y;
    break;
  }
  case KernelKind::Scale:
    result = x * s.scalar;
    break;
  case KernelKind::Gelu:
    if (s.flag) // HF gelu_new
      result = geluTanh(x);
    else
      result = 0.5f * x * (1.0f + erf(x * 0.7071067811865476f));
    break;
  case KernelKind::Silu:
    result = x / (1.0f + exp(-x));
    break;
  case KernelKind::Relu:
    result = max(x, 0.0f);
    break;
  default:
    throw CompileError("emitElementwise: not an elementwise kind");
  }
  Func out(kernelKindName(s.kind));
  out(v) = result;
  if (gpu)
    gpuScheduleRowwise(out, v);
  else
    scheduleRowwise(out, v, s);
  return out;
}

} // namespace xf::codegen
