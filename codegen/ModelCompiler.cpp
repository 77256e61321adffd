//===- ModelCompiler.cpp - an optimised module to an executable -*- C++ -*-===//
//
// Works in a private temporary folder beside nothing the user owns; the
// executable is renamed into place at the end, so a failed compile leaves no
// half-written output. The host C++ is compiled by the system C++ compiler
// (`CXX`, default c++) against the runtime's headers and archive. Kernel,
// runtime and host objects come from the kernel cache when it has them.
//
//===----------------------------------------------------------------------===//

#include "codegen/ModelCompiler.h"
#include "codegen/KernelCache.h"
#include "codegen/RuntimeFiles.h"
#include "codegen/halide/KernelSpec.h"
#include "codegen/host/HostEmitter.h"
#include "codegen/host/KernelSpecs.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>


using namespace mlir;
using namespace mlir::xf;
namespace fs = std::filesystem;

#ifndef XFC_MODEL_CXX
#define XFC_MODEL_CXX "c++"
#endif
#ifndef XFC_MODEL_SANITIZE
#define XFC_MODEL_SANITIZE ""
#endif

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

/// A program run in the background (the host compile, beside the kernel
/// compiles), its stdout and stderr in a log; `finish` waits for it. The
/// destructor reaps a program never finished (an earlier step failed).
class Program {
public:
  bool start(const std::vector<std::string> &argv, const std::string &logPath,
             std::string &error) {
    auto program = llvm::sys::findProgramByName(argv[0]);
    if (!program) {
      error = "cannot find '" + argv[0] + "' on PATH (a C++ compiler is needed to link models)";
      return false;
    }
    name_ = argv[0];
    log_ = logPath;
    std::vector<llvm::StringRef> args(argv.begin(), argv.end());
    std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(log_),
                                                  llvm::StringRef(log_)};
    std::string msg;
    bool failed = false;
    info_ = llvm::sys::ExecuteNoWait(*program, args, std::nullopt, redirects, 0, &msg, &failed);
    if (failed) {
      error = "cannot run " + name_ + ": " + msg;
      return false;
    }
    running_ = true;
    return true;
  }
  bool finish(std::string &error) {
    std::string msg;
    llvm::sys::ProcessInfo done = llvm::sys::Wait(info_, std::nullopt, &msg);
    running_ = false;
    if (done.ReturnCode == 0)
      return true;
    std::ifstream log(log_);
    std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    if (text.size() > 4000)
      text = text.substr(0, 4000) + "\n...";
    error = name_ + " failed (exit " + std::to_string(done.ReturnCode) + ")" +
            (msg.empty() ? "" : ": " + msg) + "\n" + text;
    return false;
  }
  ~Program() {
    if (running_)
      llvm::sys::Wait(info_, std::nullopt);
  }

private:
  llvm::sys::ProcessInfo info_;
  std::string name_, log_;
  bool running_ = false;
};

/// Runs a program to completion, its output in a log.
bool runProgram(const std::vector<std::string> &argv, const std::string &logPath,
                std::string &error) {
  Program p;
  return p.start(argv, logPath, error) && p.finish(error);
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

/// --emit=lib: dirname(output)/libNAME.a, an archive of the host program,
/// the kernels, the Halide runtime and the members of the xfc runtime, and
/// NAME.h, the C API's header; both staged, then renamed into place.
static bool writeLibrary(const ModelCompileOptions &options, const std::string &work,
                         const std::string &hostObj, const std::vector<std::string> &objects,
                         const std::string &runtimeObj, const std::string &runtimeArchive,
                         std::string &error) {
  std::error_code ec;
  fs::path out = fs::absolute(options.output, ec);
  std::string name = out.filename().string();
  fs::path dir = out.parent_path();
  // The runtime archive's members, extracted (ar x writes into the cwd).
  fs::path members = fs::path(work) / "runtime-members";
  fs::create_directories(members, ec);
  auto ar = llvm::sys::findProgramByName(
      llvm::StringRef(runtimeArchive).ends_with("-aarch64.a") ? "aarch64-linux-gnu-ar" : "ar");
  if (!ar) {
    error = "--emit=lib needs 'ar' (binutils)";
    return false;
  }
  std::string script = "cd '" + members.string() + "' && '" + *ar + "' x '" +
                       runtimeArchive + "'";
  if (!runProgram({"/bin/sh", "-c", script}, work + "/ar-x.log", error))
    return false;
  std::vector<std::string> argv{*ar, "rcs", work + "/lib.a", hostObj};
  argv.insert(argv.end(), objects.begin(), objects.end());
  argv.push_back(runtimeObj);
  std::vector<std::string> extracted;
  for (const auto &e : fs::directory_iterator(members, ec))
    extracted.push_back(e.path().string());
  std::sort(extracted.begin(), extracted.end());
  argv.insert(argv.end(), extracted.begin(), extracted.end());
  if (options.verbose)
    llvm::errs() << "xfc: archiving lib" << name << ".a\n";
  if (!runProgram(argv, work + "/ar.log", error))
    return false;
  std::ifstream header(runtimeIncludeDir() + "/codegen/runtime/CApi.h", std::ios::binary);
  std::stringstream text;
  text << header.rdbuf();
  if (!header || text.str().empty()) {
    error = "cannot read the C API header in " + runtimeIncludeDir();
    return false;
  }
  if (!writeFile(work + "/lib.h", text.str(), error))
    return false;
  std::vector<std::pair<fs::path, fs::path>> moves{{work + "/lib.a", dir / ("lib" + name + ".a")},
                                                   {work + "/lib.h", dir / (name + ".h")}};
  std::vector<fs::path> staged;
  for (auto &[from, to] : moves) {
    fs::path s = dir / (".xfc-" + to.filename().string() + ".tmp");
    fs::copy_file(from, s, fs::copy_options::overwrite_existing, ec);
    if (ec)
      break;
    staged.push_back(s);
  }
  for (size_t i = 0; !ec && i < moves.size(); ++i)
    fs::rename(staged[i], moves[i].second, ec);
  if (ec) {
    for (const fs::path &s : staged)
      fs::remove(s, ec);
    error = "cannot write " + (dir / ("lib" + name + ".a")).string() + ": " + ec.message();
    return false;
  }
  return true;
}

bool mlir::xf::compileModelToExecutable(ModuleOp module, const ModelCompileOptions &options,
                                        std::string &error) {
  std::string halideTarget;
  if (!::xf::codegen::resolveTarget(options.target, halideTarget, error))
    return false;
  // arm64: the host program is cross-compiled and linked with Debian's
  // aarch64 toolchain against the cross-compiled runtime.
  const bool arm64 = llvm::StringRef(halideTarget).starts_with("arm-64");
  std::string runtimeArchive = runtimeLibraryPath();
  if (arm64) {
    runtimeArchive = runtimeLibraryPathAarch64();
    if (runtimeArchive.empty() || !llvm::sys::findProgramByName("aarch64-linux-gnu-g++")) {
      error = "--target arm64 needs Debian's g++-aarch64-linux-gnu, and xfc built with it "
              "(tools/install-deps.sh installs it)";
      return false;
    }
  }

  TempDir tmp;
  {
    llvm::SmallString<128> dir;
    if (auto ec = llvm::sys::fs::createUniqueDirectory("xfc-build", dir)) {
      error = "cannot create a temporary folder: " + ec.message();
      return false;
    }
    tmp.path = dir.str().str();
  }
  // Declared after the folder, so a background compile is reaped before the
  // folder is removed.
  Program hostCompile;
  std::error_code ec;
  if (!options.dumpDir.empty())
    fs::create_directories(fs::path(options.dumpDir) / "kernels", ec);
  KernelCache cache(options.cacheDir, halideTarget);

  // The kernels' specs first: the host program needs only their symbols.
  SmallVector<func::FuncOp> kernels;
  std::vector<::xf::codegen::KernelSpec> specs;
  for (auto fn : module.getOps<func::FuncOp>())
    if (fn->hasAttr(kKernelAttrName)) {
      auto spec = buildKernelSpec(fn);
      if (failed(spec)) {
        error = "code generation failed (see the diagnostic above)";
        return false;
      }
      kernels.push_back(fn);
      specs.push_back(std::move(*spec));
    }

  // Host program: emitted, then compiled in the background (from the cache
  // when it holds the same source compiled the same way) while the kernels
  // compile. -O0: it only sequences kernel calls, and -O1 took 4x longer to
  // compile a 24-layer model for no measurable run time.
  HostOptions host;
  host.modelName = fs::path(options.output).filename().string();
  host.weights = options.weights;
  host.deviceApi = ::xf::codegen::deviceApiOf(halideTarget);
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
  const char *cxxEnv = std::getenv(arm64 ? "XFC_AARCH64_CXX" : "CXX");
  std::string cxx = cxxEnv && *cxxEnv ? cxxEnv : arm64 ? "aarch64-linux-gnu-g++" : XFC_MODEL_CXX;
  // A sanitized xfc's runtime archive is instrumented: its models are too.
  const std::string sanitize = arm64 ? "" : XFC_MODEL_SANITIZE;
  std::vector<std::string> compileArgv{cxx, "-std=c++17", "-O0", "-I" + runtimeIncludeDir(),
                                       "-I" XFC_HALIDE_INCLUDE_DIR};
  if (!sanitize.empty())
    compileArgv.push_back(sanitize);
  if (options.emitLib)
    compileArgv.push_back("-DXFC_LIBRARY"); // no main; what the C API calls
  compileArgv.push_back("-c");
  compileArgv.push_back(cppPath);
  compileArgv.push_back("-o");
  std::string hostKey = cpp; // the source and the flags, not the (temporary) paths
  for (const std::string &a : compileArgv)
    if (a != cppPath)
      hostKey += "\n" + a;
  std::string hostName = "host-" + KernelCache::hashHex(hostKey);
  std::string hostObj = cache.lookup(hostName);
  bool compilingHost = hostObj.empty();
  if (compilingHost) {
    hostObj = tmp.path + "/host.o";
    compileArgv.push_back(hostObj);
    if (options.verbose)
      llvm::errs() << "xfc: compiling the host program\n";
    if (!hostCompile.start(compileArgv, tmp.path + "/compile.log", error))
      return false;
  }

  // Kernels: each distinct symbol once; from the cache unless its lowered
  // statement is to be dumped.
  std::vector<std::string> objects;
  std::set<std::string> done;
  size_t cached = 0;
  struct KernelTime {
    std::string symbol, function;
    double seconds;
  };
  std::vector<KernelTime> times;
  size_t distinct = 0;
  for (const auto &spec : specs)
    distinct += done.insert(spec.name).second;
  done.clear();
  for (size_t i = 0; i < specs.size(); ++i) {
    const ::xf::codegen::KernelSpec &spec = specs[i];
    if (!done.insert(spec.name).second)
      continue;
    if (options.progress)
      llvm::errs() << "\rxfc: kernel " << done.size() << " of " << distinct << " ("
                   << kernels[i].getSymName() << ")\033[K";
    std::string obj = options.dumpDir.empty() ? cache.lookup(spec.name) : "";
    if (options.verbose)
      llvm::errs() << "xfc: kernel " << i + 1 << " of " << specs.size() << ": " << spec.name
                   << " (@" << kernels[i].getSymName() << (obj.empty() ? ")" : ", cached)")
                   << "\n";
    if (!obj.empty()) {
      ++cached;
      objects.push_back(obj);
      continue;
    }
    obj = tmp.path + "/" + spec.name + ".o";
    std::string dump;
    if (!options.dumpDir.empty())
      dump = (fs::path(options.dumpDir) / "kernels" / spec.name).string();
    auto start = std::chrono::steady_clock::now();
    if (!::xf::codegen::compileKernel(spec, halideTarget, obj, dump, error)) {
      if (options.progress)
        llvm::errs() << "\r\033[K";
      return false;
    }
    times.push_back({spec.name, "@" + kernels[i].getSymName().str(),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
                         .count()});
    cache.store(spec.name, obj);
    objects.push_back(obj);
  }
  if (options.progress)
    llvm::errs() << "\r\033[K";
  if (options.timing) {
    double total = 0;
    for (const KernelTime &k : times)
      total += k.seconds;
    llvm::errs() << llvm::formatv("timing: Halide: {0} kernels compiled in {1:f2} s, {2} from "
                                  "the kernel cache\n",
                                  times.size(), total, cached);
    std::sort(times.begin(), times.end(),
              [](const KernelTime &a, const KernelTime &b) { return a.seconds > b.seconds; });
    for (const KernelTime &k : times)
      llvm::errs() << llvm::formatv("timing: Halide: {0,8:f3} s  {1} ({2})\n", k.seconds,
                                    k.symbol, k.function);
  }
  if (options.verbose && cache.enabled())
    llvm::errs() << "xfc: " << cached << " of " << done.size() << " kernels from the cache "
                 << options.cacheDir << "\n";
  std::string runtimeObj = cache.lookup("halide_runtime");
  if (runtimeObj.empty()) {
    runtimeObj = tmp.path + "/halide_runtime.o";
    if (!::xf::codegen::compileHalideRuntime(halideTarget, runtimeObj, error))
      return false;
    cache.store("halide_runtime", runtimeObj);
  }
  if (compilingHost) {
    if (!hostCompile.finish(error))
      return false;
    cache.store(hostName, hostObj);
  }

  if (options.emitLib)
    return writeLibrary(options, tmp.path, hostObj, objects, runtimeObj, runtimeArchive, error);

  // Link.
  std::string exe = tmp.path + "/model";
  std::vector<std::string> argv{cxx, hostObj};
  argv.insert(argv.end(), objects.begin(), objects.end());
  argv.push_back(runtimeObj);
  argv.push_back(runtimeArchive);
  if (!sanitize.empty())
    argv.push_back(sanitize);
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
