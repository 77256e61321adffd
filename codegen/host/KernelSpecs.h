//===- KernelSpecs.h - kernel functions to Halide specs ---------*- C++ -*-===//
//
// Reads an outlined kernel function (one xf op) into the plain KernelSpec the
// Halide side compiles, and gives the C++ expressions for its result's
// run-time shape, which the host code needs to allocate the output.
//
//===----------------------------------------------------------------------===//

#ifndef XF_CODEGEN_HOST_KERNELSPECS_H
#define XF_CODEGEN_HOST_KERNELSPECS_H

#include "codegen/halide/KernelSpec.h"
#include "dialect/XfDialect.h"

namespace mlir::xf {

/// The symbol a kernel function's object defines: the function's kind and a
/// hash of its spec (equal kernels of any two models share it).
std::string kernelSymbol(func::FuncOp kernel);

/// The spec of `kernel`; emits an error on the op and fails for an op kind
/// with no Halide lowering.
FailureOr<::xf::codegen::KernelSpec> buildKernelSpec(func::FuncOp kernel);

/// C++ expressions for each dimension of the kernel's result, in terms of the
/// operands' tensors named `operands` (e.g. "v3.dim(1)").
FailureOr<std::vector<std::string>> resultShapeExprs(func::FuncOp kernel,
                                                     ArrayRef<std::string> operands);

} // namespace mlir::xf

#endif // XF_CODEGEN_HOST_KERNELSPECS_H
