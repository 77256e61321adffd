//===- KernelCompiler.cpp - kernel specs to object files --------*- C++ -*-===//
//
// Builds the Halide pipeline of one kernel (inputs as ImageParams whose static
// sizes are declared, so Halide checks them at every call), compiles it ahead
// of time, and turns every Halide::Error into an error string.
//
//===----------------------------------------------------------------------===//

#include "codegen/halide/KernelEmitters.h"

#include <cstdlib>
#include <filesystem>

#include <algorithm>

using namespace Halide;

namespace xf::codegen {

const char *kernelKindName(KernelKind kind) {
  switch (kind) {
  case KernelKind::Embedding: return "embedding";
  case KernelKind::Linear: return "linear";
  case KernelKind::Matmul: return "matmul";
  case KernelKind::Add: return "add";
  case KernelKind::Mul: return "mul";
  case KernelKind::Scale: return "scale";
  case KernelKind::LayerNorm: return "layer_norm";
  case KernelKind::RmsNorm: return "rms_norm";
  case KernelKind::Silu: return "silu";
  case KernelKind::Relu: return "relu";
  case KernelKind::Rope: return "rope";
  case KernelKind::RepeatHeads: return "repeat_heads";
  case KernelKind::SlidingWindowMask: return "sliding_window_mask";
  case KernelKind::PaddingMask: return "padding_mask";
  case KernelKind::Softmax: return "softmax";
  case KernelKind::Gelu: return "gelu";
  case KernelKind::Transpose: return "transpose";
  case KernelKind::CausalMask: return "causal_mask";
  case KernelKind::Attention: return "attention";
  case KernelKind::Moe: return "moe";
  case KernelKind::RelativePositionBias: return "relative_position_bias";
  case KernelKind::Iota: return "iota";
  case KernelKind::Compare: return "compare";
  case KernelKind::Select: return "select";
  }
  return "unknown";
}

Var fuseFrom(Func out, const std::vector<Var> &v, size_t first, const std::string &name) {
  Var fused = v[first];
  for (size_t i = first + 1; i < v.size(); ++i) {
    Var next(name + std::to_string(i));
    out.fuse(fused, v[i], next);
    fused = next;
  }
  return fused;
}

Var scheduleRowwise(Func out, const std::vector<Var> &v, const KernelSpec &s, int vector) {
  out.vectorize(v[0], vector, TailStrategy::GuardWithIf);
  if (v.size() < 2)
    return v[0];
  Var rows = fuseFrom(out, v, 1, "rows");
  int64_t rowLength = s.output.shape.empty() ? -1 : s.output.shape.back();
  int grain = rowLength > 0 ? (int)std::clamp<int64_t>(16384 / rowLength, 1, 256) : 16;
  Var chunk("chunk"), row("row");
  out.split(rows, chunk, row, grain, TailStrategy::GuardWithIf).parallel(chunk);
  return row;
}

Var gpuScheduleRowwise(Func out, const std::vector<Var> &v, int threads) {
  if (v.empty()) {
    out.gpu_single_thread();
    return Var::outermost();
  }
  Var xo("xo"), xi("xi");
  out.split(v[0], xo, xi, threads, TailStrategy::GuardWithIf);
  if (v.size() < 2) {
    out.gpu_blocks(xo).gpu_threads(xi);
    return xo;
  }
  Var rows = fuseFrom(out, v, 1, "rows");
  out.reorder(xi, xo, rows).gpu_blocks(rows).gpu_threads(xi);
  return rows;
}

static Func emit(const KernelSpec &s, Inputs &in, bool gpu) {
  switch (s.kind) {
  case KernelKind::Embedding: return emitEmbedding(s, in, gpu);
  case KernelKind::Linear: return emitLinear(s, in, gpu);
  case KernelKind::Matmul: return emitMatmul(s, in, gpu);
  case KernelKind::Add:
  case KernelKind::Mul:
  case KernelKind::Scale:
  case KernelKind::Gelu:
  case KernelKind::Silu:
  case KernelKind::Relu: return emitElementwise(s, in, gpu);
  case KernelKind::LayerNorm: return emitLayerNorm(s, in, gpu);
  case KernelKind::RmsNorm: return emitRmsNorm(s, in, gpu);
  case KernelKind::Rope: return emitRope(s, in, gpu);
  case KernelKind::RepeatHeads: return emitRepeatHeads(s, in, gpu);
  case KernelKind::SlidingWindowMask: return emitCausalMask(s, in, gpu);
  case KernelKind::PaddingMask: return emitPaddingMask(s, in, gpu);
  case KernelKind::Softmax: return emitSoftmax(s, in, gpu);
  case KernelKind::Transpose: return emitTranspose(s, in, gpu);
  case KernelKind::CausalMask: return emitCausalMask(s, in, gpu);
  case KernelKind::Attention: return emitAttention(s, in, gpu);
  case KernelKind::Moe: return emitMoe(s, in, gpu);
  case KernelKind::RelativePositionBias: return emitRelativePositionBias(s, in, gpu);
  case KernelKind::Iota: return emitIota(s, in, gpu);
  case KernelKind::Compare: return emitCompare(s, in, gpu);
  case KernelKind::Select: return emitSelect(s, in, gpu);
  }
  throw CompileError("unknown kernel kind");
}

namespace {
const char *kSupportedTargets =
    "host, x86-64-avx2, x86-64-avx512, x86-64, arm64, cuda (sm_80), cuda-sm90, opencl, or an "
    "x86-64-linux or arm-64-linux Halide target string";

/// The x86-64 host part of a GPU target: the kernels' host code only checks
/// buffers and launches, so it asks nothing of the CPU beyond SSE4.1.
constexpr const char *kGpuHost = "x86-64-linux-sse41";

bool resolveOneTarget(const std::string &alias, std::string &halideTarget, std::string &error) {
  if (alias == "host") {
    halideTarget = get_host_target().to_string();
    return true;
  }
  if (alias == "x86-64-avx2") {
    halideTarget = "x86-64-linux-avx-avx2-f16c-fma-sse41";
    return true;
  }
  if (alias == "x86-64-avx512") {
    halideTarget = "x86-64-linux-avx-avx2-avx512-avx512_skylake-f16c-fma-sse41";
    return true;
  }
  // CUDA kernels as PTX for sm_80 (Ampere) by default. Halide 14's newest
  // capability is sm_86; on Hopper (cuda-sm90) the driver compiles that PTX
  // for sm_90 when the binary first loads it.
  if (alias == "cuda") {
    halideTarget = std::string(kGpuHost) + "-cuda-cuda_capability_80";
    return true;
  }
  if (alias == "cuda-sm90") {
    halideTarget = std::string(kGpuHost) + "-cuda-cuda_capability_86";
    return true;
  }
  // The same GPU schedules through OpenCL: with Debian's pocl they run on
  // this CPU, which is how the suite checks their numbers without a GPU.
  if (alias == "opencl") {
    halideTarget = std::string(kGpuHost) + "-opencl";
    return true;
  }
  if (Target::validate_target_string(alias)) {
    Target t(alias);
    bool gpuOk = !t.has_gpu_feature() ||
                 (t.arch == Target::X86 && (t.has_feature(Target::CUDA) ||
                                            t.has_feature(Target::OpenCL)) &&
                  !(t.has_feature(Target::CUDA) && t.has_feature(Target::OpenCL)));
    if ((t.arch != Target::X86 && t.arch != Target::ARM) || t.bits != 64 ||
        t.os != Target::Linux || !gpuOk) {
      error = "target '" + alias + "' is not supported yet (supported: " + kSupportedTargets +
              ")";
      return false;
    }
    halideTarget = t.to_string();
    return true;
  }
  if (alias == "x86-64") {
    halideTarget = "x86-64-linux-sse41";
    return true;
  }
  if (alias == "arm64") {
    halideTarget = "arm-64-linux";
    return true;
  }
  error = "unknown target '" + alias + "' (supported: " + kSupportedTargets + ")";
  return false;
}

std::vector<std::string> splitTargets(const std::string &target) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t comma = target.find(',', start);
    parts.push_back(target.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos)
      return parts;
    start = comma + 1;
  }
}
} // namespace

/// One target, or several separated by commas (a binary with CPU variants,
/// best first: each kernel picks the first the running CPU supports).
bool resolveTarget(const std::string &alias, std::string &halideTarget, std::string &error) {
  std::vector<std::string> parts = splitTargets(alias), resolved;
  for (const std::string &p : parts) {
    std::string one;
    if (!resolveOneTarget(p, one, error))
      return false;
    resolved.push_back(one);
  }
  if (resolved.size() > 1) {
    for (const std::string &r : resolved)
      if (Target(r).has_gpu_feature()) {
        error = "a GPU target cannot be one of several CPU variants: give it alone";
        return false;
      }
    Target last(resolved.back());
    for (size_t i = 0; i + 1 < resolved.size(); ++i)
      if (Target(resolved[i]).arch != last.arch || Target(resolved[i]).bits != last.bits ||
          Target(resolved[i]).os != last.os) {
        error = "the variants of a multi-target binary must share arch, bits and os";
        return false;
      }
  }
  halideTarget.clear();
  for (size_t i = 0; i < resolved.size(); ++i)
    halideTarget += (i ? "," : "") + resolved[i];
  return true;
}

std::string deviceApiOf(const std::string &halideTarget) {
  Target t(splitTargets(halideTarget).front());
  return t.has_feature(Target::CUDA) ? "cuda" : t.has_feature(Target::OpenCL) ? "opencl" : "";
}

namespace {
/// The kernel's inputs as ImageParams with what is known of their sizes.
Inputs makeInputs(const KernelSpec &spec) {
  Inputs in;
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    const KernelArg &a = spec.inputs[i];
    ImageParam p(a.isInt ? Int(64) : Float(32), a.rank(), "in" + std::to_string(i));
    // Every buffer the host passes starts at 0 (Tensor::hb); saying so
    // lets Halide simplify index arithmetic (a panel's column v % 64 is a
    // dense vector, not a gather).
    for (int t = 0; t < a.rank(); ++t)
      if (a.shape[t] >= 0)
        p.dim(a.rank() - 1 - t).set_bounds(0, (int)a.shape[t]);
      else
        p.dim(a.rank() - 1 - t).set_min(0);
    in.push_back(p);
  }
  return in;
}

/// The kernel's pipeline over `in`, with GPU or CPU schedules; its output
/// starts at 0 too.
Func emitOutput(const KernelSpec &spec, Inputs &in, bool gpu) {
  Func out = emit(spec, in, gpu);
  for (int d = 0; d < out.dimensions(); ++d)
    out.output_buffer().dim(d).set_min(0);
  return out;
}

class JitKernelImpl : public JitKernel {
public:
  JitKernelImpl(const KernelSpec &spec)
      : in_(makeInputs(spec)), out_(emitOutput(spec, in_, /*gpu=*/false)) {
    pipeline_ = Pipeline(out_);
    pipeline_.compile_jit(get_host_target());
  }
  bool run(const std::vector<halide_buffer_t *> &buffers, std::string &error) override {
    try {
      if (buffers.size() != in_.size() + 1) {
        error = "expected " + std::to_string(in_.size() + 1) + " buffers";
        return false;
      }
      for (size_t i = 0; i < in_.size(); ++i)
        in_[i].set(Buffer<>(*buffers[i]));
      Buffer<> out(*buffers.back());
      pipeline_.realize(out, get_host_target());
      return true;
    } catch (const Halide::Error &e) {
      error = e.what();
      return false;
    }
  }

private:
  Inputs in_;
  Func out_;
  Pipeline pipeline_;
};
} // namespace

std::unique_ptr<JitKernel> JitKernel::compile(const KernelSpec &spec, std::string &error) {
  try {
    return std::make_unique<JitKernelImpl>(spec);
  } catch (const Halide::Error &e) {
    error = std::string("Halide failed to JIT-compile a ") + kernelKindName(spec.kind) +
            " kernel: " + e.what();
    return nullptr;
  }
}

namespace {
/// A kernel compiled once per CPU variant (best first) plus Halide's wrapper
/// that picks, at the first call, the first variant the CPU supports
/// (halide_can_use_target_features), linked into one relocatable object so
/// the rest of code generation sees one object per kernel.
bool compileVariants(Pipeline &pipeline, const std::vector<Argument> &args,
                     const std::string &name, const std::vector<std::string> &variants,
                     const std::string &objectPath, std::string &error) {
  std::vector<Target> targets;
  std::vector<std::string> suffixes;
  for (size_t i = 0; i < variants.size(); ++i) {
    targets.push_back(Target(variants[i]).with_feature(Target::NoRuntime));
    suffixes.push_back("v" + std::to_string(i));
  }
  namespace fs = std::filesystem;
  fs::path dir = objectPath + ".variants";
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  compile_multitarget(
      name, {{OutputFileType::object, (dir / "kernel.o").string()}}, targets, suffixes,
      [&](const std::string &fn, const Target &t) { return pipeline.compile_to_module(args, fn, t); });
  std::string ld = "ld -r -o '" + objectPath + "'";
  for (const auto &e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".o")
      ld += " '" + e.path().string() + "'";
  int rc = std::system(ld.c_str());
  fs::remove_all(dir, ec);
  if (rc != 0) {
    error = "linking the CPU variants of kernel " + name + " failed: " + ld;
    return false;
  }
  return true;
}
} // namespace

bool compileKernel(const KernelSpec &spec, const std::string &target,
                   const std::string &objectPath, const std::string &dumpPrefix,
                   std::string &error) {
  try {
    std::vector<std::string> variants = splitTargets(target);
    Inputs in = makeInputs(spec);
    Func out = emitOutput(spec, in, Target(variants.front()).has_gpu_feature());
    Pipeline pipeline(out);
    std::vector<Argument> args(in.begin(), in.end());
    if (variants.size() > 1 &&
        !compileVariants(pipeline, args, spec.name, variants, objectPath, error))
      return false;
    // A multi-variant kernel's dumps are those of its first (best) variant.
    Target t = Target(variants.front()).with_feature(Target::NoRuntime);
    std::map<OutputFileType, std::string> outputs;
    if (variants.size() == 1)
      outputs[OutputFileType::object] = objectPath;
    if (!dumpPrefix.empty()) {
      outputs[OutputFileType::stmt] = dumpPrefix + ".stmt";
      outputs[OutputFileType::stmt_html] = dumpPrefix + ".stmt.html";
      outputs[OutputFileType::assembly] = dumpPrefix + ".s";
    }
    if (!outputs.empty())
      pipeline.compile_to(outputs, args, spec.name, t);
    return true;
  } catch (const Halide::Error &e) {
    error = "Halide failed to compile kernel " + spec.name + " (" +
            kernelKindName(spec.kind) + "): " + e.what();
    return false;
  }
}

bool compileHalideRuntime(const std::string &target, const std::string &objectPath,
                          std::string &error) {
  try {
    // A multi-variant binary: the runtime of its baseline (last) variant,
    // which also detects the CPU's features for the kernels' wrappers.
    std::vector<std::string> variants = splitTargets(target);
    compile_standalone_runtime(objectPath, Target(variants.back()));
    return true;
  } catch (const Halide::Error &e) {
    error = std::string("Halide failed to compile its runtime: ") + e.what();
    return false;
  }
}

} // namespace xf::codegen
