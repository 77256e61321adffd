//===- DedupKernels.cpp - share identical kernels ---------------*- C++ -*-===//
//
// Kernel functions that compute the same thing (same op, attributes and
// types) are merged, so the twelve identical layers of a model compile each
// distinct kernel once.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::xf {
#define GEN_PASS_DEF_DEDUPKERNELS
#include "passes/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// The kernel's body printed without locations or its own name: equal
/// strings mean equal computations.
std::string structuralKey(func::FuncOp kernel) {
  std::string key;
  llvm::raw_string_ostream os(key);
  os << kernel.getFunctionType();
  OpPrintingFlags flags;
  flags.elideLargeElementsAttrs(64).printGenericOpForm();
  for (Operation &op : kernel.getBody().front())
    op.print(os, flags);
  return key;
}

struct DedupKernelsPass : xf::impl::DedupKernelsBase<DedupKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringMap<func::FuncOp> firstByKey;
    SmallVector<func::FuncOp> duplicates;
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (!fn->hasAttr(kKernelAttrName))
        continue;
      auto [it, inserted] = firstByKey.try_emplace(structuralKey(fn), fn);
      if (inserted)
        continue;
      if (failed(SymbolTable::replaceAllSymbolUses(
              fn.getSymNameAttr(), it->second.getSymNameAttr(), module)))
        return signalPassFailure();
      duplicates.push_back(fn);
    }
    for (func::FuncOp fn : duplicates)
      fn.erase();
    numRemoved += duplicates.size();
  }
};

} // namespace
