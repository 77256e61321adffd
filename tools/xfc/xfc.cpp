//===- xfc.cpp - the xfc driver ---------------------------------*- C++ -*-===//
//
//   xfc import <hf-dir> -o model.mlir
//   xfc compile model.mlir -o <out> [--weights P] [--target T] [--max-seq N]
//               [--no-opt] [--emit=exe] [--dump-ir DIR] [--list-pipeline]
//               [--kernel-cache DIR | --no-kernel-cache]
//               [--load-pass-plugin=lib.so] [--insert-pass=AFTER:PIPELINE]
//   xfc build <hf-dir> -o <out> [compile options but --weights]
//
// Exit codes: 0 success, 2 usage error, 1 any other error. Outputs are
// written under a temporary name and renamed into place, so a failed command
// leaves none behind; inputs are never modified.
//
//===----------------------------------------------------------------------===//

#include "codegen/KernelCache.h"
#include "codegen/ModelCompiler.h"
#include "codegen/halide/KernelSpec.h"
#include "dialect/XfDialect.h"
#include "frontend/Importer.h"
#include "passes/Pipelines.h"
#include "tools/InitAll.h"
#include "tools/MlirNesting.h"
#include "tools/xfc/Report.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <unistd.h>

using namespace mlir;
namespace cl = llvm::cl;
namespace fs = std::filesystem;

namespace {

enum ExitCode { kExitOk = 0, kExitError = 1, kExitUsage = 2 };

cl::SubCommand importCmd("import", "Import a Hugging Face checkpoint as an xf module");
cl::SubCommand compileCmd("compile", "Compile an xf module into an executable");
cl::SubCommand buildCmd("build", "Import and compile a checkpoint in one step");

cl::opt<std::string> inputPath(cl::Positional, cl::desc("<input>"), cl::sub(importCmd),
                               cl::sub(compileCmd), cl::sub(buildCmd));
cl::opt<std::string> outputPath("o", cl::desc("Output file"), cl::value_desc("path"),
                                cl::sub(importCmd), cl::sub(compileCmd), cl::sub(buildCmd));
cl::opt<int64_t> maxSeq("max-seq", cl::desc("Maximum sequence length (default: the config's)"),
                        cl::init(0), cl::sub(importCmd), cl::sub(compileCmd), cl::sub(buildCmd));
cl::opt<std::string> weightsPath("weights", cl::desc("Checkpoint the executable loads"),
                                 cl::sub(compileCmd));
cl::opt<std::string> target("target", cl::desc("host, x86-64-avx2, x86-64-avx512, x86-64, arm64, "
                                               "cuda, cuda-sm90, opencl, or a Halide target "
                                               "string; CPU variants separated by commas"),
                            cl::init("host"), cl::sub(compileCmd), cl::sub(buildCmd));
cl::opt<bool> noOpt("no-opt", cl::desc("Run only what code generation needs"),
                    cl::sub(compileCmd), cl::sub(buildCmd));
cl::opt<std::string> emitKind("emit", cl::desc("exe (an executable), or lib: -o DIR/NAME writes "
                                               "DIR/libNAME.a and DIR/NAME.h (a C API)"),
                              cl::init("exe"), cl::sub(compileCmd), cl::sub(buildCmd));
cl::opt<std::string> dumpDir("dump-ir", cl::desc("Write the IR after every stage into DIR"),
                             cl::value_desc("DIR"), cl::sub(compileCmd), cl::sub(buildCmd));
cl::opt<std::string> kernelCache(
    "kernel-cache",
    cl::desc("Folder of compiled kernels reused across builds (default: $XFC_CACHE_DIR, else "
             "$XDG_CACHE_HOME/xfc or ~/.cache/xfc)"),
    cl::value_desc("DIR"), cl::sub(compileCmd), cl::sub(buildCmd));
cl::opt<bool> noKernelCache("no-kernel-cache", cl::desc("Compile every kernel afresh"),
                            cl::sub(compileCmd), cl::sub(buildCmd));
cl::opt<bool> listPipeline("list-pipeline", cl::desc("Print the pipeline's stages and exit"),
                           cl::sub(compileCmd), cl::sub(buildCmd));
cl::opt<bool> remarks("remarks", cl::desc("Show the passes' remarks (why a fusion did not fire)"),
                      cl::sub(compileCmd), cl::sub(buildCmd));
cl::list<std::string> disabledStages(
    "disable-stage", cl::desc("Skip these optimisation stages (names from --list-pipeline)"),
    cl::CommaSeparated, cl::sub(compileCmd), cl::sub(buildCmd));
cl::opt<bool> verbose("v", cl::desc("Progress on stderr"), cl::sub(compileCmd),
                      cl::sub(buildCmd));
cl::opt<std::string> reportPath(
    "report", cl::desc("Write a self-contained HTML page on the compilation: stages, the graph "
                       "after fusion, kernels, memory plan, compile times"),
    cl::value_desc("report.html"), cl::sub(compileCmd), cl::sub(buildCmd));
cl::opt<bool> timing("timing", cl::desc("Print each pass's time (MLIR's pass timing) and each "
                                        "kernel's Halide compile time"),
                     cl::sub(compileCmd), cl::sub(buildCmd));
cl::list<std::string> passPlugins(
    "load-pass-plugin", cl::desc("Load passes from a plug-in library (MLIR's PassPlugin API)"),
    cl::value_desc("lib.so"), cl::sub(compileCmd), cl::sub(buildCmd));
cl::list<std::string> insertedPasses(
    "insert-pass",
    cl::desc("Run PIPELINE (MLIR's textual pass pipeline) after stage AFTER (a name from "
             "--list-pipeline, or 'input' for before the first)"),
    cl::value_desc("AFTER:PIPELINE"), cl::sub(compileCmd), cl::sub(buildCmd));

int fail(const std::string &msg, int code = kExitError) {
  llvm::errs() << "xfc: error: " << msg << "\n";
  return code;
}

/// Writes `text` to `path` through a temporary file and a rename.
bool writeAtomically(const std::string &path, const std::string &text, std::string &error) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary);
    f << text;
    f.close();
    if (!f) {
      std::error_code ec;
      fs::remove(tmp, ec);
      error = "cannot write " + path;
      return false;
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    error = "cannot write " + path + ": " + ec.message();
    return false;
  }
  return true;
}

std::string printModule(ModuleOp module, bool debugInfo = false) {
  std::string text;
  llvm::raw_string_ostream os(text);
  OpPrintingFlags flags;
  if (debugInfo)
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false);
  module.print(os, flags);
  return text;
}

/// Prints errors and warnings (with locations); remarks only with --remarks.
struct DiagnosticFilter {
  DiagnosticFilter(MLIRContext &ctx, llvm::SourceMgr &sm)
      : printer(sm, &ctx, llvm::errs()) {
    id = ctx.getDiagEngine().registerHandler([](Diagnostic &d) {
      return success(d.getSeverity() == DiagnosticSeverity::Remark && !remarks);
    });
    context = &ctx;
  }
  ~DiagnosticFilter() { context->getDiagEngine().eraseHandler(id); }
  SourceMgrDiagnosticHandler printer;
  DiagnosticEngine::HandlerID id;
  MLIRContext *context;
};

/// A pass pipeline the user inserted after a stage (--insert-pass).
struct InsertedPipeline {
  std::string after;    // a stage name, or "input"
  std::string pipeline; // MLIR's textual form, with or without builtin.module(...)
};
std::vector<InsertedPipeline> inserted;

/// The first line of MLIR's pipeline parser message, without its prefix.
std::string firstLine(llvm::StringRef message) {
  llvm::StringRef line = message.trim().split('\n').first;
  size_t at = line.find("error: ");
  return (at == llvm::StringRef::npos ? line : line.drop_front(at + 7)).str();
}

/// Adds `text` to `pm` (anchored on builtin.module); false with `error` set.
bool addPipeline(OpPassManager &pm, const std::string &text, std::string &error) {
  llvm::raw_string_ostream os(error);
  llvm::StringRef body(text);
  body = body.trim();
  if (body.consume_front("builtin.module(")) {
    if (!body.consume_back(")")) {
      os << "unbalanced parentheses";
      return false;
    }
  }
  return succeeded(parsePassPipeline(body, pm, os));
}

/// Loads --load-pass-plugin libraries and checks --insert-pass against the
/// stages; returns an exit code, or -1 to go on.
int setUpPlugins(const mlir::xf::PipelineOptions &opts) {
  mlir::xf::registerAllPasses();
  for (const std::string &path : passPlugins) {
    auto plugin = PassPlugin::load(path);
    if (!plugin)
      return fail("--load-pass-plugin: cannot load '" + path +
                  "': " + llvm::toString(plugin.takeError()));
    plugin->registerPassRegistryCallbacks();
  }
  auto stages = mlir::xf::getPipelineStages(opts);
  for (const std::string &spec : insertedPasses) {
    size_t colon = spec.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size())
      return fail("--insert-pass: expected AFTER:PIPELINE, got '" + spec + "'", kExitUsage);
    InsertedPipeline ins{spec.substr(0, colon), spec.substr(colon + 1)};
    bool known = ins.after == "input" ||
                 llvm::any_of(stages, [&](const auto &s) { return s.name == ins.after; });
    if (!known)
      return fail("--insert-pass: no stage named '" + ins.after + "' (see --list-pipeline)",
                  kExitUsage);
    OpPassManager probe("builtin.module");
    std::string error;
    if (!addPipeline(probe, ins.pipeline, error))
      return fail("--insert-pass: cannot parse pipeline '" + ins.pipeline + "': " +
                      firstLine(error),
                  kExitUsage);
    inserted.push_back(ins);
  }
  return -1;
}

int listStages(const mlir::xf::PipelineOptions &opts) {
  int i = 1;
  auto listInserted = [](const std::string &after) {
    for (const InsertedPipeline &ins : inserted)
      if (ins.after == after)
        llvm::outs() << "    + " << ins.pipeline << "  (inserted after " << after << ")\n";
  };
  listInserted("input");
  for (const auto &stage : mlir::xf::getPipelineStages(opts)) {
    llvm::outs() << llvm::format("%02d", i++) << "  " << stage.name << "  — "
                 << stage.description << "\n";
    listInserted(stage.name);
  }
  return kExitOk;
}

bool prepareDumpDir(const std::string &dir, std::string &error) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    error = "--dump-ir " + dir + " exists and is not a folder";
    return false;
  }
  // Replace an earlier dump: remove what xfc writes there, nothing else.
  if (fs::is_directory(dir, ec))
    for (const auto &entry : fs::directory_iterator(dir, ec)) {
      std::string name = entry.path().filename().string();
      if (entry.path().extension() == ".mlir" || name == "kernels" || name == "host.cpp" ||
          name == "index.txt")
        fs::remove_all(entry.path(), ec);
    }
  fs::create_directories(dir, ec);
  if (ec) {
    error = "cannot create --dump-ir folder " + dir + ": " + ec.message();
    return false;
  }
  return true;
}

/// Runs the pipeline (dumping after each stage) and code generation.
int compileModule(ModuleOp module, MLIRContext &ctx, const std::string &weights) {
  mlir::xf::PipelineOptions opts;
  opts.optimize = !noOpt;
  opts.maxSeq = maxSeq;
  std::string error;
  if (!dumpDir.empty() && !prepareDumpDir(dumpDir, error))
    return fail(error);
  std::string index;
  std::optional<::xf::report::CompileReport> report;
  if (!reportPath.empty())
    report.emplace(fs::path(inputPath.getValue()).filename().string());
  auto now = [] { return std::chrono::steady_clock::now(); };
  auto msSince = [&](auto start) {
    return std::chrono::duration<double, std::milli>(now() - start).count();
  };
  bool graphTaken = false;
  // --timing: MLIR's pass timing, one tree with a branch per stage, printed
  // when the compilation is done.
  DefaultTimingManager timingManager;
  timingManager.setEnabled(timing);
  timingManager.setDisplayMode(DefaultTimingManager::DisplayMode::Tree);
  TimingScope rootTiming = timingManager.getRootScope();
  // On a terminal, one self-erasing progress line (not with -v, which
  // prints a line per step).
  const bool progress = !verbose && ::isatty(2);
  const size_t stageCount = mlir::xf::getPipelineStages(opts).size();
  size_t stageIndex = 0;
  auto dump = [&](unsigned n, const std::string &stage) {
    if (dumpDir.empty())
      return true;
    std::string name = llvm::formatv("{0:d2}-{1}.mlir", n, stage).str();
    index += name + "\n";
    return writeAtomically((fs::path(dumpDir.getValue()) / name).string(), printModule(module),
                           error);
  };
  if (!dump(0, "input"))
    return fail(error);
  unsigned n = 1;
  // The pipelines inserted after `stage`, each dumped as its own step.
  auto runInserted = [&](const std::string &stage) {
    for (const InsertedPipeline &ins : inserted) {
      if (ins.after != stage)
        continue;
      PassManager pm(&ctx);
      std::string perr;
      if (!addPipeline(pm, ins.pipeline, perr)) {
        error = "--insert-pass: cannot parse pipeline '" + ins.pipeline + "': " + perr;
        return false;
      }
      if (verbose)
        llvm::errs() << "xfc: inserted after " << stage << ": " << ins.pipeline << "\n";
      if (report)
        report->beginStage("+ " + ins.pipeline, "inserted after " + stage, module);
      auto start = now();
      if (failed(pm.run(module))) {
        error = "inserted pipeline '" + ins.pipeline + "' (after " + stage + ") failed";
        return false;
      }
      if (report)
        report->endStage(module, msSince(start));
      if (!dump(n++, "inserted-after-" + stage))
        return false;
    }
    return true;
  };
  if (!runInserted("input"))
    return fail(error);
  for (const auto &stage : mlir::xf::getPipelineStages(opts)) {
    if (llvm::is_contained(disabledStages, stage.name)) {
      if (verbose)
        llvm::errs() << "xfc: stage " << stage.name << " disabled\n";
      if (!runInserted(stage.name))
        return fail(error);
      continue;
    }
    if (report && !graphTaken && (stage.name == "kv-cache" || stage.name == "outline-kernels")) {
      report->captureGraph(module); // the graph after fusion
      graphTaken = true;
    }
    PassManager pm(&ctx);
    stage.addPasses(pm);
    TimingScope stageTiming = rootTiming.nest(stage.name);
    if (timing)
      pm.enableTiming(stageTiming);
    if (verbose)
      llvm::errs() << "xfc: stage " << stage.name << "\n";
    if (progress)
      llvm::errs() << "\rxfc: stage " << ++stageIndex << " of " << stageCount << " ("
                   << stage.name << ")\033[K";
    if (report)
      report->beginStage(stage.name, stage.description, module);
    auto start = now();
    if (failed(pm.run(module))) {
      if (progress)
        llvm::errs() << "\r\033[K";
      return fail("stage '" + stage.name + "' failed");
    }
    if (report)
      report->endStage(module, msSince(start));
    if (!dump(n++, stage.name))
      return fail(error);
    if (!runInserted(stage.name))
      return fail(error);
  }
  mlir::xf::ModelCompileOptions copts;
  copts.output = outputPath;
  copts.target = target;
  copts.weights = weights;
  copts.dumpDir = dumpDir;
  copts.cacheDir = noKernelCache ? ""
                   : kernelCache.getNumOccurrences() ? kernelCache.getValue()
                                                     : mlir::xf::KernelCache::defaultDir();
  copts.verbose = verbose;
  copts.emitLib = emitKind == "lib";
  copts.progress = progress;
  copts.timing = timing;
  if (report)
    report->captureKernels(module);
  auto codegenStart = now();
  TimingScope codegenTiming = rootTiming.nest("code generation (Halide kernels, host, link)");
  if (!mlir::xf::compileModelToExecutable(module, copts, error))
    return fail(error);
  codegenTiming.stop();
  if (report) {
    report->setCodegen(msSince(codegenStart), target);
    if (!writeAtomically(reportPath, report->render(), error)) {
      std::error_code ec;
      fs::remove(outputPath.getValue(), ec); // no half-done command
      return fail(error);
    }
  }
  if (!dumpDir.empty()) {
    index += "kernels/*.stmt (each kernel's Halide lowered statement)\n"
             "kernels/*.stmt.html (the same, as HTML)\n"
             "kernels/*.s (each kernel's assembly)\n"
             "host.cpp (the host program; its kernel declarations name their kernel functions)\n";
    if (!writeAtomically((fs::path(dumpDir.getValue()) / "index.txt").string(), index, error))
      return fail(error);
  }
  return kExitOk;
}

bool absolutePath(const std::string &p, std::string &out) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  if (ec)
    return false;
  out = abs.lexically_normal().string();
  return true;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  if (!cl::ParseCommandLineOptions(argc, argv, "xfc: a compiler for Transformer models\n",
                                   &llvm::errs()))
    return kExitUsage;

  bool anySub = importCmd || compileCmd || buildCmd;
  if (!anySub)
    return fail("expected a command: import, compile or build (see xfc --help)", kExitUsage);
  {
    mlir::xf::PipelineOptions opts;
    opts.optimize = !noOpt;
    if (int rc = setUpPlugins(opts); rc >= 0)
      return rc;
    if (listPipeline)
      return listStages(opts);
  }
  if (inputPath.empty())
    return fail("missing input (see xfc " +
                    std::string(importCmd ? "import" : compileCmd ? "compile" : "build") +
                    " --help)",
                kExitUsage);
  if (outputPath.empty())
    return fail("missing -o <output>", kExitUsage);
  if (maxSeq < 0)
    return fail("--max-seq must be positive", kExitUsage);
  {
    mlir::xf::PipelineOptions opts;
    opts.optimize = !noOpt;
    auto stages = mlir::xf::getPipelineStages(opts);
    for (const std::string &name : disabledStages) {
      bool known = llvm::any_of(stages, [&](const auto &s) { return s.name == name; });
      if (!known)
        return fail("--disable-stage: no stage named '" + name + "' (see --list-pipeline)",
                    kExitUsage);
      if (name == "outline-kernels" || name == "dedup-kernels")
        return fail("--disable-stage: code generation needs stage '" + name + "'", kExitUsage);
    }
  }
  if (emitKind != "exe" && emitKind != "lib")
    return fail("--emit must be exe or lib, got '" + emitKind + "'", kExitUsage);

  if (!importCmd) {
    std::string halideTarget, error;
    if (!::xf::codegen::resolveTarget(target, halideTarget, error))
      return fail(error, kExitUsage);
  }

  DialectRegistry registry;
  mlir::xf::registerAllDialects(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  llvm::SourceMgr sm;
  DiagnosticFilter diags(ctx, sm);

  if (importCmd || buildCmd) {
    mlir::xf::ImportOptions iopts;
    iopts.maxSeq = maxSeq;
    std::string error;
    std::string dir;
    if (!absolutePath(inputPath, dir))
      return fail("cannot resolve " + inputPath);
    OwningOpRef<ModuleOp> module = mlir::xf::importModel(ctx, dir, iopts, error);
    if (!module)
      return fail(error);
    if (failed(verify(*module)))
      return fail("the imported module does not verify (an xfc bug)");
    if (importCmd) {
      if (!writeAtomically(outputPath, printModule(*module, /*debugInfo=*/true), error))
        return fail(error);
      return kExitOk;
    }
    return compileModule(*module, ctx, "");
  }

  // compile
  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> file = openInputFile(inputPath, &error);
  if (!file)
    return fail(error);
  if (mlir::xf::reportMlirNestingPastLimit(*file))
    return kExitError;
  sm.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sm, &ctx);
  if (!module)
    return fail("cannot parse " + inputPath);
  if (maxSeq > 0) {
    // The KV-cache pass takes it; the runtime's limit comes from xf.model.
    if (auto dict = (*module)->getAttrOfType<DictionaryAttr>(mlir::xf::kModelAttrName)) {
      NamedAttrList attrs(dict);
      attrs.set("max_seq", IntegerAttr::get(IntegerType::get(&ctx, 64), maxSeq));
      (*module)->setAttr(mlir::xf::kModelAttrName, attrs.getDictionary(&ctx));
    }
  }
  std::string weights;
  if (!weightsPath.empty() && !absolutePath(weightsPath, weights))
    return fail("cannot resolve " + weightsPath);
  return compileModule(*module, ctx, weights);
}
