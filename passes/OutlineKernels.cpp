//===- OutlineKernels.cpp - one function per compute op ---------*- C++ -*-===//
//
// Splits each entry point into a host program (parameters, views, cache
// appends, calls) and kernel functions, each holding one compute op. Code
// generation turns every kernel function into one Halide pipeline.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::xf {
#define GEN_PASS_DEF_OUTLINEKERNELS
#include "passes/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// Ops the host program runs itself: declarations, views (a reshape or a
/// slice moves no data), index math.
bool staysInHost(Operation *op) {
  return isa<ParamOp, ParamStackOp, ParamConcatOp, PositionIdsOp, CacheAppendOp, CacheReadOp,
             func::ReturnOp, func::CallOp>(op) ||
         isStorageView(op) ||
         op->getDialect() != op->getContext()->getLoadedDialect<XfDialect>();
}

struct OutlineKernelsPass : xf::impl::OutlineKernelsBase<OutlineKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> entries;
    for (auto fn : module.getOps<func::FuncOp>())
      if (fn.isPublic() && !fn.isExternal() && !fn->hasAttr(kKernelAttrName))
        entries.push_back(fn);

    for (func::FuncOp fn : entries) {
      SmallVector<Operation *> toOutline;
      fn.walk([&](Operation *op) {
        if (op != fn && !staysInHost(op))
          toOutline.push_back(op);
      });
      for (Operation *op : toOutline)
        outline(op, symbols, fn);
    }
  }

  void outline(Operation *op, SymbolTable &symbols, func::FuncOp parent) {
    OpBuilder b(parent);
    auto type = b.getFunctionType(op->getOperandTypes(), op->getResultTypes());
    std::string base = op->getName().stripDialect().str();
    auto kernel = b.create<func::FuncOp>(op->getLoc(), base, type);
    kernel.setPrivate();
    kernel->setAttr(kKernelAttrName, b.getUnitAttr());
    symbols.insert(kernel); // renames to base_N on a clash
    Block *body = kernel.addEntryBlock();
    b.setInsertionPointToStart(body);
    IRMapping map;
    map.map(op->getOperands(), body->getArguments());
    Operation *clone = b.clone(*op, map);
    b.create<func::ReturnOp>(op->getLoc(), clone->getResults());

    b.setInsertionPoint(op);
    auto call = b.create<func::CallOp>(op->getLoc(), kernel, op->getOperands());
    op->replaceAllUsesWith(call.getResults());
    op->erase();
    ++numKernels;
  }
};

} // namespace
