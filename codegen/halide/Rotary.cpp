//===- Rotary.cpp - rotary position embedding kernel ------------*- C++ -*-===//
//
// HF's rotate_half layout: the first and second halves of each head are the
// real and imaginary parts rotated by position * inv_freq[i]. Frequencies
// are computed in float32 as Hugging Face does (1 / theta^(2i / D)).
//
//===----------------------------------------------------------------------===//

#include "codegen/halide/KernelEmitters.h"

using namespace Halide;

namespace xf::codegen {

Func emitRope(const KernelSpec &s, Inputs &in, bool gpu) {
  ImageParam x = in[0], pos = in[1];
  int dim = (int)s.output.shape[3];
  Var d("d"), j("j"), h("h"), b("b");
  Func out("rope");
  out(d, j, h, b) = ropeAt([&](Expr e) { return x(e, j, h, b); }, d, pos(j, b), dim, s.scalar);
  if (gpu)
    gpuScheduleRowwise(out, {d, j, h, b});
  else
    out.vectorize(d, 8, TailStrategy::GuardWithIf).parallel(j);
  return out;
}

} // namespace xf::codegen
