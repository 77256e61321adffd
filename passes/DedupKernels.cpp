//===- DedupKernels.cpp - share identical kernels ---------------*- C++ -*-===//
//
// Kernel functions that compute the same thing (same op, attributes and
// types) are merged, so the twelve identical layers of a model compile each
// distinct kernel once.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::xf {
#define GEN_PASS_DEF_DEDUPKERNELS
#include "passes/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// What the kernel computes: each op's name, attributes (inherent and
/// discardable) and types, in order. Equal keys mean equal computations;
/// locations and the kernel's own name are not part of it.
std::string structuralKey(func::FuncOp kernel) {
  std::string key;
  llvm::raw_string_ostream os(key);
  os << kernel.getFunctionType();
  llvm::DenseMap<Value, unsigned> number;
  for (BlockArgument arg : kernel.getArguments())
    number[arg] = number.size();
  for (Operation &op : kernel.getBody().front()) {
    os << "|" << op.getName() << " " << op.getPropertiesAsAttribute() << " "
       << op.getDiscardableAttrDictionary() << " (";
    for (Value v : op.getOperands())
      os << "%" << number.lookup(v) << ",";
    os << ")";
    for (Value r : op.getResults())
      number[r] = number.size();
  }
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
