//===- RelativeBuckets.h - T5's relative position buckets -------*- C++ -*-===//
//
// The bucket of a relative position (key position - query position) as
// Hugging Face's T5 computes it, in the same float32 operations, so the
// interpreter and the Halide kernels (which use a table made with this
// function at compile time) agree with the reference bit for bit. Plain C++,
// no MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef XF_DIALECT_RELATIVEBUCKETS_H
#define XF_DIALECT_RELATIVEBUCKETS_H

#include <cmath>
#include <cstdint>
#include <cstdlib>

namespace xf {

inline int64_t t5RelativeBucket(int64_t relative, bool bidirectional, int64_t numBuckets,
                                int64_t maxDistance) {
  int64_t bucket = 0, n;
  if (bidirectional) {
    numBuckets /= 2;
    if (relative > 0)
      bucket += numBuckets;
    n = std::llabs(relative);
  } else {
    n = relative < 0 ? -relative : 0;
  }
  int64_t maxExact = numBuckets / 2;
  if (n < maxExact)
    return bucket + n;
  float scaled = std::log((float)n / (float)maxExact) /
                 (float)std::log((double)maxDistance / (double)maxExact) *
                 (float)(numBuckets - maxExact);
  int64_t large = maxExact + (int64_t)scaled;
  if (large > numBuckets - 1)
    large = numBuckets - 1;
  return bucket + large;
}

} // namespace xf

#endif // XF_DIALECT_RELATIVEBUCKETS_H
