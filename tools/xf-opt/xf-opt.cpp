//===- xf-opt.cpp - mlir-opt for the xf dialect -----------------*- C++ -*-===//
//
// Parses xf modules and runs xf passes, with every mlir-opt convention
// (--mlir-print-ir-after-all, --pass-pipeline, --load-pass-plugin).
//
//===----------------------------------------------------------------------===//

#include "tools/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::xf::registerAllDialects(registry);
  mlir::xf::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "xf optimizer driver\n", registry));
}
