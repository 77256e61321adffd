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

Func emitRope(const KernelSpec &s, Inputs &in) {
  ImageParam x = in[0], pos = in[1];
  int dim = (int)s.output.shape[3], half = dim / 2;
  Var d("d"), j("j"), h("h"), b("b");
  Expr i = select(d < half, d, d - half);
  Expr invFreq = 1.0f / pow(s.scalar, cast<float>(2 * i) / (float)dim);
  Expr angle = cast<float>(pos(j, b)) * invFreq;
  Expr partner = select(d < half, -x(clamp(d + half, 0, dim - 1), j, h, b),
                        x(clamp(d - half, 0, dim - 1), j, h, b));
  Func out("rope");
  out(d, j, h, b) = x(d, j, h, b) * cos(angle) + partner * sin(angle);
  out.vectorize(d, 8, TailStrategy::GuardWithIf).parallel(j);
  return out;
}

} // namespace xf::codegen
