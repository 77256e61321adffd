//===- KernelCache.cpp - compiled objects kept across builds ----*- C++ -*-===//

#include "codegen/KernelCache.h"
#include "codegen/RuntimeFiles.h"
#include "codegen/halide/KernelSpec.h"

#include "llvm/Support/xxhash.h"

#include <cstdlib>
#include <dlfcn.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>


namespace fs = std::filesystem;
using namespace mlir::xf;

namespace {

std::string readFile(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

/// What the objects depend on besides the spec and the target: the library
/// that defines compileKernel (the schedules, and the Halide it links) and
/// the runtime archive the host code links. Computed once per process.
const std::string &codegenIdentity() {
  static const std::string id = [] {
    std::string bytes;
    Dl_info info{};
    if (dladdr(reinterpret_cast<void *>(&::xf::codegen::compileKernel), &info) &&
        info.dli_fname)
      bytes += readFile(info.dli_fname);
    bytes += readFile(runtimeLibraryPath());
    return KernelCache::hashHex(bytes);
  }();
  return id;
}

} // namespace

std::string KernelCache::hashHex(const std::string &bytes) {
  uint64_t h = llvm::xxh3_64bits(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()));
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", (unsigned long long)h);
  return buf;
}

KernelCache::KernelCache(std::string dir, const std::string &target) : dir_(std::move(dir)) {
  if (enabled())
    salt_ = hashHex(target + "\n" + codegenIdentity());
}

std::string KernelCache::path(const std::string &name) const {
  return (fs::path(dir_) / (name + "-" + salt_ + ".o")).string();
}

std::string KernelCache::lookup(const std::string &name) const {
  if (!enabled())
    return "";
  std::error_code ec;
  std::string p = path(name);
  return fs::is_regular_file(p, ec) ? p : "";
}

bool KernelCache::store(const std::string &name, const std::string &object) const {
  if (!enabled())
    return false;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  std::string final = path(name);
  std::string staged = final + ".tmp." + std::to_string(::getpid());
  fs::copy_file(object, staged, fs::copy_options::overwrite_existing, ec);
  if (!ec)
    fs::rename(staged, final, ec);
  if (ec) {
    fs::remove(staged, ec);
    return false;
  }
  return true;
}

std::string KernelCache::defaultDir() {
  if (const char *d = std::getenv("XFC_CACHE_DIR"))
    return d;
  if (const char *d = std::getenv("XDG_CACHE_HOME"); d && *d)
    return (fs::path(d) / "xfc").string();
  if (const char *d = std::getenv("HOME"); d && *d)
    return (fs::path(d) / ".cache" / "xfc").string();
  return "";
}
