//===- InitAll.h - every dialect, pass and pipeline of xfc ------*- C++ -*-===//
//
// The one list of what xf-opt, xfc and the unit tests register.
//
//===----------------------------------------------------------------------===//

#ifndef XF_TOOLS_INITALL_H
#define XF_TOOLS_INITALL_H

namespace mlir {
class DialectRegistry;
namespace xf {
/// Dialects an xf module may contain: xf, func, arith.
void registerAllDialects(DialectRegistry &registry);
/// Every xf pass, the MLIR passes the pipeline uses, and the named pipelines.
void registerAllPasses();
} // namespace xf
} // namespace mlir

#endif // XF_TOOLS_INITALL_H
