//===- Moe.cpp - sparse mixture-of-experts kernel ---------------*- C++ -*-===//
//
// Mixtral's block: per token, router probabilities over E experts, the top k
// chosen one by one (argmax, excluding those already chosen), renormalised,
// and only the chosen experts' SiLU-gated MLPs computed: their weights are
// gathered by the data-dependent expert index. Tokens run in parallel.
//
//===----------------------------------------------------------------------===//

#include "codegen/halide/KernelEmitters.h"

using namespace Halide;

namespace xf::codegen {

Func emitMoe(const KernelSpec &s, Inputs &in, bool gpu) {
  ImageParam x = in[0], gate = in[1], w1 = in[2], w2 = in[3], w3 = in[4];
  int r = s.output.rank(), topK = (int)s.ints[0];
  std::vector<Var> v = makeVars(r);
  std::vector<Var> tok(v.begin() + 1, v.end()); // the token's index, without h
  Var e("e"), i("i");
  Expr hidden = x.dim(0).extent(), experts = gate.dim(1).extent(), inner = w1.dim(1).extent();

  auto xAt = [&](Expr h) {
    std::vector<Expr> idx{h};
    idx.insert(idx.end(), tok.begin(), tok.end());
    return x(idx);
  };
  auto withTok = [&](std::vector<Expr> lead) {
    lead.insert(lead.end(), tok.begin(), tok.end());
    return lead;
  };

  RDom rh(0, hidden, "rh"), re(0, experts, "re"), ri(0, inner, "ri");
  Func logits("moe_router"), prob("moe_prob");
  logits(withTok({e})) = sum(xAt(rh) * gate(rh, e));
  Expr mx = maximum(logits(withTok({re})));
  Func ex("moe_exp");
  ex(withTok({e})) = exp(logits(withTok({e})) - mx);
  prob(withTok({e})) = ex(withTok({e})) / sum(ex(withTok({re})));

  // Top-k, one at a time: the next choice is the argmax among experts not yet
  // chosen.
  std::vector<Func> chosen, chosenP;
  Expr taken = cast<bool>(false);
  Expr total = 0.0f;
  for (int k = 0; k < topK; ++k) {
    Func masked("moe_masked_" + std::to_string(k)), pick("moe_pick_" + std::to_string(k));
    masked(withTok({e})) = select(taken, -1.0f, prob(withTok({e})));
    Tuple best = argmax(masked(withTok({re})));
    pick(tok) = Tuple(cast<int>(best[0]), best[1]);
    chosen.push_back(pick);
    total = total + pick(tok)[1];
    taken = taken || e == pick(tok)[0];
  }

  Func out("moe");
  Expr acc = 0.0f;
  std::vector<Func> hiddenFns;
  for (int k = 0; k < topK; ++k) {
    // Clamped so Halide can bound the gather (argmax is always in range).
    Expr ek = clamp(chosen[k](tok)[0], 0, experts - 1);
    Func h("moe_hidden_" + std::to_string(k));
    Expr g = sum(xAt(rh) * w1(rh, i, ek));
    Expr u = sum(xAt(rh) * w3(rh, i, ek));
    h(withTok({i})) = g / (1.0f + exp(-g)) * u;
    hiddenFns.push_back(h);
    Expr down = sum(h(withTok({ri})) * w2(ri, v[0], ek));
    acc = acc + chosen[k](tok)[1] / total * down;
  }
  out(v) = acc;

  if (gpu) { // a block per token: routing by the block, the experts' rows in lanes
    Var tokens = gpuScheduleRowwise(out, v), io("io"), ii("ii");
    for (Func f : {logits, ex, prob})
      f.compute_at(out, tokens);
    for (Func &c : chosen)
      c.compute_at(out, tokens);
    for (Func &h : hiddenFns)
      h.compute_at(out, tokens).split(i, io, ii, kGpuLanes, TailStrategy::GuardWithIf)
          .gpu_threads(ii);
  } else if (r >= 2) {
    out.parallel(v[1]).vectorize(v[0], 8, TailStrategy::GuardWithIf);
    logits.compute_at(out, v[1]);
    ex.compute_at(out, v[1]);
    prob.compute_at(out, v[1]);
    for (Func &c : chosen)
      c.compute_at(out, v[1]);
    for (Func &h : hiddenFns)
      h.compute_at(out, v[1]).vectorize(i, 8, TailStrategy::GuardWithIf);
  }
  return out;
}

} // namespace xf::codegen
