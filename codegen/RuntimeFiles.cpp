//===- RuntimeFiles.cpp - where the runtime a model links lives -*- C++ -*-===//

#include "codegen/RuntimeFiles.h"

#include <dlfcn.h>
#include <filesystem>

#if !defined(XFC_RUNTIME_LIBRARY) || !defined(XFC_RUNTIME_INCLUDE_DIR)
#error "XFC_RUNTIME_LIBRARY and XFC_RUNTIME_INCLUDE_DIR must be defined by the build"
#endif

namespace fs = std::filesystem;

namespace {

/// The folder of the shared library this code is in, or "" if unknown.
fs::path libraryDir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void *>(&mlir::xf::runtimeLibraryPath), &info) && info.dli_fname)
    return fs::path(info.dli_fname).parent_path();
  return {};
}

} // namespace

const std::string &mlir::xf::runtimeLibraryPath() {
  static const std::string path = [] {
    std::error_code ec;
    fs::path beside = libraryDir() / "libxfc_runtime.a";
    return !libraryDir().empty() && fs::exists(beside, ec) ? beside.string()
                                                            : std::string(XFC_RUNTIME_LIBRARY);
  }();
  return path;
}

std::string mlir::xf::runtimeLibraryPathAarch64() {
  std::error_code ec;
  fs::path p = fs::path(runtimeLibraryPath()).parent_path() / "libxfc_runtime-aarch64.a";
  return fs::exists(p, ec) ? p.string() : std::string();
}

const std::string &mlir::xf::runtimeIncludeDir() {
  static const std::string dir = [] {
    std::error_code ec;
    fs::path lib = libraryDir();
    if (!lib.empty())
      for (fs::path candidate : {lib / ".." / "include" / "xfc", lib / ".." / "include"})
        if (fs::exists(candidate / "codegen" / "runtime" / "Runtime.h", ec))
          return candidate.lexically_normal().string();
    return std::string(XFC_RUNTIME_INCLUDE_DIR);
  }();
  return dir;
}
