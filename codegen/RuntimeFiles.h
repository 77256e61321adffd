//===- RuntimeFiles.h - where the runtime a model links lives ---*- C++ -*-===//
//
// Compiled models include the runtime's header and link its archive. Both are
// found next to the library that defines these functions (libXfCodegen.so):
// `<libdir>/libxfc_runtime.a` and `<libdir>/../include/xfc` (an installed
// tree) or `<libdir>/../include` (the build tree), so an installed xfc works
// wherever it was installed; the build tree's paths are the fallback.
//
//===----------------------------------------------------------------------===//

#ifndef XF_CODEGEN_RUNTIMEFILES_H
#define XF_CODEGEN_RUNTIMEFILES_H

#include <string>

namespace mlir::xf {

/// The runtime archive (libxfc_runtime.a).
const std::string &runtimeLibraryPath();
/// The runtime archive cross-compiled for arm64 (libxfc_runtime-aarch64.a,
/// beside the native one), or "" when xfc was built without the cross compiler.
std::string runtimeLibraryPathAarch64();
/// The folder to pass as -I for "codegen/runtime/Runtime.h".
const std::string &runtimeIncludeDir();

} // namespace mlir::xf

#endif // XF_CODEGEN_RUNTIMEFILES_H
