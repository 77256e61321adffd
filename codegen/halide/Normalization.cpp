//===- Normalization.cpp - layer norm, RMS norm, softmax kernels -------*- C++ -*-===//
//
// Row reductions over the innermost dimension. Statistics are computed per
// row at the row's parallel loop; the row itself is vectorised. Layer norm
// uses two passes (mean, then biased variance) as torch does.
//
//===----------------------------------------------------------------------===//

#include "codegen/halide/KernelEmitters.h"

using namespace Halide;

namespace xf::codegen {

namespace {
std::vector<Expr> rowIndex(const std::vector<Var> &v, Expr inner) {
  std::vector<Expr> idx = exprs(v);
  idx[0] = inner;
  return idx;
}
std::vector<Var> rowVars(const std::vector<Var> &v) {
  return std::vector<Var>(v.begin() + 1, v.end());
}
} // namespace

Func emitLayerNorm(const KernelSpec &s, Inputs &in, bool gpu) {
  ImageParam x = in[0], gamma = in[1], beta = in[2];
  int r = s.output.rank();
  std::vector<Var> v = makeVars(r), rows = rowVars(v);
  Expr d = x.dim(0).extent();
  RDom rd(0, d, "rd");
  Func mean("ln_mean"), var("ln_var"), out("layer_norm");
  mean(rows) = sum(x(rowIndex(v, rd))) / cast<float>(d);
  Expr centred = x(rowIndex(v, rd)) - mean(rows);
  var(rows) = sum(centred * centred) / cast<float>(d);
  out(v) = (x(v) - mean(rows)) * (1.0f / sqrt(var(rows) + s.scalar)) * gamma(v[0]) + beta(v[0]);
  Var row = gpu ? gpuScheduleRowwise(out, v) : scheduleRowwise(out, v, s);
  if (r >= 2 || gpu) {
    mean.compute_at(out, row);
    var.compute_at(out, row);
  }
  return out;
}

Func emitRmsNorm(const KernelSpec &s, Inputs &in, bool gpu) {
  ImageParam x = in[0], weight = in[1];
  int r = s.output.rank();
  std::vector<Var> v = makeVars(r), rows = rowVars(v);
  Expr d = x.dim(0).extent();
  RDom rd(0, d, "rd");
  Func inv("rms_inv"), out("rms_norm");
  Expr xr = x(rowIndex(v, rd));
  inv(rows) = 1.0f / sqrt(sum(xr * xr) / cast<float>(d) + s.scalar);
  out(v) = weight(v[0]) * (x(v) * inv(rows));
  Var row = gpu ? gpuScheduleRowwise(out, v) : scheduleRowwise(out, v, s);
  if (r >= 2 || gpu)
    inv.compute_at(out, row);
  return out;
}

Func emitSoftmax(const KernelSpec &s, Inputs &in, bool gpu) {
  ImageParam x = in[0];
  int r = s.output.rank();
  std::vector<Var> v = makeVars(r), rows = rowVars(v);
  RDom rd(0, x.dim(0).extent(), "rd");
  Func mx("softmax_max"), e("softmax_exp"), den("softmax_sum"), out("softmax");
  mx(rows) = maximum(x(rowIndex(v, rd)));
  e(v) = exp(x(v) - mx(rows));
  den(rows) = sum(e(rowIndex(v, rd)));
  out(v) = e(v) / den(rows);
  if (gpu) { // the row's exponentials in lanes, its max and sum by the block
    Var row = gpuScheduleRowwise(out, v), eo("eo"), ei("ei");
    mx.compute_at(out, row);
    e.compute_at(out, row)
        .split(v[0], eo, ei, kGpuLanes, TailStrategy::GuardWithIf)
        .gpu_threads(ei);
    den.compute_at(out, row);
    return out;
  }
  Var row = scheduleRowwise(out, v, s);
  if (r >= 2) {
    mx.compute_at(out, row);
    e.compute_at(out, row).vectorize(v[0], 16, TailStrategy::GuardWithIf);
    den.compute_at(out, row);
  }
  return out;
}

} // namespace xf::codegen
