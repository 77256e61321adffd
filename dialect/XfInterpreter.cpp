//===- XfInterpreter.cpp - reference interpreter of xf ----------*- C++ -*-===//
//
// Each op is evaluated with plain loops in float32 arithmetic
// where the model does (accumulations in float), written for clarity, not
// speed. Shapes are checked at run time against the static parts of types.
//
//===----------------------------------------------------------------------===//

#include "dialect/XfInterpreter.h"
#include "dialect/RelativeBuckets.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <limits>
#include <random>

using namespace mlir;
using namespace mlir::xf;

int64_t HostTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}
HostTensor HostTensor::zerosF32(std::vector<int64_t> shape) {
  HostTensor t;
  t.shape = std::move(shape);
  t.f32.assign(t.numel(), 0.0f);
  return t;
}
HostTensor HostTensor::zerosI64(std::vector<int64_t> shape) {
  HostTensor t;
  t.shape = std::move(shape);
  t.isInt = true;
  t.i64.assign(t.numel(), 0);
  return t;
}
RtValue RtValue::ofTensor(HostTensor t) {
  RtValue v;
  v.kind = Kind::Tensor;
  v.tensor = std::move(t);
  return v;
}
RtValue RtValue::ofIndex(int64_t i) {
  RtValue v;
  v.kind = Kind::Index;
  v.index = i;
  return v;
}
RtValue RtValue::ofCache(KVCacheType type, int64_t batch) {
  RtValue v;
  v.kind = Kind::Cache;
  v.cache = std::make_shared<HostTensor>(HostTensor::zerosF32(
      {batch, type.getHeads(), type.getCapacity(), type.getHeadDim()}));
  return v;
}

ParamProvider mlir::xf::randomParams(uint64_t seed) {
  return [seed](StringRef name, StringRef key, RankedTensorType type,
                Location) -> FailureOr<HostTensor> {
    HostTensor t = HostTensor::zerosF32(
        std::vector<int64_t>(type.getShape().begin(), type.getShape().end()));
    std::seed_seq seq{seed, (uint64_t)llvm::hash_value(key)};
    std::mt19937_64 gen(seq);
    std::normal_distribution<float> normal(0.0f, 0.3f);
    bool isGamma = name.ends_with(".weight") &&
                   (name.contains("ln_") || name.contains("norm") || name.contains("layernorm"));
    for (float &x : t.f32)
      x = (isGamma ? 1.0f : 0.0f) + normal(gen);
    return t;
  };
}

double mlir::xf::relativeL2(const HostTensor &a, const HostTensor &b) {
  if (a.shape != b.shape || a.f32.size() != b.f32.size())
    return std::numeric_limits<double>::infinity();
  double num = 0, den = 0;
  for (size_t i = 0; i < a.f32.size(); ++i) {
    double d = (double)a.f32[i] - (double)b.f32[i];
    num += d * d;
    den += (double)b.f32[i] * b.f32[i];
  }
  return den == 0 ? std::sqrt(num) : std::sqrt(num / den);
}

namespace {

std::vector<int64_t> stridesOf(const std::vector<int64_t> &shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int64_t i = (int64_t)shape.size() - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/// Checks a memory plan (xf.buffer on kernel calls) as the program runs: a
/// value read after its buffer was given to another value is an error, so a
/// plan that reuses memory too early fails here, not only in an executable.
class BufferTracker {
public:
  LogicalResult checkReads(Operation &op) {
    for (Value v : op.getOperands()) {
      auto it = bufferOf.find(v);
      if (it == bufferOf.end())
        continue;
      auto [buffer, owner] = it->second;
      if (holder.lookup(buffer) != owner)
        return op.emitError("interpreter: memory plan: an operand is read after its buffer ")
                   << buffer << " was reused",
               failure();
    }
    return success();
  }
  void recordWrites(Operation &op) {
    if (auto buffer = op.getAttrOfType<IntegerAttr>(kBufferAttrName)) {
      holder[buffer.getInt()] = op.getResult(0);
      bufferOf[op.getResult(0)] = {buffer.getInt(), op.getResult(0)};
    } else if (isStorageView(&op)) {
      // A copy: inserting may grow the map and invalidate `it` (found by ASan).
      if (auto it = bufferOf.find(op.getOperand(0)); it != bufferOf.end()) {
        std::pair<int64_t, Value> source = it->second;
        bufferOf[op.getResult(0)] = source;
      }
    }
  }

private:
  /// Per buffer, the value written to it last; per planned value, its buffer
  /// and the value whose write it shows (itself, or what it is a view of).
  llvm::DenseMap<int64_t, Value> holder;
  llvm::DenseMap<Value, std::pair<int64_t, Value>> bufferOf;
};

class Evaluator {
public:
  explicit Evaluator(const ParamProvider &params) : params(params) {}

  FailureOr<std::vector<RtValue>> run(func::FuncOp func, ArrayRef<RtValue> args) {
    if (func.isExternal())
      return func.emitError("interpreter: function has no body"), failure();
    Block &body = func.getBody().front();
    if (args.size() != body.getNumArguments())
      return func.emitError("interpreter: expected ")
                 << body.getNumArguments() << " arguments, got " << args.size(),
             failure();
    llvm::DenseMap<Value, RtValue> env;
    for (auto [arg, v] : llvm::zip(body.getArguments(), args))
      env[arg] = v;
    BufferTracker buffers;
    for (Operation &op : body) {
      if (failed(buffers.checkReads(op)))
        return failure();
      if (auto ret = dyn_cast<func::ReturnOp>(op)) { // may return nothing (encode)
        std::vector<RtValue> out;
        for (Value v : ret.getOperands())
          out.push_back(env.lookup(v));
        return out;
      }
      SmallVector<RtValue> in;
      for (Value v : op.getOperands())
        in.push_back(env.lookup(v));
      auto res = eval(op, in);
      if (failed(res))
        return failure();
      if (res->size() != op.getNumResults())
        return op.emitError("interpreter: result count mismatch"), failure();
      for (auto [r, v] : llvm::zip(op.getResults(), *res)) {
        if (failed(checkType(&op, r.getType(), v)))
          return failure();
        env[r] = std::move(v);
      }
      buffers.recordWrites(op);
    }
    return func.emitError("interpreter: missing return"), failure();
  }

private:
  const ParamProvider &params;

  LogicalResult checkType(Operation *op, Type type, const RtValue &v) {
    auto t = dyn_cast<RankedTensorType>(type);
    if (!t)
      return success();
    if (v.kind != RtValue::Kind::Tensor || (int64_t)v.tensor.shape.size() != t.getRank())
      return op->emitError("interpreter: result rank does not match its type");
    for (int64_t i = 0; i < t.getRank(); ++i)
      if (!t.isDynamicDim(i) && t.getDimSize(i) != v.tensor.shape[i])
        return op->emitError("interpreter: result dim ")
               << i << " is " << v.tensor.shape[i] << ", type says "
               << t.getDimSize(i);
    return success();
  }

  using Results = FailureOr<SmallVector<RtValue>>;
  static Results one(HostTensor t) {
    SmallVector<RtValue> r;
    r.push_back(RtValue::ofTensor(std::move(t)));
    return r;
  }

  Results eval(Operation &op, ArrayRef<RtValue> in) {
    return llvm::TypeSwitch<Operation *, Results>(&op)
        .Case([&](ParamOp p) -> Results {
          auto type = cast<RankedTensorType>(p.getType());
          if (!p.getTransposed()) {
            auto t = params(p.getName(), p.getKey(), type, p.getLoc());
            if (failed(t))
              return failure();
            return one(std::move(*t));
          }
          // The checkpoint holds the [b, a] tensor; the result is [a, b].
          int64_t a = type.getDimSize(0), b = type.getDimSize(1);
          auto stored = params(p.getName(), p.getKey(),
                               RankedTensorType::get({b, a}, type.getElementType()), p.getLoc());
          if (failed(stored))
            return failure();
          HostTensor out = HostTensor::zerosF32({a, b});
          for (int64_t i = 0; i < b; ++i)
            for (int64_t j = 0; j < a; ++j)
              out.f32[j * b + i] = stored->f32[i * a + j];
          return one(std::move(out));
        })
        .Case([&](ParamStackOp p) -> Results {
          auto type = cast<RankedTensorType>(p.getType());
          HostTensor out = HostTensor::zerosF32(
              std::vector<int64_t>(type.getShape().begin(), type.getShape().end()));
          size_t part = out.f32.size() / p.getKeys().size();
          auto partType =
              RankedTensorType::get(type.getShape().drop_front(), type.getElementType());
          for (auto [i, key] : llvm::enumerate(p.getKeys().getAsValueRange<StringAttr>())) {
            auto t = params(key, key, partType, p.getLoc());
            if (failed(t))
              return failure();
            std::copy(t->f32.begin(), t->f32.end(), out.f32.begin() + i * part);
          }
          return one(std::move(out));
        })
        .Case([&](ParamConcatOp p) -> Results {
          // Parts as stored, [n_i, rest...], concatenated along dim 0; then
          // transposed for a transposed declaration.
          auto type = cast<RankedTensorType>(p.getType());
          std::vector<int64_t> stored(type.getShape().begin(), type.getShape().end());
          if (p.getTransposed())
            std::swap(stored[0], stored[1]);
          HostTensor cat = HostTensor::zerosF32(stored);
          size_t at = 0;
          for (auto [key, n] : llvm::zip(p.getKeys().getAsValueRange<StringAttr>(), p.getSizes())) {
            std::vector<int64_t> part = stored;
            part[0] = n;
            auto t = params(key, key, RankedTensorType::get(part, type.getElementType()),
                            p.getLoc());
            if (failed(t))
              return failure();
            std::copy(t->f32.begin(), t->f32.end(), cat.f32.begin() + at);
            at += t->f32.size();
          }
          if (!p.getTransposed())
            return one(std::move(cat));
          int64_t a = type.getDimSize(0), b = type.getDimSize(1);
          HostTensor out = HostTensor::zerosF32({a, b});
          for (int64_t i = 0; i < b; ++i)
            for (int64_t j = 0; j < a; ++j)
              out.f32[j * b + i] = cat.f32[i * a + j];
          return one(std::move(out));
        })
        .Case([&](MoeOp m) {
          const HostTensor &x = in[0].tensor, &gate = in[1].tensor, &w1 = in[2].tensor,
                           &w2 = in[3].tensor, &w3 = in[4].tensor;
          int64_t H = x.shape.back(), E = gate.shape[0], I = w1.shape[1], K = m.getTopK();
          HostTensor out = HostTensor::zerosF32(x.shape);
          std::vector<float> p(E), hidden(I);
          for (int64_t t = 0; t < x.numel() / H; ++t) {
            const float *xt = &x.f32[t * H];
            for (int64_t e = 0; e < E; ++e) {
              float acc = 0;
              for (int64_t h = 0; h < H; ++h)
                acc += xt[h] * gate.f32[e * H + h];
              p[e] = acc;
            }
            softmaxRow(p.data(), E);
            std::vector<int64_t> order(E);
            for (int64_t e = 0; e < E; ++e)
              order[e] = e;
            std::stable_sort(order.begin(), order.end(),
                             [&](int64_t a, int64_t b) { return p[a] > p[b]; });
            float total = 0;
            for (int64_t k = 0; k < K; ++k)
              total += p[order[k]];
            for (int64_t k = 0; k < K; ++k) {
              int64_t e = order[k];
              for (int64_t i = 0; i < I; ++i) {
                float g = 0, u = 0;
                for (int64_t h = 0; h < H; ++h) {
                  g += xt[h] * w1.f32[(e * I + i) * H + h];
                  u += xt[h] * w3.f32[(e * I + i) * H + h];
                }
                hidden[i] = g / (1.0f + std::exp(-g)) * u;
              }
              float weight = p[e] / total;
              for (int64_t h = 0; h < H; ++h) {
                float acc = 0;
                for (int64_t i = 0; i < I; ++i)
                  acc += hidden[i] * w2.f32[(e * H + h) * I + i];
                out.f32[t * H + h] += weight * acc;
              }
            }
          }
          return one(std::move(out));
        })
        .Case([&](PositionIdsOp p) {
          const HostTensor &ids = in[0].tensor;
          int64_t off = p.getOffset() ? in[1].index : 0;
          HostTensor out = HostTensor::zerosI64(ids.shape);
          for (int64_t b = 0; b < ids.shape[0]; ++b)
            for (int64_t s = 0; s < ids.shape[1]; ++s)
              out.i64[b * ids.shape[1] + s] = off + s;
          return one(std::move(out));
        })
        .Case([&](EmbeddingOp e) -> Results {
          const HostTensor &table = in[0].tensor, &ids = in[1].tensor;
          int64_t d = table.shape[1];
          std::vector<int64_t> shape = ids.shape;
          shape.push_back(d);
          HostTensor out = HostTensor::zerosF32(shape);
          for (int64_t i = 0; i < ids.numel(); ++i) {
            int64_t id = ids.i64[i];
            if (id < 0 || id >= table.shape[0])
              return e.emitError("interpreter: id ") << id << " out of range",
                     failure();
            std::copy_n(&table.f32[id * d], d, &out.f32[i * d]);
          }
          return one(std::move(out));
        })
        .Case([&](LinearOp l) {
          const HostTensor &x = in[0].tensor, &w = in[1].tensor;
          bool tw = l.getTransposeW();
          int64_t k = x.shape.back(), n = tw ? w.shape[0] : w.shape[1];
          int64_t m = x.numel() / k;
          std::vector<int64_t> shape = x.shape;
          shape.back() = n;
          HostTensor out = HostTensor::zerosF32(shape);
          auto product = [&](const HostTensor &weight, int64_t i, int64_t j) {
            float acc = 0;
            for (int64_t r = 0; r < k; ++r)
              acc += x.f32[i * k + r] * (tw ? weight.f32[j * k + r] : weight.f32[r * n + j]);
            return acc;
          };
          unsigned biasAt = 2, residualAt = biasAt + (l.getBias() ? 1 : 0),
                   gateAt = residualAt + (l.getResidual() ? 1 : 0);
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) {
              float acc = product(w, i, j);
              if (l.getBias())
                acc += in[biasAt].tensor.f32[j];
              if (l.getGate())
                acc *= activate(*l.getActivation(), product(in[gateAt].tensor, i, j));
              else if (auto act = l.getActivation())
                acc = activate(*act, acc);
              if (l.getResidual())
                acc += in[residualAt].tensor.f32[i * n + j];
              out.f32[i * n + j] = acc;
            }
          return one(std::move(out));
        })
        .Case([&](MatmulOp) {
          const HostTensor &a = in[0].tensor, &b = in[1].tensor;
          size_t r = a.shape.size();
          int64_t m = a.shape[r - 2], k = a.shape[r - 1], n = b.shape[r - 1];
          int64_t batch = a.numel() / (m * k);
          std::vector<int64_t> shape = a.shape;
          shape[r - 1] = n;
          HostTensor out = HostTensor::zerosF32(shape);
          for (int64_t bi = 0; bi < batch; ++bi)
            for (int64_t i = 0; i < m; ++i)
              for (int64_t j = 0; j < n; ++j) {
                float acc = 0;
                for (int64_t t = 0; t < k; ++t)
                  acc += a.f32[bi * m * k + i * k + t] * b.f32[bi * k * n + t * n + j];
                out.f32[bi * m * n + i * n + j] = acc;
              }
          return one(std::move(out));
        })
        .Case([&](AddOp) { return binary(in, [](float a, float b) { return a + b; }); })
        .Case([&](MulOp) { return binary(in, [](float a, float b) { return a * b; }); })
        .Case([&](ScaleOp s) {
          HostTensor out = in[0].tensor;
          float f = s.getFactor().convertToFloat();
          for (float &x : out.f32)
            x *= f;
          return one(std::move(out));
        })
        .Case([&](LayerNormOp ln) {
          HostTensor out = in[0].tensor;
          const HostTensor &g = in[1].tensor, &b = in[2].tensor;
          int64_t d = out.shape.back();
          float eps = ln.getEpsilon().convertToFloat();
          for (int64_t row = 0; row < out.numel() / d; ++row) {
            float *x = &out.f32[row * d];
            float mean = 0, var = 0;
            for (int64_t i = 0; i < d; ++i)
              mean += x[i];
            mean /= d;
            for (int64_t i = 0; i < d; ++i)
              var += (x[i] - mean) * (x[i] - mean);
            var /= d;
            float inv = 1.0f / std::sqrt(var + eps);
            for (int64_t i = 0; i < d; ++i)
              x[i] = (x[i] - mean) * inv * g.f32[i] + b.f32[i];
          }
          return one(std::move(out));
        })
        .Case([&](RmsNormOp rn) {
          HostTensor out = in[0].tensor;
          const HostTensor &w = in[1].tensor;
          int64_t d = out.shape.back();
          float eps = rn.getEpsilon().convertToFloat();
          for (int64_t row = 0; row < out.numel() / d; ++row) {
            float *x = &out.f32[row * d];
            float ms = 0;
            for (int64_t i = 0; i < d; ++i)
              ms += x[i] * x[i];
            ms /= d;
            float inv = 1.0f / std::sqrt(ms + eps);
            for (int64_t i = 0; i < d; ++i)
              x[i] = w.f32[i] * (x[i] * inv);
          }
          return one(std::move(out));
        })
        .Case([&](ReluOp) {
          HostTensor out = in[0].tensor;
          for (float &x : out.f32)
            x = activate("relu", x);
          return one(std::move(out));
        })
        .Case([&](SiluOp) {
          HostTensor out = in[0].tensor;
          for (float &x : out.f32)
            x = activate("silu", x);
          return one(std::move(out));
        })
        .Case([&](RopeOp r) {
          return one(rope(in[0].tensor, in[1].tensor, r.getTheta().convertToFloat()));
        })
        .Case([&](RepeatHeadsOp r) {
          const HostTensor &x = in[0].tensor;
          int64_t n = r.getRepeats();
          int64_t B = x.shape[0], H = x.shape[1], rest = x.shape[2] * x.shape[3];
          HostTensor out = HostTensor::zerosF32({B, H * n, x.shape[2], x.shape[3]});
          for (int64_t b = 0; b < B; ++b)
            for (int64_t h = 0; h < H * n; ++h)
              std::copy_n(&x.f32[(b * H + h / n) * rest], rest, &out.f32[(b * H * n + h) * rest]);
          return one(std::move(out));
        })
        .Case([&](PaddingMaskOp) {
          const HostTensor &lengths = in[0].tensor, &ids = in[1].tensor;
          int64_t b = ids.shape[0], s = ids.shape[1];
          HostTensor out = HostTensor::zerosF32({b, 1, 1, s});
          for (int64_t bi = 0; bi < b; ++bi)
            for (int64_t j = 0; j < s; ++j)
              if (j >= lengths.i64[bi])
                out.f32[bi * s + j] = std::numeric_limits<float>::lowest();
          return one(std::move(out));
        })
        .Case([&](SlidingWindowMaskOp m) {
          int64_t s = in[0].tensor.shape[1], w = m.getWindow();
          HostTensor out = HostTensor::zerosF32({s, s});
          for (int64_t i = 0; i < s; ++i)
            for (int64_t j = 0; j < s; ++j)
              if (j > i || i - j >= w)
                out.f32[i * s + j] = std::numeric_limits<float>::lowest();
          return one(std::move(out));
        })
        .Case([&](RelativePositionBiasOp r) {
          const HostTensor &table = in[0].tensor;
          int64_t sq = in[1].tensor.shape[1], sk = in[2].tensor.shape[1], H = table.shape[1];
          HostTensor out = HostTensor::zerosF32({H, sq, sk});
          for (int64_t h = 0; h < H; ++h)
            for (int64_t i = 0; i < sq; ++i)
              for (int64_t j = 0; j < sk; ++j)
                out.f32[(h * sq + i) * sk + j] =
                    table.f32[::xf::t5RelativeBucket(j - i, r.getBidirectional(), r.getBuckets(),
                                                     r.getMaxDistance()) *
                                  H +
                              h];
          return one(std::move(out));
        })
        .Case([&](SoftmaxOp) {
          HostTensor out = in[0].tensor;
          int64_t d = out.shape.back();
          for (int64_t row = 0; row < out.numel() / d; ++row)
            softmaxRow(&out.f32[row * d], d);
          return one(std::move(out));
        })
        .Case([&](GeluOp g) {
          HostTensor out = in[0].tensor;
          bool tanhApprox = g.getApproximate() == "tanh";
          for (float &x : out.f32)
            x = activate(tanhApprox ? "gelu_tanh" : "gelu", x);
          return one(std::move(out));
        })
        .Case([&](ReshapeOp r) {
          HostTensor out = in[0].tensor;
          auto t = cast<RankedTensorType>(r.getType());
          std::vector<int64_t> shape;
          for (int64_t i = 0; i < t.getRank(); ++i)
            shape.push_back(t.isDynamicDim(i) ? out.shape[i] : t.getDimSize(i));
          out.shape = shape;
          return one(std::move(out));
        })
        .Case([&](TransposeOp t) {
          const HostTensor &x = in[0].tensor;
          ArrayRef<int64_t> perm = t.getPermutation();
          std::vector<int64_t> shape;
          for (int64_t p : perm)
            shape.push_back(x.shape[p]);
          HostTensor out = HostTensor::zerosF32(shape);
          auto xs = stridesOf(x.shape);
          std::vector<int64_t> idx(shape.size(), 0);
          for (int64_t lin = 0; lin < out.numel(); ++lin) {
            int64_t rem = lin, src = 0;
            auto os = stridesOf(shape);
            for (size_t d = 0; d < shape.size(); ++d) {
              int64_t i = rem / os[d];
              rem %= os[d];
              src += i * xs[perm[d]];
            }
            out.f32[lin] = x.f32[src];
          }
          return one(std::move(out));
        })
        .Case([&](SliceOp s) {
          const HostTensor &x = in[0].tensor;
          int64_t axis = s.getAxis(), start = s.getStart(), size = s.getSize();
          std::vector<int64_t> shape = x.shape;
          shape[axis] = size;
          HostTensor out = HostTensor::zerosF32(shape);
          int64_t inner = 1;
          for (size_t d = axis + 1; d < x.shape.size(); ++d)
            inner *= x.shape[d];
          int64_t outer = x.numel() / (inner * x.shape[axis]);
          for (int64_t o = 0; o < outer; ++o)
            std::copy_n(&x.f32[(o * x.shape[axis] + start) * inner], size * inner,
                        &out.f32[o * size * inner]);
          return one(std::move(out));
        })
        .Case([&](IotaOp o) {
          int64_t n = in[0].tensor.shape.at(o.getDim());
          std::vector<int64_t> shape(cast<RankedTensorType>(o.getType()).getRank(), 1);
          shape[o.getAxis()] = n;
          HostTensor out = HostTensor::zerosI64(shape);
          for (int64_t i = 0; i < n; ++i)
            out.i64[i] = i;
          return one(std::move(out));
        })
        .Case([&](CompareOp c) { return compare(c, in[0].tensor, in[1].tensor); })
        .Case([&](SelectOp o) {
          const HostTensor &cond = in[0].tensor;
          HostTensor out = HostTensor::zerosF32(cond.shape);
          float t = o.getTrueValue().convertToFloat(), f = o.getFalseValue().convertToFloat();
          for (int64_t i = 0; i < cond.numel(); ++i)
            out.f32[i] = cond.i64[i] ? t : f;
          return one(std::move(out));
        })
        .Case([&](CausalMaskOp) {
          int64_t s = in[0].tensor.shape[1];
          HostTensor out = HostTensor::zerosF32({s, s});
          for (int64_t i = 0; i < s; ++i)
            for (int64_t j = i + 1; j < s; ++j)
              out.f32[i * s + j] = std::numeric_limits<float>::lowest();
          return one(std::move(out));
        })
        .Case([&](AttentionOp a) { return attention(a, in); })
        .Case([&](CacheAppendOp c) -> Results {
          HostTensor &cache = *in[0].cache;
          int64_t pos = in[1].index;
          const HostTensor &u = in[2].tensor;
          int64_t b = u.shape[0], h = u.shape[1], s = u.shape[2], d = u.shape[3];
          int64_t cap = cache.shape[2];
          bool ring = cast<KVCacheType>(c.getCache().getType()).getLayout() == CacheLayout::ring;
          if (b != cache.shape[0] || pos < 0 || (!ring && pos + s > cap))
            return c.emitError("interpreter: cache write [")
                       << pos << ", " << pos + s << ") exceeds capacity " << cap,
                   failure();
          for (int64_t bi = 0; bi < b; ++bi)
            for (int64_t hi = 0; hi < h; ++hi)
              for (int64_t si = 0; si < s; ++si)
                std::copy_n(&u.f32[((bi * h + hi) * s + si) * d], d,
                            &cache.f32[((bi * h + hi) * cap + (pos + si) % cap) * d]);
          int64_t len = std::min(pos + s, cap);
          HostTensor out = HostTensor::zerosF32({b, h, len, d});
          for (int64_t bi = 0; bi < b; ++bi)
            for (int64_t hi = 0; hi < h; ++hi)
              std::copy_n(&cache.f32[(bi * h + hi) * cap * d], len * d,
                          &out.f32[(bi * h + hi) * len * d]);
          return one(std::move(out));
        })
        .Case([&](CacheReadOp c) -> Results {
          const HostTensor &cache = *in[0].cache;
          int64_t len = in[1].index;
          int64_t b = cache.shape[0], h = cache.shape[1], cap = cache.shape[2], d = cache.shape[3];
          if (len < 0 || len > cap)
            return c.emitError("interpreter: cache read of ") << len << " positions exceeds "
                                                              << cap,
                   failure();
          HostTensor out = HostTensor::zerosF32({b, h, len, d});
          for (int64_t bi = 0; bi < b; ++bi)
            for (int64_t hi = 0; hi < h; ++hi)
              std::copy_n(&cache.f32[(bi * h + hi) * cap * d], len * d,
                          &out.f32[(bi * h + hi) * len * d]);
          return one(std::move(out));
        })
        .Case([&](arith::ConstantIndexOp c) -> Results {
          SmallVector<RtValue> r;
          r.push_back(RtValue::ofIndex(c.value()));
          return r;
        })
        .Case([&](func::CallOp call) -> Results {
          auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
              call, call.getCalleeAttr());
          if (!callee)
            return call.emitError("interpreter: unknown callee"), failure();
          Evaluator inner(params);
          auto res = inner.run(callee, in);
          if (failed(res))
            return failure();
          return SmallVector<RtValue>(res->begin(), res->end());
        })
        .Default([&](Operation *o) -> Results {
          return o->emitError("interpreter: unhandled op '")
                     << o->getName() << "'",
                 failure();
        });
  }

  static float activate(StringRef kind, float x) {
    if (kind == "gelu_tanh")
      return 0.5f * x * (1.0f + std::tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    if (kind == "gelu")
      return 0.5f * x * (1.0f + std::erf(x * 0.7071067811865476f));
    if (kind == "silu")
      return x / (1.0f + std::exp(-x));
    return std::max(x, 0.0f); // relu
  }

  static void softmaxRow(float *x, int64_t d) {
    float mx = -std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < d; ++i)
      mx = std::max(mx, x[i]);
    float sum = 0;
    for (int64_t i = 0; i < d; ++i) {
      x[i] = std::exp(x[i] - mx);
      sum += x[i];
    }
    for (int64_t i = 0; i < d; ++i)
      x[i] /= sum;
  }

  /// x [B, H, S, D] rotated by positions [B, S] (HF rotate_half).
  static HostTensor rope(const HostTensor &x, const HostTensor &pos, float theta) {
    HostTensor out = x;
    int64_t B = x.shape[0], H = x.shape[1], S = x.shape[2], D = x.shape[3], half = D / 2;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t s = 0; s < S; ++s) {
        float p = (float)pos.i64[b * S + s];
        for (int64_t i = 0; i < half; ++i) {
          float invFreq = 1.0f / std::pow(theta, (float)(2 * i) / (float)D);
          float angle = p * invFreq, c = std::cos(angle), sn = std::sin(angle);
          for (int64_t h = 0; h < H; ++h) {
            const float *xi = &x.f32[((b * H + h) * S + s) * D];
            float *oi = &out.f32[((b * H + h) * S + s) * D];
            oi[i] = xi[i] * c - xi[i + half] * sn;
            oi[i + half] = xi[i + half] * c + xi[i] * sn;
          }
        }
      }
    return out;
  }

  /// Operands of the result's rank, their size-1 dimensions broadcast; i1
  /// results are held as 0/1 in i64.
  static Results compare(CompareOp c, const HostTensor &l, const HostTensor &r) {
    size_t rank = l.shape.size();
    std::vector<int64_t> shape(rank);
    for (size_t d = 0; d < rank; ++d)
      shape[d] = l.shape[d] == 1 ? r.shape[d] : l.shape[d];
    HostTensor out = HostTensor::zerosI64(shape);
    std::vector<int64_t> os = stridesOf(shape), ls = stridesOf(l.shape), rs = stridesOf(r.shape);
    int64_t offset = c.getOffsetValue();
    for (int64_t i = 0; i < out.numel(); ++i) {
      int64_t rem = i, li = 0, ri = 0;
      for (size_t d = 0; d < rank; ++d) {
        int64_t idx = rem / os[d];
        rem %= os[d];
        li += (l.shape[d] == 1 ? 0 : idx) * ls[d];
        ri += (r.shape[d] == 1 ? 0 : idx) * rs[d];
      }
      int64_t a = l.i64[li], b = r.i64[ri] + offset;
      bool v = false;
      switch (c.getPredicate()) {
      case ComparePredicate::lt: v = a < b; break;
      case ComparePredicate::le: v = a <= b; break;
      case ComparePredicate::gt: v = a > b; break;
      case ComparePredicate::ge: v = a >= b; break;
      case ComparePredicate::eq: v = a == b; break;
      case ComparePredicate::ne: v = a != b; break;
      }
      out.i64[i] = v;
    }
    return one(std::move(out));
  }

  /// rhs aligned at the last dimension; its dimensions of size 1 broadcast.
  template <typename F>
  static Results binary(ArrayRef<RtValue> in, F f) {
    HostTensor out = in[0].tensor;
    const HostTensor &r = in[1].tensor;
    size_t rank = out.shape.size(), off = rank - r.shape.size();
    std::vector<int64_t> os = stridesOf(out.shape), rs = stridesOf(r.shape);
    for (int64_t i = 0; i < out.numel(); ++i) {
      int64_t rem = i, ri = 0;
      for (size_t d = 0; d < rank; ++d) {
        int64_t idx = rem / os[d];
        rem %= os[d];
        if (d >= off && r.shape[d - off] != 1)
          ri += idx * rs[d - off];
      }
      out.f32[i] = f(out.f32[i], r.f32[ri]);
    }
    return one(std::move(out));
  }

  Results attention(AttentionOp a, ArrayRef<RtValue> in) {
    const HostTensor &k = in[1].tensor, &v = in[2].tensor;
    const HostTensor *mask = a.getMask() ? &in[3].tensor : nullptr;
    unsigned nextOperand = a.getMask() ? 4 : 3;
    const HostTensor *table = a.getBiasTable() ? &in[nextOperand++].tensor : nullptr;
    const HostTensor *keyLengths = a.getKeyLengths() ? &in[nextOperand++].tensor : nullptr;
    HostTensor rotated;
    if (a.getQPositions())
      rotated = rope(in[0].tensor, in[nextOperand].tensor, a.getQRopeTheta()->convertToFloat());
    const HostTensor &q = a.getQPositions() ? rotated : in[0].tensor;
    int64_t B = q.shape[0], H = q.shape[1], Sq = q.shape[2], D = q.shape[3];
    int64_t Sk = k.shape[2], Dv = v.shape[3], KVH = k.shape[1], group = H / KVH;
    float scale = a.getScale().convertToFloat();
    bool causal = a.getMaskKind() != MaskKind::none;
    int64_t window = a.getWindow() ? (int64_t)*a.getWindow() : Sk + Sq + 1;
    HostTensor out = HostTensor::zerosF32({B, H, Sq, Dv});
    std::vector<float> s(Sk);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t i = 0; i < Sq; ++i) {
          const float *qi = &q.f32[((b * H + h) * Sq + i) * D];
          for (int64_t j = 0; j < Sk; ++j) {
            const float *kj = &k.f32[((b * KVH + h / group) * Sk + j) * D];
            float acc = 0;
            for (int64_t t = 0; t < D; ++t)
              acc += qi[t] * kj[t];
            acc *= scale;
            if (mask)
              acc += mask->f32[i * Sk + j];
            int64_t qpos = i + (Sk - Sq);
            if (table)
              acc += table->f32[::xf::t5RelativeBucket(j - qpos, a.getBiasBidirectional(),
                                                       *a.getBiasBuckets(),
                                                       *a.getBiasMaxDistance()) *
                                    H +
                                h];
            if ((causal && (j > qpos || qpos - j >= window)) ||
                (keyLengths && j >= keyLengths->i64[b]))
              acc = -std::numeric_limits<float>::infinity();
            s[j] = acc;
          }
          softmaxRow(s.data(), Sk);
          float *o = &out.f32[((b * H + h) * Sq + i) * Dv];
          for (int64_t j = 0; j < Sk; ++j)
            for (int64_t t = 0; t < Dv; ++t)
              o[t] += s[j] * v.f32[((b * KVH + h / group) * Sk + j) * Dv + t];
        }
    return one(std::move(out));
  }
};

} // namespace

FailureOr<std::vector<RtValue>> mlir::xf::interpret(func::FuncOp func,
                                                    ArrayRef<RtValue> args,
                                                    const ParamProvider &params) {
  Evaluator ev(params);
  return ev.run(func, args);
}
