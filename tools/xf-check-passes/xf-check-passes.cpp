//===- xf-check-passes.cpp - every stage keeps the numbers ------*- C++ -*-===//
//
//   xf-check-passes model.mlir [--no-opt] [--tolerance T] [--seed N]
//
// Runs the model with the reference interpreter on random weights and a
// random ragged batch, then runs the pipeline stage by stage and, after each,
// runs the model again through whatever entry points it then has (forward;
// prefill + decode; encode + prefill + decode) and compares with the first
// run. Prints one line per stage; exits 1 if a stage moved the outputs by
// more than the tolerance (relative L2), 2 on a usage error.
//
//===----------------------------------------------------------------------===//

#include "dialect/XfModelRunner.h"
#include "passes/Pipelines.h"
#include "tools/InitAll.h"
#include "tools/MlirNesting.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputPath(cl::Positional, cl::desc("<model.mlir>"), cl::Required);
static cl::opt<bool> noOpt("no-opt", cl::desc("Check the --no-opt pipeline"));
static cl::opt<double> tolerance("tolerance", cl::desc("Largest relative L2 change allowed"),
                                 cl::init(1e-4));
static cl::opt<uint64_t> seed("seed", cl::desc("Seed of the random weights and ids"),
                              cl::init(7));
static cl::list<size_t> lengths("lengths", cl::desc("Sequence lengths of the random batch"),
                                cl::CommaSeparated);

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  if (!cl::ParseCommandLineOptions(argc, argv, "xf-check-passes\n", &llvm::errs()))
    return 2;
  DialectRegistry registry;
  xf::registerAllDialects(registry);
  xf::registerAllPasses();
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  llvm::SourceMgr sm;
  SourceMgrDiagnosticHandler diags(sm, &ctx);
  std::string error;
  auto file = openInputFile(inputPath, &error);
  if (!file) {
    llvm::errs() << "xf-check-passes: error: " << error << "\n";
    return 1;
  }
  if (mlir::xf::reportMlirNestingPastLimit(*file))
    return 1;
  sm.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sm, &ctx);
  if (!module)
    return 1;
  auto info = xf::getModelInfo(*module);
  if (failed(info))
    return 1;

  std::vector<size_t> lens(lengths.begin(), lengths.end());
  if (lens.empty())
    lens = {7, 4};
  xf::ModelInputs inputs = xf::randomInputs(info->vocabSize, lens, seed);
  inputs.prefillLength = 3; // the rest decoded token by token once there is a cache
  xf::ParamProvider params = xf::randomParams(seed);
  auto reference = xf::runModel(*module, inputs, params);
  if (failed(reference))
    return 1;
  llvm::outs() << "input: " << reference->shape[0] << " rows of " << reference->shape[1]
               << " (" << info->kind << ")\n";

  xf::PipelineOptions options;
  options.optimize = !noOpt;
  bool ok = true;
  for (const xf::PipelineStage &stage : xf::getPipelineStages(options)) {
    PassManager pm(&ctx);
    stage.addPasses(pm);
    if (failed(pm.run(*module))) {
      llvm::errs() << "xf-check-passes: error: stage " << stage.name << " failed\n";
      return 1;
    }
    auto out = xf::runModel(*module, inputs, params);
    if (failed(out))
      return 1;
    double rel = xf::relativeL2(*out, *reference);
    bool good = rel <= tolerance;
    ok &= good;
    llvm::outs() << "stage " << stage.name << ": relative L2 " << llvm::format("%.3g", rel)
                 << (good ? " OK" : " MISMATCH") << "\n";
  }
  llvm::outs() << (ok ? "every stage keeps the numbers\n" : "a stage changed the numbers\n");
  return ok ? 0 : 1;
}
