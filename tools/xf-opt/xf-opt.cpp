//===- xf-opt.cpp - mlir-opt for the xf dialect -----------------*- C++ -*-===//
//
// Parses xf modules and runs xf passes, with every mlir-opt convention
// (--mlir-print-ir-after-all, --pass-pipeline, --load-pass-plugin).
// Plug-ins are loaded before the command line is parsed, so their passes are
// flags like any other (`--xf-gelu-erf`), and one that cannot be loaded is an
// error (mlir-opt only warns and goes on). Input that nests brackets deeper
// than MLIR's recursive parser can take is refused with its location first.
//
//===----------------------------------------------------------------------===//

#include "tools/InitAll.h"
#include "tools/MlirNesting.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <string>
#include <vector>

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::DialectRegistry registry;
  mlir::xf::registerAllDialects(registry);
  mlir::xf::registerAllPasses();

  std::vector<char *> rest{argv[0]};
  const char *flag = "--load-pass-plugin";
  for (int i = 1; i < argc; ++i) {
    std::string path;
    if (std::strncmp(argv[i], flag, std::strlen(flag)) == 0 && argv[i][std::strlen(flag)] == '=')
      path = argv[i] + std::strlen(flag) + 1;
    else if (std::strcmp(argv[i], flag) == 0 && i + 1 < argc)
      path = argv[++i];
    else {
      rest.push_back(argv[i]);
      continue;
    }
    auto plugin = mlir::PassPlugin::load(path);
    if (!plugin) {
      llvm::errs() << "xf-opt: error: --load-pass-plugin: cannot load '" << path
                   << "': " << llvm::toString(plugin.takeError()) << "\n";
      return 1;
    }
    plugin->registerPassRegistryCallbacks();
  }
  // What MlirOptMain(argc, argv, ...) does, with the input read once and
  // checked before it is parsed (so stdin works too).
  auto [inputPath, outputPath] = mlir::registerAndParseCLIOptions(
      (int)rest.size(), rest.data(), "xf optimizer driver\n", registry);
  mlir::MlirOptMainConfig config = mlir::MlirOptMainConfig::createFromCLOptions();
  if (config.shouldShowDialects()) {
    llvm::outs() << "Available Dialects: ";
    llvm::interleave(registry.getDialectNames(), llvm::outs(), ",");
    llvm::outs() << "\n";
    return 0;
  }
  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> file = mlir::openInputFile(inputPath, &error);
  if (!file) {
    llvm::errs() << "xf-opt: error: " << error << "\n";
    return 1;
  }
  if (mlir::xf::reportMlirNestingPastLimit(*file))
    return 1;
  std::unique_ptr<llvm::ToolOutputFile> output = mlir::openOutputFile(outputPath, &error);
  if (!output) {
    llvm::errs() << "xf-opt: error: " << error << "\n";
    return 1;
  }
  if (mlir::failed(mlir::MlirOptMain(output->os(), std::move(file), registry, config)))
    return 1;
  output->keep();
  return 0;
}
