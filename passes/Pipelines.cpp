//===- Pipelines.cpp - the named stages of the xf pipeline ------*- C++ -*-===//
//
// The default pipeline, in order:
//   canonicalize      fold and clean what the importer wrote;
//   fuse-attention    matmul/scale/mask-add/softmax/matmul -> xf.attention,
//                     mask kept as an operand;
//   specialize-masks  known mask tensors -> mask attributes (no [seq, seq]);
//   fuse-epilogues    bias add, activation, residual add -> the GEMM's epilogue;
//                     a gated MLP -> one GEMM with a gate;
//   kv-cache          decoder forward -> prefill + decode with typed caches;
//   merge-projections the GEMMs of one input (Q, K, V) -> one GEMM and views;
//                     after kv-cache, which follows each cross-attention's
//                     K/V chain into @encode, so those merge there too;
//   pack-weights      GEMM weights stored in panels ([out, in] ones also transposed) at load;
//   outline-kernels   each compute op -> a kernel function;
//   dedup-kernels     identical kernels (identical layers) merged;
//   plan-memory       activation buffers numbered by liveness, in place where
//                     a pointwise kernel's operand dies.
// --no-opt keeps only outline-kernels and dedup-kernels, which code
// generation needs (every value then gets its own allocation).
//
//===----------------------------------------------------------------------===//

#include "passes/Pipelines.h"
#include "passes/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::xf;

std::vector<PipelineStage> mlir::xf::getPipelineStages(const PipelineOptions &options) {
  std::vector<PipelineStage> stages;
  if (options.optimize) {
    stages.push_back({"canonicalize", "fold constants, erase dead ops",
                      [](OpPassManager &pm) { pm.addPass(createCanonicalizerPass()); }});
    stages.push_back({"fuse-attention", "attention chains -> xf.attention",
                      [](OpPassManager &pm) { pm.addPass(createFuseAttention()); }});
    stages.push_back({"specialize-masks", "mask tensors -> mask attributes",
                      [](OpPassManager &pm) {
                        pm.addPass(createSpecializeMasks());
                        pm.addPass(createCanonicalizerPass());
                      }});
    stages.push_back({"fuse-epilogues", "bias, activation, residual -> GEMM epilogues",
                      [](OpPassManager &pm) { pm.addPass(createFuseEpilogues()); }});
    int64_t maxSeq = options.maxSeq;
    stages.push_back({"kv-cache", "decoder forward -> prefill + decode with KV-caches",
                      [maxSeq](OpPassManager &pm) {
                        KVCacheOptions o;
                        o.maxSeq = maxSeq;
                        pm.addPass(createKVCache(o));
                      }});
    stages.push_back({"merge-projections", "GEMMs of one input -> one GEMM and slices",
                      [](OpPassManager &pm) { pm.addPass(createMergeProjections()); }});
    stages.push_back({"pack-weights", "GEMM weights stored in 64-column panels at load ([out, in] ones transposed)",
                      [](OpPassManager &pm) { pm.addPass(createPackWeights()); }});
  }
  stages.push_back({"outline-kernels", "compute ops -> kernel functions",
                    [](OpPassManager &pm) { pm.addPass(createOutlineKernels()); }});
  stages.push_back({"dedup-kernels", "identical kernels merged",
                    [](OpPassManager &pm) { pm.addPass(createDedupKernels()); }});
  if (options.optimize)
    stages.push_back({"plan-memory", "activation buffers reused by liveness, in place",
                      [](OpPassManager &pm) { pm.addPass(createPlanMemory()); }});
  return stages;
}

void mlir::xf::buildXfPipeline(OpPassManager &pm, const PipelineOptions &options) {
  for (const PipelineStage &stage : getPipelineStages(options))
    stage.addPasses(pm);
}

void mlir::xf::registerXfPipelines() {
  PassPipelineRegistration<>("xf-pipeline", "The default xfc pipeline",
                             [](OpPassManager &pm) { buildXfPipeline(pm, {}); });
  PassPipelineRegistration<>("xf-pipeline-no-opt",
                             "Only what code generation needs (xfc --no-opt)",
                             [](OpPassManager &pm) {
                               PipelineOptions o;
                               o.optimize = false;
                               buildXfPipeline(pm, o);
                             });
}
