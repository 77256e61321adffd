// Fuzz target: `.mlir` input as `xfc compile` takes it: parsed, verified and
// run through the whole xf pass pipeline (every stage up to code generation,
// which is left out: a Halide compile per input would be too slow to fuzz).
// Contract checked: no crash, no sanitizer finding, and a module the
// pipeline accepts still verifies afterwards.
#include "passes/Pipelines.h"
#include "tests/fuzz/FuzzSupport.h"
#include "tools/InitAll.h"
#include "tools/MlirNesting.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <memory>

namespace {

std::unique_ptr<mlir::MLIRContext> context;
unsigned runsInContext = 0;

mlir::MLIRContext &freshContext() {
  if (!context || ++runsInContext == 2000) { // interned attributes would pile up
    mlir::DialectRegistry registry;
    mlir::xf::registerAllDialects(registry);
    context = std::make_unique<mlir::MLIRContext>(registry);
    context->loadAllAvailableDialects();
    context->getDiagEngine().registerHandler([](mlir::Diagnostic &) { return mlir::success(); });
    context->disableMultithreading(); // one input at a time; no thread pool per context
    runsInContext = 0;
  }
  return *context;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  mlir::xf::registerAllPasses();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // What xfc, xf-opt and xf-check-passes refuse before parsing.
  if (mlir::xf::mlirNestingPastLimit(std::string_view(reinterpret_cast<const char *>(data), size)) !=
      std::string_view::npos)
    return 0;
  mlir::MLIRContext &ctx = freshContext();
  // As xfc reads a file: into a NUL-terminated buffer, which MLIR's lexer
  // relies on (parseSourceString over the fuzzer's bytes would read past them).
  llvm::SourceMgr sources;
  sources.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz.mlir"),
      llvm::SMLoc());
  mlir::ParserConfig config(&ctx);
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::parseSourceFile<mlir::ModuleOp>(sources, config);
  if (!module || mlir::failed(mlir::verify(*module))) {
    xf::fuzz::note("not a valid module");
    return 0;
  }
  for (bool optimize : {true, false}) {
    mlir::OwningOpRef<mlir::ModuleOp> copy = module->clone();
    mlir::PassManager pm(&ctx);
    mlir::xf::PipelineOptions options;
    options.optimize = optimize;
    mlir::xf::buildXfPipeline(pm, options);
    bool ran = mlir::succeeded(pm.run(*copy));
    xf::fuzz::note(ran ? "" : optimize ? "the pipeline failed" : "the --no-opt pipeline failed");
    if (ran)
      XF_FUZZ_CHECK(mlir::succeeded(mlir::verify(*copy)), "the pipeline's output verifies");
  }
  return 0;
}
