//===- ModelCompiler.cpp - an optimised module to an executable -*- C++ -*-===//
//
// Works in a private temporary folder beside nothing the user owns; the
// executable is renamed into place at the end, so a failed compile leaves no
// half-written output. The host C++ is compiled by the system C++ compiler
// (`CXX`, default c++) against the runtime's headers and archive.
//
//===----------------------------------------------------------------------===//

#include "codegen/ModelCompiler.h"
#include "codegen/halide/KernelSpec.h"
#include "codegen/host/HostEmitter.h"
#include "codegen/host/KernelSpecs.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#ifndef XFC_RUNTIME_INCLUDE_DIR
#error "XFC_RUNTIME_INCLUDE_DIR must be defined by the build"
#endif

using namespace mlir;
using namespace mlir::xf;
namespace fs = std::filesystem;

namespace {

bool writeFile(const std::string &path, const std::string &text, std::string &error) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) {
    error = "cannot write " + path;
    return false;
  }
  return true;
}

/// Runs a program, capturing its stderr into `error` on failure.
bool runProgram(const std::vector<std::string> &argv, const std::string &logPath,
                std::string &error) {
  auto program = llvm::sys::findProgramByName(argv[0]);
  if (!program) {
    error = "cannot find '" + argv[0] + "' on PATH (a C++ compiler is needed to link models)";
    return false;
  }
  std::vector<llvm::StringRef> args(argv.begin(), argv.end());
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(logPath),
                                                llvm::StringRef(logPath)};
  std::string msg;
  int rc = llvm::sys::ExecuteAndWait(*program, args, std::nullopt, redirects, 0, 0, &msg);
  if (rc != 0) {
    std::ifstream log(logPath);
    std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    if (text.size() > 4000)
      text = text.substr(0, 4000) + "\n...";
    error = argv[0] + " failed (exit " + std::to_string(rc) + ")" + (msg.empty() ? "" : ": " + msg) +
            "\n" + text;
    return false;
  }
  return true;
}

struct TempDir {
  std::string path;
  ~TempDir() {
    if (!path.empty()) {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  }
};

} // namespace

bool mlir::xf::compileModelToExecutable(ModuleOp module, const ModelCompileOptions &options,
                                        std::string &error) {
  std::string halideTarget;
  if (!::xf::codegen::resolveTarget(options.target, halideTarget, error))
    return false;

  TempDir tmp;
  {
    llvm::SmallString<128> dir;
    if (auto ec = llvm::sys::fs::createUniqueDirectory("xfc-build", dir)) {
      error = "cannot create a temporary folder: " + ec.message();
      return false;
    }
    tmp.path = dir.str().str();
  }
  std::error_code ec;
  if (!options.dumpDir.empty())
    fs::create_directories(fs::path(options.dumpDir) / "kernels", ec);

  // Kernels.
  std::vector<std::string> objects;
  SmallVector<func::FuncOp> kernels;
  for (auto fn : module.getOps<func::FuncOp>())
    if (fn->hasAttr(kKernelAttrName))
      kernels.push_back(fn);
  size_t index = 0;
  for (func::FuncOp k : kernels) {
    auto spec = buildKernelSpec(k);
    if (failed(spec)) {
      error = "code generation failed (see the diagnostic above)";
      return false;
    }
    ++index;
    if (options.verbose)
      llvm::errs() << "xfc: kernel " << index << " of " << kernels.size() << ": " << spec->name
                   << "\n";
    std::string obj = tmp.path + "/" + spec->name + ".o";
    std::string stmt;
    if (!options.dumpDir.empty())
      stmt = (fs::path(options.dumpDir) / "kernels" / (spec->name + ".stmt")).string();
    if (!::xf::codegen::compileKernel(*spec, halideTarget, obj, stmt, error))
      return false;
    objects.push_back(obj);
  }
  std::string runtimeObj = tmp.path + "/halide_runtime.o";
  if (!::xf::codegen::compileHalideRuntime(halideTarget, runtimeObj, error))
    return false;

  // Host program.
  HostOptions host;
  host.modelName = fs::path(options.output).filename().string();
  host.weights = options.weights;
  std::string cpp;
  if (failed(emitHostCpp(module, host, cpp))) {
    error = "code generation failed (see the diagnostic above)";
    return false;
  }
  std::string cppPath = tmp.path + "/host.cpp";
  if (!writeFile(cppPath, cpp, error))
    return false;
  if (!options.dumpDir.empty() &&
      !writeFile((fs::path(options.dumpDir) / "host.cpp").string(), cpp, error))
    return false;

  // Link.
  const char *cxxEnv = std::getenv("CXX");
  std::string exe = tmp.path + "/model";
  std::vector<std::string> argv{cxxEnv && *cxxEnv ? cxxEnv : "c++", "-std=c++17", "-O1",
                                "-I" XFC_RUNTIME_INCLUDE_DIR, "-I" XFC_HALIDE_INCLUDE_DIR,
                                cppPath};
  argv.insert(argv.end(), objects.begin(), objects.end());
  argv.push_back(runtimeObj);
  argv.push_back(XFC_RUNTIME_LIBRARY);
  for (const char *lib : {"-lpthread", "-ldl", "-o"})
    argv.push_back(lib);
  argv.push_back(exe);
  if (options.verbose)
    llvm::errs() << "xfc: linking " << options.output << "\n";
  if (!runProgram(argv, tmp.path + "/link.log", error))
    return false;

  // Into place: rename when on the same file system, else copy then rename.
  fs::path out = fs::absolute(options.output, ec);
  fs::path staged = out.parent_path() / (".xfc-" + out.filename().string() + ".tmp");
  fs::copy_file(exe, staged, fs::copy_options::overwrite_existing, ec);
  if (!ec)
    fs::permissions(staged, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec, ec);
  if (!ec)
    fs::rename(staged, out, ec);
  if (ec) {
    fs::remove(staged, ec);
    error = "cannot write " + options.output + ": " + ec.message();
    return false;
  }
  return true;
}
