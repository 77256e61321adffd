//===- InitAll.cpp - every dialect, pass and pipeline of xfc ----*- C++ -*-===//

#include "tools/InitAll.h"
#include "passes/Passes.h"
#include "passes/Pipelines.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

void mlir::xf::registerAllDialects(DialectRegistry &registry) {
  registry.insert<XfDialect, func::FuncDialect, arith::ArithDialect>();
}

void mlir::xf::registerAllPasses() {
  static bool done = false;
  if (done)
    return;
  done = true;
  registerXfPasses();
  registerTransformsPasses(); // MLIR's core transforms: canonicalize, cse, inline, sccp, ...
  registerXfPipelines();
}
