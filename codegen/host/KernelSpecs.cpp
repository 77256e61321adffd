//===- KernelSpecs.cpp - kernel functions to Halide specs -------*- C++ -*-===//
//
// One TypeSwitch over the ops that become kernels; an op with no lowering is
// an error naming it, never a silent skip.
//
//===----------------------------------------------------------------------===//

#include "codegen/host/KernelSpecs.h"
#include "codegen/KernelCache.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::xf;
using ::xf::codegen::KernelArg;
using ::xf::codegen::KernelKind;
using ::xf::codegen::KernelSpec;

namespace {
Operation *kernelOp(func::FuncOp kernel) { return &kernel.getBody().front().front(); }

KernelArg argOf(Type type) {
  auto t = cast<RankedTensorType>(type);
  KernelArg a;
  a.isInt = isa<IntegerType>(t.getElementType()); // i64, or i1 held as i64
  for (int64_t d : t.getShape())
    a.shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
  return a;
}

/// Everything a kernel's object depends on but the target: what it computes.
std::string fingerprint(const KernelSpec &s) {
  std::string t;
  llvm::raw_string_ostream os(t);
  auto arg = [&](const KernelArg &a) {
    os << (a.isInt ? "i" : "f");
    for (int64_t d : a.shape)
      os << ',' << d;
    os << ';';
  };
  os << (int)s.kind << ';';
  for (const KernelArg &a : s.inputs)
    arg(a);
  os << "->";
  arg(s.output);
  os << llvm::bit_cast<uint32_t>(s.scalar) << ';' << llvm::bit_cast<uint32_t>(s.scalar2) << ';'
     << s.flag << ';';
  for (int64_t i : s.ints)
    os << i << ',';
  return t;
}
} // namespace

std::string mlir::xf::kernelSymbol(func::FuncOp kernel) {
  auto spec = buildKernelSpec(kernel);
  return succeeded(spec) ? spec->name : "xfk_" + kernel.getSymName().str();
}

FailureOr<KernelSpec> mlir::xf::buildKernelSpec(func::FuncOp kernel) {
  Operation *op = kernelOp(kernel);
  KernelSpec s;
  for (OpOperand &use : op->getOpOperands()) {
    s.inputs.push_back(argOf(use.get().getType()));
    // A weight in panels is read only as a linear's w or gate: its kernel
    // argument is the storage, [panels, K, width].
    if (int64_t width = panelWidth(use.get().getType())) {
      auto linear = dyn_cast<LinearOp>(op);
      if (!linear || (use.get() != linear.getW() && use.get() != linear.getGate()))
        return op->emitError("codegen: only a linear's weight may be stored in panels"),
               failure();
      std::vector<int64_t> &shape = s.inputs.back().shape;
      shape = {(shape[1] + width - 1) / width, shape[0], width};
    }
  }
  if (op->getNumResults() != 1)
    return op->emitError("codegen: a kernel must have one result"), failure();
  s.output = argOf(op->getResult(0).getType());
  bool ok = llvm::TypeSwitch<Operation *, bool>(op)
                .Case([&](EmbeddingOp) { return s.kind = KernelKind::Embedding, true; })
                .Case([&](LinearOp o) {
                  s.kind = KernelKind::Linear;
                  s.flag = o.getTransposeW();
                  int64_t act = 0;
                  if (auto a = o.getActivation())
                    act = llvm::StringSwitch<int64_t>(*a)
                              .Case("gelu_tanh", 1)
                              .Case("gelu", 2)
                              .Case("silu", 3)
                              .Case("relu", 4)
                              .Default(0);
                  s.ints = {o.getBias() ? 1 : 0, o.getResidual() ? 1 : 0, act,
                            o.getGate() ? 1 : 0};
                  return true;
                })
                .Case([&](MatmulOp) { return s.kind = KernelKind::Matmul, true; })
                .Case([&](AddOp) { return s.kind = KernelKind::Add, true; })
                .Case([&](MulOp) { return s.kind = KernelKind::Mul, true; })
                .Case([&](ScaleOp o) {
                  s.kind = KernelKind::Scale;
                  s.scalar = o.getFactor().convertToFloat();
                  return true;
                })
                .Case([&](LayerNormOp o) {
                  s.kind = KernelKind::LayerNorm;
                  s.scalar = o.getEpsilon().convertToFloat();
                  return true;
                })
                .Case([&](SoftmaxOp) { return s.kind = KernelKind::Softmax, true; })
                .Case([&](RmsNormOp o) {
                  s.kind = KernelKind::RmsNorm;
                  s.scalar = o.getEpsilon().convertToFloat();
                  return true;
                })
                .Case([&](SiluOp) { return s.kind = KernelKind::Silu, true; })
                .Case([&](ReluOp) { return s.kind = KernelKind::Relu, true; })
                .Case([&](RopeOp o) {
                  s.kind = KernelKind::Rope;
                  s.scalar = o.getTheta().convertToFloat();
                  return true;
                })
                .Case([&](RepeatHeadsOp o) {
                  s.kind = KernelKind::RepeatHeads;
                  s.ints = {(int64_t)o.getRepeats()};
                  return true;
                })
                .Case([&](SlidingWindowMaskOp o) {
                  s.kind = KernelKind::SlidingWindowMask;
                  s.ints = {(int64_t)o.getWindow()};
                  return true;
                })
                .Case([&](GeluOp o) {
                  s.kind = KernelKind::Gelu;
                  s.flag = o.getApproximate() == "tanh";
                  return true;
                })
                .Case([&](TransposeOp o) {
                  s.kind = KernelKind::Transpose;
                  s.ints.assign(o.getPermutation().begin(), o.getPermutation().end());
                  return true;
                })
                .Case([&](CausalMaskOp) { return s.kind = KernelKind::CausalMask, true; })
                .Case([&](RelativePositionBiasOp o) {
                  s.kind = KernelKind::RelativePositionBias;
                  s.ints = {(int64_t)o.getBuckets(), (int64_t)o.getMaxDistance(),
                            o.getBidirectional() ? 1 : 0};
                  return true;
                })
                .Case([&](PaddingMaskOp) { return s.kind = KernelKind::PaddingMask, true; })
                .Case([&](IotaOp o) {
                  s.kind = KernelKind::Iota;
                  s.ints = {o.getAxis()};
                  return true;
                })
                .Case([&](CompareOp o) {
                  s.kind = KernelKind::Compare;
                  s.ints = {(int64_t)o.getPredicate(), o.getOffsetValue()};
                  return true;
                })
                .Case([&](SelectOp o) {
                  s.kind = KernelKind::Select;
                  s.scalar = o.getTrueValue().convertToFloat();
                  s.scalar2 = o.getFalseValue().convertToFloat();
                  return true;
                })
                .Case([&](MoeOp o) {
                  s.kind = KernelKind::Moe;
                  s.ints = {(int64_t)o.getTopK()};
                  return true;
                })
                .Case([&](AttentionOp o) {
                  s.kind = KernelKind::Attention;
                  s.scalar = o.getScale().convertToFloat();
                  s.flag = o.getMaskKind() != MaskKind::none;
                  s.ints = {o.getWindow() ? (int64_t)*o.getWindow() : 0,
                            o.getBiasBuckets() ? (int64_t)*o.getBiasBuckets() : 0,
                            o.getBiasMaxDistance() ? (int64_t)*o.getBiasMaxDistance() : 0,
                            o.getBiasBidirectional() ? 1 : 0, o.getMask() ? 1 : 0,
                            o.getKeyLengths() ? 1 : 0, o.getQPositions() ? 1 : 0};
                  if (auto theta = o.getQRopeTheta())
                    s.scalar2 = theta->convertToFloat();
                  return true;
                })
                .Default([](Operation *) { return false; });
  if (!ok)
    return op->emitError("codegen: no Halide lowering for '") << op->getName() << "'",
           failure();
  // The symbol: the function's kind prefix (linear_130 -> linear) and a
  // hash of the spec, the same in every build that needs this kernel (the
  // kernel cache files objects under it).
  StringRef prefix = kernel.getSymName();
  while (!prefix.empty() && (llvm::isDigit(prefix.back()) || prefix.back() == '_'))
    prefix = prefix.drop_back();
  s.name = "xfk_" + prefix.str() + "_" + KernelCache::hashHex(fingerprint(s));
  return s;
}

FailureOr<std::vector<std::string>> mlir::xf::resultShapeExprs(func::FuncOp kernel,
                                                               ArrayRef<std::string> in) {
  Operation *op = kernelOp(kernel);
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  int64_t r = type.getRank();
  auto dim = [&](unsigned operand, int64_t d) {
    return in[operand] + ".dim(" + std::to_string(d) + ")";
  };
  std::vector<std::string> out;
  for (int64_t i = 0; i < r; ++i) {
    if (!type.isDynamicDim(i)) {
      out.push_back(std::to_string(type.getDimSize(i)));
      continue;
    }
    std::string e = llvm::TypeSwitch<Operation *, std::string>(op)
                        .Case([&](MatmulOp) { return i == r - 1 ? dim(1, i) : dim(0, i); })
                        .Case([&](TransposeOp t) { return dim(0, t.getPermutation()[i]); })
                        .Case([&](CausalMaskOp) { return dim(0, 1); })
                        .Case([&](SlidingWindowMaskOp) { return dim(0, 1); })
                        .Case([&](RelativePositionBiasOp) { return dim(i, 1); })
                        .Case([&](PaddingMaskOp) { return dim(1, i == 0 ? 0 : 1); })
                        .Case([&](RepeatHeadsOp rh) {
                          return i == 1 ? "(" + dim(0, 1) + " * " +
                                              std::to_string(rh.getRepeats()) + ")"
                                        : dim(0, i);
                        })
                        .Case([&](AttentionOp) { return i == 3 ? dim(2, 3) : dim(0, i); })
                        .Case([&](EmbeddingOp) { return dim(1, i); })
                        .Case([&](IotaOp o) { return dim(0, o.getDim()); })
                        .Case([&](CompareOp c) {
                          auto lhs = cast<RankedTensorType>(c.getLhs().getType());
                          return lhs.getDimSize(i) == 1 ? dim(1, i) : dim(0, i);
                        })
                        .Default([&](Operation *) { return dim(0, i); });
    out.push_back(e);
  }
  return out;
}
