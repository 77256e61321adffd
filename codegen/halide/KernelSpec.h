//===- KernelSpec.h - what one kernel computes, for Halide ------*- C++ -*-===//
//
// The narrow interface between the MLIR side of code generation and the
// Halide side: a plain description of one outlined kernel (its op kind,
// operand ranks and static sizes, attributes), and the calls that compile it
// ahead of time to an object file. Neither MLIR nor Halide headers are
// included here, so each side builds against its own LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef XF_CODEGEN_HALIDE_KERNELSPEC_H
#define XF_CODEGEN_HALIDE_KERNELSPEC_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct halide_buffer_t;

namespace xf::codegen {

enum class KernelKind {
  Embedding,  // (table [V, D], ids [..]) -> [.., D]
  Linear,     // (x [.., K], w [K, N] | [N, K] (transposed), bias? [N], residual? [.., N],
              //  gate? (w's shape))
              // -> [.., N]; ints: has bias, has residual, activation (0 none,
              // 1 gelu_tanh, 2 gelu, 3 silu, 4 relu), has gate
  Matmul,     // (a [.., M, K], b [.., K, N]) -> [.., M, N]
  Add,        // (lhs, rhs suffix-broadcast) -> lhs shape
  Mul,        // (lhs, rhs suffix-broadcast) -> lhs shape
  Scale,      // (x) * factor
  LayerNorm,  // (x [.., D], gamma [D], beta [D]) eps
  RmsNorm,    // (x [.., D], weight [D]) eps
  Softmax,    // (x) over the last dimension
  Gelu,       // (x), tanh approximation or erf
  Silu,       // (x) * sigmoid(x)
  Relu,       // max(x, 0)
  Rope,       // (x [B, H, S, D], positions [B, S]) theta
  RepeatHeads, // (x [B, KVH, S, D]) -> [B, KVH * ints[0], S, D]
  Transpose,  // (x) permuted
  CausalMask, // (ids [B, S]) -> [S, S] of 0 / lowest
  SlidingWindowMask, // (ids [B, S]) -> [S, S], window ints[0]
  PaddingMask, // (lengths [B], ids [B, S]) -> [B, 1, 1, S]
  Attention,  // (q, k, v, mask? [Sq, Sk]) -> [B, H, Sq, Dv]
  Moe,        // (x [.., H], gate [E, H], w1 [E, I, H], w2 [E, H, I], w3 [E, I, H]) top_k ints[0]
  RelativePositionBias, // (table [buckets, H], qids, kids) -> [H, Sq, Sk]; ints: buckets,
                        // max_distance, bidirectional
  Iota,       // (ref) -> i64 positions along result axis ints[0]
  Compare,    // (lhs i64, rhs i64, size-1 dims broadcast) -> 0/1 (i1 held as i64);
              // ints: predicate (lt, le, gt, ge, eq, ne), offset added to rhs
  Select,     // (cond 0/1) -> f32 of cond's shape: scalar where true, scalar2 where false
};

const char *kernelKindName(KernelKind kind);

/// One operand or the result: element type, and sizes outermost first
/// (-1 where dynamic).
struct KernelArg {
  bool isInt = false; // i64 (ids; i1 conditions are held as i64 0/1) or f32
  std::vector<int64_t> shape;
  int rank() const { return (int)shape.size(); }
};

struct KernelSpec {
  std::string name; // the symbol the object defines
  KernelKind kind = KernelKind::Add;
  std::vector<KernelArg> inputs;
  KernelArg output;
  /// Scale factor, norm epsilon, attention scale or rope theta; Select: the
  /// value where true (`scalar`) and where false (`scalar2`); Attention: the
  /// query rope theta (`scalar2`).
  float scalar = 0.0f, scalar2 = 0.0f;
  /// transpose_w (Linear), tanh approximation (Gelu), causal (Attention).
  bool flag = false;
  /// Permutation (Transpose, tensor order);
  /// window (SlidingWindowMask); repeats; Attention: window (0: none),
  /// bias buckets (0: no bias table), bias max_distance, bias bidirectional,
  /// has-mask, has-key-lengths, has-query-rope (operands after q, k, v: mask,
  /// bias table, key lengths, query positions, each when present).
  std::vector<int64_t> ints;
};

/// Compiles `spec` for `target` (a Halide target string, without the runtime)
/// into `objectPath`; with a non-empty `dumpPrefix` also its lowered statement
/// (`.stmt`), the statement as HTML (`.stmt.html`) and its assembly (`.s`).
/// Returns false with `error` set on any Halide error.
bool compileKernel(const KernelSpec &spec, const std::string &target,
                   const std::string &objectPath, const std::string &dumpPrefix,
                   std::string &error);

/// A kernel JIT-compiled for this machine (the kernel microbenchmarks):
/// `run` takes one buffer per input, then the output, like the entry point
/// of the kernel's object.
class JitKernel {
public:
  static std::unique_ptr<JitKernel> compile(const KernelSpec &spec, std::string &error);
  virtual ~JitKernel() = default;
  virtual bool run(const std::vector<halide_buffer_t *> &buffers, std::string &error) = 0;
};

/// Compiles the Halide runtime (thread pool, buffers, errors) once per target.
bool compileHalideRuntime(const std::string &target, const std::string &objectPath,
                          std::string &error);

/// The Halide target string for "host" and other aliases; false if unknown.
bool resolveTarget(const std::string &alias, std::string &halideTarget, std::string &error);

/// The GPU API a resolved target's kernels run on: "cuda", "opencl", or ""
/// for CPU targets.
std::string deviceApiOf(const std::string &halideTarget);

} // namespace xf::codegen

#endif // XF_CODEGEN_HALIDE_KERNELSPEC_H
