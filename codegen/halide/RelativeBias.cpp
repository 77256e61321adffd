//===- RelativeBias.cpp - T5 relative position buckets ----------*- C++ -*-===//
//
// The bucket of a relative position comes from two small tables (key after
// and before the query) filled at compile time by the same float32 formula
// the interpreter and Hugging Face use, so buckets match exactly; positions
// past max_distance share the last bucket. The explicit bias tensor kernel is
// only made when attention is not fused (--no-opt).
//
//===----------------------------------------------------------------------===//

#include "codegen/halide/KernelEmitters.h"
#include "dialect/RelativeBuckets.h"

using namespace Halide;

namespace xf::codegen {

Expr t5BucketExpr(Expr rel, bool bidirectional, int64_t buckets, int64_t maxDistance) {
  // Unique names: a kernel may call this more than once (attention has two schedules).
  Buffer<int32_t> after((int)maxDistance + 1, Internal::unique_name("t5_buckets_after"));
  Buffer<int32_t> before((int)maxDistance + 1, Internal::unique_name("t5_buckets_before"));
  for (int64_t n = 0; n <= maxDistance; ++n) {
    after(n) = (int32_t)::xf::t5RelativeBucket(n, bidirectional, buckets, maxDistance);
    before(n) = (int32_t)::xf::t5RelativeBucket(-n, bidirectional, buckets, maxDistance);
  }
  Expr m = (int)maxDistance;
  // The clamp lets Halide bound the table read (the values are in range).
  return clamp(select(rel > 0, after(clamp(rel, 0, m)), before(clamp(-rel, 0, m))), 0,
               (int)buckets - 1);
}

Func emitRelativePositionBias(const KernelSpec &s, Inputs &in, bool gpu) {
  ImageParam table = in[0];
  Var j("j"), i("i"), h("h");
  Func out("relative_position_bias");
  out(j, i, h) = table(h, t5BucketExpr(j - i, s.ints[2] != 0, s.ints[0], s.ints[1]));
  if (gpu)
    gpuScheduleRowwise(out, {j, i, h});
  else
    out.vectorize(j, 8, TailStrategy::GuardWithIf).parallel(i);
  return out;
}

} // namespace xf::codegen
