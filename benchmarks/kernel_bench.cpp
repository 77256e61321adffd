//===- kernel_bench.cpp - microbenchmarks of xfc's kernels ------*- C++ -*-===//
//
// Google Benchmark over the kernels xfc compiles for the models of
// tools/bench.sh, JIT-compiled for this machine from the same KernelSpecs
// (and so the same Halide schedules) the executables use: the GEMM shapes of
// BERT-base / GPT-2 small / T5-small / LLaMA-125M at 1 (decode: GEMV), 128
// and 512 rows (as `..._cold`, at 1 and 128 rows with the weights coming
// from memory on every call, as in a model), attention without a mask, causal
// and with a 256-key window at 128 ... 2048 tokens, layer and RMS norms, the
// embedding gather. Counters
// (rates, printed as .../s): GFLOP (2 per multiply-add) and GB (the bytes a
// call must move at least once: weights, inputs, outputs).
//
//   build/bin/xfc-kernel-bench [--benchmark_filter=gemm] [--benchmark_min_time=0.5]
//
//===----------------------------------------------------------------------===//

#include "codegen/halide/KernelSpec.h"

#include "HalideBuffer.h"
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

using namespace xf::codegen;
using Halide::Runtime::Buffer;

namespace {

KernelArg f32(std::vector<int64_t> shape) { return {false, std::move(shape)}; }

/// A buffer of `shape` (outermost first, as KernelArg) of small random values.
Buffer<void> randomBuffer(const std::vector<int64_t> &shape, bool isInt, int64_t intRange = 1) {
  std::vector<int> sizes(shape.rbegin(), shape.rend());
  std::mt19937 rng(7);
  if (isInt) {
    Buffer<int64_t> b(sizes);
    b.for_each_value([&](int64_t &v) { v = (int64_t)(rng() % (uint64_t)intRange); });
    return b;
  }
  Buffer<float> b(sizes);
  std::uniform_real_distribution<float> d(-0.5f, 0.5f);
  b.for_each_value([&](float &v) { v = d(rng); });
  return b;
}

/// Compiles `spec`, makes buffers of the given concrete shapes, and times
/// calls; `flops` and `bytes` per call feed the rate counters. `coldFrom`:
/// inputs from this index on (the weights) are copied until the copies span
/// 256 MiB, more than any last-level cache here, and each call takes the
/// next copy, so they come from memory as a model's do, layer after layer
/// (otherwise a weight of a few MiB stays in L3 across calls).
void runKernel(benchmark::State &state, const KernelSpec &spec,
               const std::vector<std::vector<int64_t>> &inputShapes,
               const std::vector<int64_t> &outputShape, double flops, double bytes,
               int64_t intRange = 1, size_t coldFrom = SIZE_MAX) {
  std::string error;
  auto kernel = JitKernel::compile(spec, error);
  if (!kernel) {
    state.SkipWithError(error.c_str());
    return;
  }
  std::vector<Buffer<void>> buffers;
  for (size_t i = 0; i < inputShapes.size(); ++i)
    buffers.push_back(randomBuffer(inputShapes[i], spec.inputs[i].isInt, intRange));
  buffers.push_back(randomBuffer(outputShape, spec.output.isInt));
  std::vector<std::vector<halide_buffer_t *>> sets(1);
  for (Buffer<void> &b : buffers)
    sets[0].push_back(b.raw_buffer());
  std::vector<Buffer<void>> copies;
  if (coldFrom < inputShapes.size()) {
    size_t weightBytes = 0;
    for (size_t i = coldFrom; i < inputShapes.size(); ++i)
      weightBytes += buffers[i].size_in_bytes();
    size_t count = std::max<size_t>(2, (size_t(256) << 20) / std::max<size_t>(1, weightBytes));
    copies.reserve(count * inputShapes.size()); // raw_buffer() points into the Buffer
    for (size_t c = 1; c < count; ++c) {
      sets.push_back(sets[0]);
      for (size_t i = coldFrom; i < inputShapes.size(); ++i) {
        copies.push_back(Buffer<float>(buffers[i]).copy()); // weights are f32
        sets.back()[i] = copies.back().raw_buffer();
      }
    }
  }
  if (!kernel->run(sets[0], error)) { // warm-up, and a check that it runs at all
    state.SkipWithError(error.c_str());
    return;
  }
  size_t next = 0;
  for (auto _ : state) {
    next = (next + 1) % sets.size();
    if (!kernel->run(sets[next], error)) {
      state.SkipWithError(error.c_str());
      return;
    }
  }
  state.counters["GFLOP"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GB"] =
      benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

constexpr int64_t kPanel = 64;

/// x [1, M, K] @ w [K, N] stored in panels, as pack-weights leaves every
/// model's GEMMs; `activation`/`gated` as the epilogue fusion makes them.
/// `cold`: the weights come from memory on every call (runKernel's coldFrom).
void gemm(benchmark::State &state, int64_t k, int64_t n, int64_t activation, bool gated,
          bool cold = false) {
  int64_t m = state.range(0), panels = (n + kPanel - 1) / kPanel;
  KernelSpec s;
  s.name = "gemm";
  s.kind = KernelKind::Linear;
  s.inputs = {f32({-1, -1, k}), f32({panels, k, kPanel})};
  if (gated)
    s.inputs.push_back(f32({panels, k, kPanel}));
  s.output = f32({-1, -1, n});
  s.ints = {0, 0, activation, gated ? 1 : 0};
  std::vector<std::vector<int64_t>> shapes{{1, m, k}, {panels, k, kPanel}};
  if (gated)
    shapes.push_back({panels, k, kPanel});
  double weights = (gated ? 2.0 : 1.0) * (double)k * (double)n;
  runKernel(state, s, shapes, {1, m, n}, 2.0 * (double)m * weights,
            4.0 * (weights + (double)m * (double)(k + n)), 1, cold ? 1 : SIZE_MAX);
}

/// An attention spec over `heads` heads of `d`: mask 0 none, 1 causal, 2 window 256,
/// 3 none with T5-small's relative position bias (32 buckets, max distance 128,
/// bidirectional: the encoder's) from a [buckets, heads] table.
constexpr int kT5Bias = 3;
constexpr int64_t kT5Buckets = 32;
KernelSpec attentionSpec(int mask, int64_t heads, int64_t d) {
  KernelSpec s;
  s.name = "attention";
  s.kind = KernelKind::Attention;
  s.inputs = {f32({-1, heads, -1, d}), f32({-1, heads, -1, d}), f32({-1, heads, -1, d})};
  s.output = f32({-1, heads, -1, d});
  s.scalar = 1.0f / std::sqrt((float)d);
  s.flag = mask == 1 || mask == 2;
  s.ints = {mask == 2 ? 256 : 0, 0, 0, 0, 0, 0, 0};
  if (mask == kT5Bias) {
    s.inputs.push_back(f32({kT5Buckets, heads}));
    s.ints[1] = kT5Buckets;
    s.ints[2] = 128;
    s.ints[3] = 1;
  }
  return s;
}

/// q, k, v [1, 12, S, 64] -> [1, 12, S, 64]; mask 0 none, 1 causal, 2 window 256;
/// 3 (T5-small's encoder): 8 heads, no mask, the relative position bias.
void attention(benchmark::State &state, int mask) {
  int64_t seq = state.range(0), heads = mask == kT5Bias ? 8 : 12, d = 64;
  KernelSpec s = attentionSpec(mask, heads, d);
  double keys = mask == 1   ? (double)seq * (seq + 1) / 2
                : mask == 2 ? (double)seq * (double)std::min<int64_t>(seq, 256)
                            : (double)seq * seq;
  std::vector<int64_t> shape{1, heads, seq, d};
  std::vector<std::vector<int64_t>> inputs{shape, shape, shape};
  if (mask == kT5Bias)
    inputs.push_back({kT5Buckets, heads});
  runKernel(state, s, inputs, shape, 4.0 * heads * d * keys, 4.0 * 4 * heads * seq * d);
}

/// A decode step's attention: one query per head over `keys` cached keys and
/// values (q [1, 12, 1, 64], k and v [1, 12, keys, 64]), no mask; `cold` 1:
/// the keys and values come from memory, as in a model between its GEMVs.
void attentionDecode(benchmark::State &state) {
  int64_t keys = state.range(0), heads = 12, d = 64;
  KernelSpec s = attentionSpec(/*mask=*/0, heads, d);
  std::vector<int64_t> one{1, heads, 1, d}, cached{1, heads, keys, d};
  runKernel(state, s, {one, cached, cached}, one, 4.0 * heads * d * (double)keys,
            4.0 * 2 * heads * (double)keys * d, 1, state.range(1) ? 1 : SIZE_MAX);
}

void norm(benchmark::State &state, bool rms) {
  int64_t seq = state.range(0), d = 768;
  KernelSpec s;
  s.name = "norm";
  s.kind = rms ? KernelKind::RmsNorm : KernelKind::LayerNorm;
  s.inputs = {f32({-1, -1, d}), f32({d})};
  if (!rms)
    s.inputs.push_back(f32({d}));
  s.output = f32({-1, -1, d});
  s.scalar = 1e-5f;
  std::vector<std::vector<int64_t>> shapes{{1, seq, d}, {d}};
  if (!rms)
    shapes.push_back({d});
  runKernel(state, s, shapes, {1, seq, d}, 8.0 * seq * d, 8.0 * seq * d);
}

void embedding(benchmark::State &state) {
  int64_t seq = state.range(0), vocab = 50257, d = 768;
  KernelSpec s;
  s.name = "embedding";
  s.kind = KernelKind::Embedding;
  s.inputs = {f32({vocab, d}), {true, {-1, -1}}};
  s.output = f32({-1, -1, d});
  runKernel(state, s, {{vocab, d}, {1, seq}}, {1, seq, d}, 0.0, 8.0 * seq * d, vocab);
}

} // namespace

#define XF_GEMM(NAME, K, N, ACT, GATED)                                                     \
  BENCHMARK_CAPTURE(gemm, NAME, K, N, ACT, GATED)                                           \
      ->ArgName("rows")                                                                     \
      ->Arg(1)                                                                              \
      ->Arg(128)                                                                            \
      ->Arg(512)                                                                            \
      ->Unit(benchmark::kMillisecond)                                                       \
      ->UseRealTime();

#define XF_GEMM_COLD(NAME, K, N, ACT, GATED)                                                \
  BENCHMARK_CAPTURE(gemm, NAME##_cold, K, N, ACT, GATED, true)                              \
      ->ArgName("rows")                                                                     \
      ->Arg(1)                                                                              \
      ->Arg(128)                                                                            \
      ->Unit(benchmark::kMillisecond)                                                       \
      ->UseRealTime();

// BERT-base and GPT-2 small.
XF_GEMM(qkv_768x2304, 768, 2304, 0, false)
XF_GEMM(out_768x768, 768, 768, 0, false)
XF_GEMM(fc_gelu_768x3072, 768, 3072, 1, false)
XF_GEMM(proj_3072x768, 3072, 768, 0, false)
XF_GEMM(lm_head_768x50257, 768, 50257, 0, false)
// LLaMA-125M (4 KV heads: q + k + v = 768 + 256 + 256) and T5-small.
XF_GEMM(llama_qkv_768x1280, 768, 1280, 0, false)
XF_GEMM(llama_gated_silu_768x2048, 768, 2048, 3, true)
XF_GEMM(llama_down_2048x768, 2048, 768, 0, false)
XF_GEMM(t5_ff_relu_512x2048, 512, 2048, 4, false)
XF_GEMM(t5_ff_out_2048x512, 2048, 512, 0, false)
// The same with weights from memory, as in a model (decode streams them).
XF_GEMM_COLD(qkv_768x2304, 768, 2304, 0, false)
XF_GEMM_COLD(out_768x768, 768, 768, 0, false)
XF_GEMM_COLD(fc_gelu_768x3072, 768, 3072, 1, false)
XF_GEMM_COLD(proj_3072x768, 3072, 768, 0, false)
XF_GEMM_COLD(llama_gated_silu_768x2048, 768, 2048, 3, true)

BENCHMARK_CAPTURE(attention, none, 0)->RangeMultiplier(2)->Range(128, 2048)->ArgName("seq")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(attention, causal, 1)->RangeMultiplier(2)->Range(128, 2048)->ArgName("seq")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(attention, window256, 2)->RangeMultiplier(2)->Range(128, 2048)->ArgName("seq")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(attention, t5bias, kT5Bias)->Arg(128)->Arg(512)->ArgName("seq")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(attentionDecode)->ArgsProduct({{128, 512, 2048}, {0, 1}})->ArgNames({"keys", "cold"})->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(norm, layer_norm, false)->Arg(1)->Arg(128)->Arg(512)->ArgName("rows")->UseRealTime();
BENCHMARK_CAPTURE(norm, rms_norm, true)->Arg(1)->Arg(128)->Arg(512)->ArgName("rows")->UseRealTime();
BENCHMARK(embedding)->Arg(1)->Arg(128)->Arg(512)->ArgName("rows")->UseRealTime();

BENCHMARK_MAIN();
