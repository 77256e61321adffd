//===- KernelCache.h - compiled objects kept across builds ------*- C++ -*-===//
//
// A content-addressed folder of object files: a kernel's object is filed
// under its symbol (which names the kernel's spec by a hash of it) and a hash
// of the target and of the code generator itself (the bytes of the library
// that holds the Halide schedules and of the runtime archive), so an object
// is reused only by a build that would have made the same bytes. Entries
// appear by rename, whole or not at all; concurrent builds may share a
// folder. The cache is an accelerator: when it cannot be read or written, the
// build compiles as if it were off.
//
//===----------------------------------------------------------------------===//

#ifndef XF_CODEGEN_KERNELCACHE_H
#define XF_CODEGEN_KERNELCACHE_H

#include <string>

namespace mlir::xf {

class KernelCache {
public:
  /// `dir` empty: the cache is off. `target`: the Halide target string.
  KernelCache(std::string dir, const std::string &target);

  bool enabled() const { return !dir_.empty(); }
  /// The cached object for `name`, or "" when there is none.
  std::string lookup(const std::string &name) const;
  /// Files a copy of `object` under `name`; false (and the cache untouched)
  /// if it cannot.
  bool store(const std::string &name, const std::string &object) const;

  /// $XFC_CACHE_DIR if set (empty: off), else $XDG_CACHE_HOME/xfc, else
  /// ~/.cache/xfc; "" when none can be found.
  static std::string defaultDir();
  /// 16 hex digits of a 64-bit hash of `bytes`.
  static std::string hashHex(const std::string &bytes);

private:
  std::string path(const std::string &name) const;
  std::string dir_, salt_;
};

} // namespace mlir::xf

#endif // XF_CODEGEN_KERNELCACHE_H
