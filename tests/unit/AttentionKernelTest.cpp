//===- AttentionKernelTest.cpp - the attention kernel vs a naive loop -*- C++ -*-===//
//
// JIT-compiles the attention kernel from KernelSpecs, as the executables'
// objects are, and checks it against a plain softmax(q k^T * scale) v on
// random data: both schedules (a decode step's row at a time, and query
// tiles of 8 with partial last tiles and several tiles per task), with no
// mask, causal, a sliding window, per-sequence key lengths, grouped-query
// heads, more keys than queries (a prefill over a cache), a query rope, and
// T5's relative position bias (its buckets from tables torch computed with
// Hugging Face's formula).
//
//===----------------------------------------------------------------------===//

#include "codegen/halide/KernelSpec.h"

#include "HalideBuffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace xf::codegen;
using Halide::Runtime::Buffer;

namespace {

struct Case {
  int64_t batch, heads, kvHeads, sq, sk, dim;
  bool causal = false;
  int64_t window = 0;
  bool keyLengths = false;
  bool queryRope = false;
  bool bias = false; // T5's relative position bias (kBuckets, kMaxDistance)
  bool bidirectional = true;
};

constexpr int64_t kMaxDistance = 20, kBuckets = 16;

/// Hugging Face's T5Attention._relative_position_bucket for 16 buckets and a
/// max distance of 20 at relative positions (key - query) -44 ... 44, as
/// torch computes it (tests/e2e/t5_reference.py's relative_position_bucket).
constexpr int64_t kMaxRelative = 44;
const int64_t kBucketsBidirectional[] = {
    7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,  7,
    7,  7,  7,  7,  7,  7,  7,  7,  6,  6,  6,  6,  6,  5,  5,  5,  4,  4,  3,  2,  1,  0,  9,
    10, 11, 12, 12, 13, 13, 13, 14, 14, 14, 14, 14, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,
    15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15};
const int64_t kBucketsCausal[] = {
    15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,
    15, 15, 15, 15, 14, 14, 13, 12, 12, 11, 10, 9,  9,  8,  7,  6,  5,  4,  3,  2,  1,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0};

int64_t t5Bucket(int64_t rel, bool bidirectional) {
  EXPECT_LE(std::abs(rel), kMaxRelative) << "a relative position past the tables";
  rel = std::clamp<int64_t>(rel, -kMaxRelative, kMaxRelative);
  return (bidirectional ? kBucketsBidirectional : kBucketsCausal)[rel + kMaxRelative];
}

std::string describe(const Case &c) {
  return "B" + std::to_string(c.batch) + " H" + std::to_string(c.heads) + "/" +
         std::to_string(c.kvHeads) + " Sq" + std::to_string(c.sq) + " Sk" +
         std::to_string(c.sk) + (c.causal ? " causal" : "") +
         (c.window ? " window" + std::to_string(c.window) : "") +
         (c.keyLengths ? " lengths" : "") + (c.queryRope ? " rope" : "") +
         (c.bias ? std::string(" bias") + (c.bidirectional ? " bidirectional" : "") : "");
}

Buffer<float> random(std::vector<int> sizes, std::mt19937 &rng) {
  Buffer<float> b(sizes);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  b.for_each_value([&](float &v) { v = d(rng); });
  return b;
}

/// HF rotate_half RoPE of head vector x at `position`, as ropeAt computes it.
std::vector<double> rotate(const std::vector<double> &x, int64_t position, float theta) {
  int64_t dim = (int64_t)x.size(), half = dim / 2;
  std::vector<double> out(dim);
  for (int64_t d = 0; d < dim; ++d) {
    int64_t i = d < half ? d : d - half;
    double invFreq = 1.0 / std::pow((double)theta, (double)(2 * i) / (double)dim);
    double angle = (double)position * invFreq;
    double partner = d < half ? -x[d + half] : x[d - half];
    out[d] = x[d] * std::cos(angle) + partner * std::sin(angle);
  }
  return out;
}

void check(const Case &c) {
  SCOPED_TRACE(describe(c));
  const float scale = 1.0f / std::sqrt((float)c.dim), theta = 10000.0f;
  KernelSpec s;
  s.name = "attention";
  s.kind = KernelKind::Attention;
  KernelArg q{false, {-1, c.heads, -1, c.dim}}, kv{false, {-1, c.kvHeads, -1, c.dim}};
  s.inputs = {q, kv, kv};
  if (c.bias)
    s.inputs.push_back({false, {kBuckets, c.heads}});
  if (c.keyLengths)
    s.inputs.push_back({true, {-1}});
  if (c.queryRope)
    s.inputs.push_back({true, {-1, -1}});
  s.output = q;
  s.scalar = scale;
  s.scalar2 = theta;
  s.flag = c.causal;
  s.ints = {c.window, c.bias ? kBuckets : 0, kMaxDistance, c.bidirectional ? 1 : 0, 0,
            c.keyLengths ? 1 : 0, c.queryRope ? 1 : 0};

  std::mt19937 rng(11);
  auto qb = random({(int)c.dim, (int)c.sq, (int)c.heads, (int)c.batch}, rng);
  auto kb = random({(int)c.dim, (int)c.sk, (int)c.kvHeads, (int)c.batch}, rng);
  auto vb = random({(int)c.dim, (int)c.sk, (int)c.kvHeads, (int)c.batch}, rng);
  auto table = random({(int)c.heads, (int)kBuckets}, rng);
  Buffer<int64_t> lengths((int)c.batch), positions((int)c.sq, (int)c.batch);
  for (int64_t b = 0; b < c.batch; ++b) {
    lengths(b) = std::max<int64_t>(1, c.sk - 3 * b); // sequence b is 3b keys short
    for (int64_t i = 0; i < c.sq; ++i)
      positions(i, b) = i + (c.sk - c.sq);
  }
  Buffer<float> out((int)c.dim, (int)c.sq, (int)c.heads, (int)c.batch);
  std::vector<halide_buffer_t *> raw{qb.raw_buffer(), kb.raw_buffer(), vb.raw_buffer()};
  if (c.bias)
    raw.push_back(table.raw_buffer());
  if (c.keyLengths)
    raw.push_back(lengths.raw_buffer());
  if (c.queryRope)
    raw.push_back(positions.raw_buffer());
  raw.push_back(out.raw_buffer());

  std::string error;
  auto kernel = JitKernel::compile(s, error);
  ASSERT_TRUE(kernel) << error;
  ASSERT_TRUE(kernel->run(raw, error)) << error;

  const int64_t group = c.heads / c.kvHeads, offset = c.sk - c.sq;
  double worst = 0;
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t h = 0; h < c.heads; ++h)
      for (int64_t i = 0; i < c.sq; ++i) {
        std::vector<double> qi(c.dim);
        for (int64_t d = 0; d < c.dim; ++d)
          qi[d] = qb(d, i, h, b);
        if (c.queryRope)
          qi = rotate(qi, positions(i, b), theta);
        std::vector<double> w(c.sk, 0.0);
        double mx = -INFINITY, den = 0;
        for (int64_t j = 0; j < c.sk; ++j) {
          bool visible = (!c.causal || j <= i + offset) &&
                         (!c.causal || !c.window || i + offset - j < c.window) &&
                         (!c.keyLengths || j < lengths(b));
          if (!visible) {
            w[j] = NAN;
            continue;
          }
          double dot = 0;
          for (int64_t d = 0; d < c.dim; ++d)
            dot += qi[d] * kb(d, j, h / group, b);
          w[j] = dot * scale;
          if (c.bias)
            w[j] += table(h, t5Bucket(j - (i + offset), c.bidirectional));
          mx = std::max(mx, w[j]);
        }
        for (int64_t j = 0; j < c.sk; ++j)
          if (!std::isnan(w[j]))
            den += (w[j] = std::exp(w[j] - mx));
        for (int64_t d = 0; d < c.dim; ++d) {
          double num = 0;
          for (int64_t j = 0; j < c.sk; ++j)
            if (!std::isnan(w[j]))
              num += w[j] * vb(d, j, h / group, b);
          double err = std::abs(num / den - (double)out(d, i, h, b));
          ASSERT_FALSE(std::isnan(out(d, i, h, b))) << "b " << b << " h " << h << " i " << i;
          worst = std::max(worst, err);
        }
      }
  EXPECT_LT(worst, 2e-5) << "largest difference from the naive loop";
}

TEST(AttentionKernel, DecodeRowsAndShortPrompts) {
  check({1, 2, 2, 1, 1, 16});
  check({2, 4, 2, 1, 37, 16, true});
  check({1, 2, 1, 5, 5, 16, true});
  check({2, 2, 2, 7, 19, 16, true, 4});
}

TEST(AttentionKernel, TiledNoMask) {
  check({1, 2, 2, 8, 8, 16});
  check({2, 3, 3, 77, 77, 32});
  check({1, 2, 2, 130, 130, 64});
}

TEST(AttentionKernel, TiledCausal) {
  check({1, 2, 2, 9, 9, 16, true});
  check({1, 4, 2, 77, 77, 32, true});
  check({1, 2, 2, 20, 45, 16, true}); // more keys than queries: a prefill over a cache
  check({1, 2, 2, 130, 130, 64, true});
}

TEST(AttentionKernel, TiledSlidingWindow) {
  check({1, 2, 2, 12, 12, 16, true, 4});
  check({1, 2, 1, 100, 100, 16, true, 13});
  check({1, 2, 2, 70, 90, 16, true, 33});
}

TEST(AttentionKernel, TiledKeyLengthsAndRope) {
  check({3, 2, 2, 21, 21, 16, false, 0, true});
  check({3, 2, 2, 21, 21, 16, true, 0, true});
  check({2, 4, 2, 33, 33, 32, true, 0, false, true});
  check({2, 2, 2, 3, 3, 16, true, 0, false, true});
}

TEST(AttentionKernel, T5RelativeBias) {
  Case encoder{1, 2, 2, 40, 40, 16};
  encoder.bias = true; // positions past kMaxDistance share the last bucket
  check(encoder);
  Case decoder{2, 2, 2, 20, 45, 16, true};
  decoder.bias = true;
  decoder.bidirectional = false;
  check(decoder); // tiles over a cache
  decoder.sq = 1;
  check(decoder); // a decode step
}

} // namespace
