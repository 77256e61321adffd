//===- ModelCompiler.h - an optimised module to an executable ---*- C++ -*-===//
//
// The back half of xfc: compiles every kernel function with Halide (once per
// distinct kernel), emits the host C++, and links both with the runtime into
// one executable. The output appears only when everything succeeded.
//
//===----------------------------------------------------------------------===//

#ifndef XF_CODEGEN_MODELCOMPILER_H
#define XF_CODEGEN_MODELCOMPILER_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace mlir::xf {

struct ModelCompileOptions {
  std::string output;      // the executable to write; with emitLib, OUT gives
                           // dirname(OUT)/libNAME.a and NAME.h (NAME: basename)
  bool emitLib = false;    // a static library with a C API instead of an executable
  std::string target = "host";
  std::string weights;     // overrides xf.model's checkpoint when non-empty
  std::string dumpDir;     // when non-empty: kernels/*.{stmt,stmt.html,s}, host.cpp
  std::string cacheDir;    // kernel cache folder; empty: no cache
  bool verbose = false;    // a line per step on stderr
  bool progress = false;   // one self-erasing line "kernel i of n" (stderr is a terminal)
  bool timing = false;     // each kernel's Halide compile time on stderr
};

/// Compiles `module` (after the pipeline: entry points + kernel functions).
/// On failure returns false with `error` set, and leaves no output behind.
bool compileModelToExecutable(ModuleOp module, const ModelCompileOptions &options,
                              std::string &error);

} // namespace mlir::xf

#endif // XF_CODEGEN_MODELCOMPILER_H
