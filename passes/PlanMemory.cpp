//===- PlanMemory.cpp - activation buffers by liveness ----------*- C++ -*-===//
//
// After outlining, every kernel call of an entry point writes a fresh tensor.
// This pass gives each such result a numbered buffer (`xf.buffer`), reusing a
// buffer as soon as the value it held is dead, and writing a pointwise
// kernel's result in place over an operand whose last use it is (a residual
// add over the residual stream, an activation over its input). The runtime
// keeps one growable allocation per buffer number, shared by every entry point
// and reused across calls, so a run allocates nothing per kernel call.
//
// What is left alone: values an entry point returns (and their views: they
// outlive the call), integer results (mask conditions), position ids,
// parameters, cache views, arguments.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::xf {
#define GEN_PASS_DEF_PLANMEMORY
#include "passes/Passes.h.inc"
} // namespace mlir::xf

using namespace mlir;
using namespace mlir::xf;

namespace {

/// A size estimate for choosing between free buffers: static dims as they
/// are, each dynamic dim (batch, sequence) counted as 64. Only the choice
/// depends on it; the runtime grows a buffer to what a call really needs.
double estimatedBytes(Type type) {
  double n = 4;
  for (int64_t d : cast<RankedTensorType>(type).getShape())
    n *= ShapedType::isDynamic(d) ? 64.0 : (double)d;
  return n;
}

/// The call's operands that its kernel reads pointwise at the output's own
/// indices (and nowhere else), so the result may overwrite one of them: the
/// residual of a GEMM epilogue, the input of an activation or scale, the
/// first operand of an elementwise add or mul (the result takes its shape),
/// and the second when its type is the result's and fully static.
SmallVector<unsigned> inPlaceCandidates(func::CallOp call, func::FuncOp kernel) {
  Operation *op = &kernel.getBody().front().front();
  Type result = op->getResult(0).getType();
  SmallVector<unsigned> out;
  auto sameType = [&](unsigned i) { return op->getOperand(i).getType() == result; };
  if (auto linear = dyn_cast<LinearOp>(op)) {
    if (Value r = linear.getResidual())
      for (OpOperand &use : r.getUses())
        if (use.getOwner() == op && use.getOperandNumber() != 0)
          out.push_back(use.getOperandNumber());
  } else if (isa<ScaleOp, GeluOp, SiluOp, ReluOp>(op)) {
    out.push_back(0);
  } else if (isa<AddOp, MulOp>(op)) {
    if (sameType(0))
      out.push_back(0);
    if (sameType(1) && cast<RankedTensorType>(result).hasStaticShape())
      out.push_back(1);
  }
  return out;
}

class EntryPlanner {
public:
  EntryPlanner(func::FuncOp entry, SymbolTable &symbols) : entry(entry), symbols(symbols) {}

  /// Numbers the buffers of `entry`; returns how many it uses and how many
  /// results were written in place.
  std::pair<unsigned, unsigned> plan() {
    Block &body = entry.getBody().front();
    for (Operation &op : body)
      index[&op] = index.size();
    findRootsAndLastUses(body);

    unsigned inPlace = 0;
    for (Operation &op : body) {
      auto call = dyn_cast<func::CallOp>(op);
      if (call && call.getNumResults() == 1 && planned(call.getResult(0))) {
        Value v = call.getResult(0);
        double bytes = estimatedBytes(v.getType());
        int slot = inPlaceSlot(call);
        if (slot >= 0)
          ++inPlace;
        else
          slot = freeSlot(bytes, index[&op]);
        holder[slot] = v;
        capacity[slot] = std::max(capacity[slot], bytes);
        call->setAttr(kBufferAttrName,
                      IntegerAttr::get(IntegerType::get(entry.getContext(), 64), slot));
      }
    }
    return {(unsigned)holder.size(), inPlace};
  }

private:
  func::FuncOp entry;
  SymbolTable &symbols;
  llvm::DenseMap<Operation *, unsigned> index;
  /// The kernel result whose storage a value is (itself, or under reshapes).
  llvm::DenseMap<Value, Value> root;
  /// Index of the last op that reads a root's storage (through any view).
  llvm::DenseMap<Value, unsigned> lastUse;
  llvm::DenseSet<Value> returned;
  /// Per buffer: the root it holds now, and the largest estimate it held.
  SmallVector<Value> holder;
  SmallVector<double> capacity;

  bool planned(Value v) { return root.count(v) && !returned.count(root.lookup(v)); }

  void findRootsAndLastUses(Block &body) {
    for (Operation &op : body) {
      if (auto call = dyn_cast<func::CallOp>(op)) {
        auto kernel = symbols.lookup<func::FuncOp>(call.getCallee());
        if (kernel && kernel->hasAttr(kKernelAttrName) && call.getNumResults() == 1 &&
            cast<RankedTensorType>(call.getResult(0).getType()).getElementType().isF32())
          root[call.getResult(0)] = call.getResult(0);
      } else if (isStorageView(&op)) {
        if (Value r = root.lookup(op.getOperand(0)))
          root[op.getResult(0)] = r;
      }
      for (Value v : op.getOperands())
        if (Value r = root.lookup(v)) {
          lastUse[r] = index[&op];
          if (isa<func::ReturnOp>(op))
            returned.insert(r);
        }
    }
  }

  /// The buffer of an operand this call may overwrite: read pointwise, dead
  /// after this call, and not also read through another operand.
  int inPlaceSlot(func::CallOp call) {
    auto kernel = symbols.lookup<func::FuncOp>(call.getCallee());
    unsigned here = index[call];
    for (unsigned i : inPlaceCandidates(call, kernel)) {
      Value operand = call.getOperand(i);
      if (!planned(operand))
        continue;
      Value r = root.lookup(operand);
      if (lastUse.lookup(r) != here)
        continue;
      bool aliased = false;
      for (auto [j, other] : llvm::enumerate(call.getOperands()))
        if (j != i && root.lookup(other) == r)
          aliased = true;
      if (aliased)
        continue;
      for (auto [slot, held] : llvm::enumerate(holder))
        if (held == r)
          return (int)slot;
    }
    return -1;
  }

  /// A buffer whose value was last read before op `here`: the smallest that
  /// fits the estimate, else the largest (it grows), else a new one.
  int freeSlot(double bytes, unsigned here) {
    int fit = -1, largest = -1;
    for (auto [slot, held] : llvm::enumerate(holder)) {
      if (lastUse.lookup(held) >= here)
        continue;
      int s = (int)slot;
      if (capacity[s] >= bytes && (fit < 0 || capacity[s] < capacity[fit]))
        fit = s;
      if (largest < 0 || capacity[s] > capacity[largest])
        largest = s;
    }
    if (fit >= 0)
      return fit;
    if (largest >= 0)
      return largest;
    holder.push_back(Value());
    capacity.push_back(0);
    return (int)holder.size() - 1;
  }
};

struct PlanMemoryPass : xf::impl::PlanMemoryBase<PlanMemoryPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (!fn.isPublic() || fn.isExternal() || fn->hasAttr(kKernelAttrName))
        continue;
      auto [buffers, inPlace] = EntryPlanner(fn, symbols).plan();
      numBuffers += buffers;
      numInPlace += inPlace;
    }
  }
};

} // namespace
