//===- Passes.h - xf passes -------------------------------------*- C++ -*-===//
//
// Declarations and registration of every xf pass (generated from Passes.td).
//
//===----------------------------------------------------------------------===//

#ifndef XF_PASSES_PASSES_H
#define XF_PASSES_PASSES_H

#include "dialect/XfDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Pass/Pass.h"

namespace mlir::xf {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace mlir::xf

#endif // XF_PASSES_PASSES_H
