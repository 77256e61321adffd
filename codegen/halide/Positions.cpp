//===- Positions.cpp - masks written from positions -------------*- C++ -*-===//
//
// The kernels of a mask built op by op from positions (iota, compare,
// select), for graphs where mask specialisation left it a tensor (or
// --no-opt). Conditions are held as i64 0/1, like the runtime's i1 tensors.
//
//===----------------------------------------------------------------------===//

#include "codegen/halide/KernelEmitters.h"

using namespace Halide;

namespace xf::codegen {

Func emitIota(const KernelSpec &s, Inputs &, bool gpu) {
  int r = s.output.rank();
  std::vector<Var> v = makeVars(r);
  // ints[0] is the axis outermost first; Halide's dims run innermost first.
  Func out("iota");
  out(v) = cast<int64_t>(v[r - 1 - (int)s.ints[0]]);
  if (gpu)
    gpuScheduleRowwise(out, v);
  return out;
}

Func emitCompare(const KernelSpec &s, Inputs &in, bool gpu) {
  int r = s.output.rank();
  std::vector<Var> v = makeVars(r);
  auto operand = [&](int i) {
    std::vector<Expr> idx;
    for (int d = 0; d < r; ++d)
      idx.push_back(s.inputs[i].shape[r - 1 - d] == 1 ? Expr(0) : Expr(v[d]));
    return in[i](idx);
  };
  Expr a = operand(0), b = operand(1) + Expr((int64_t)s.ints[1]);
  Expr c;
  switch (s.ints[0]) {
  case 0: c = a < b; break;
  case 1: c = a <= b; break;
  case 2: c = a > b; break;
  case 3: c = a >= b; break;
  case 4: c = a == b; break;
  default: c = a != b; break;
  }
  Func out("compare");
  out(v) = cast<int64_t>(c);
  if (gpu)
    gpuScheduleRowwise(out, v);
  else
    scheduleRowwise(out, v, s, 8);
  return out;
}

Func emitSelect(const KernelSpec &s, Inputs &in, bool gpu) {
  std::vector<Var> v = makeVars(s.output.rank());
  Func out("select");
  out(v) = select(in[0](v) != cast<int64_t>(0), s.scalar, s.scalar2);
  if (gpu)
    gpuScheduleRowwise(out, v);
  else
    scheduleRowwise(out, v, s);
  return out;
}

} // namespace xf::codegen
