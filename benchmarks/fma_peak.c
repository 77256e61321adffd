/* fma_peak.c - the machine's fp32 FMA peak, for tools/bench.py's roofline.
 *
 * Every thread (OpenMP, threads = cores) runs 12 independent chains of
 * 16-wide fused multiply-adds (512-bit on AVX-512, two 256-bit halves
 * otherwise), enough to cover the FMA latency of current x86 cores, and the
 * program prints {"fma_gflops": ...} as JSON: 2 flops per lane per FMA.
 * Built at bench time with -O3 -march=native, so it measures the running CPU.
 */
#include <omp.h>
#include <stdio.h>

typedef float v16 __attribute__((vector_size(64)));

int main(void) {
  const long iters = 100000000;
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    double t0 = omp_get_wtime();
    float sink = 0;
#pragma omp parallel reduction(+ : sink)
    {
      v16 a[12], b, c;
      for (int i = 0; i < 16; ++i) {
        b[i] = 0.9999f;
        c[i] = 1e-4f;
      }
      for (int i = 0; i < 12; ++i)
        a[i] = b * (float)i;
      for (long n = 0; n < iters; ++n)
        for (int i = 0; i < 12; ++i)
          a[i] = a[i] * b + c;
      for (int i = 0; i < 12; ++i)
        sink += a[i][0];
    }
    double t = omp_get_wtime() - t0;
    double gflops = omp_get_max_threads() * (double)iters * 12 * 16 * 2 / t / 1e9;
    if (gflops > best)
      best = gflops;
    if (sink == 12345.0f)
      printf("#");
  }
  printf("{\"fma_gflops\": %.1f, \"threads\": %d}\n", best, omp_get_max_threads());
  return 0;
}
