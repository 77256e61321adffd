//===- T5Builder.cpp - T5 checkpoints to xf ---------------------*- C++ -*-===//
//
// Emits what T5ForConditionalGeneration computes, op by op, as one
// @forward(input_ids, decoder_input_ids) -> decoder logits: the shared
// embedding; encoder blocks (RMS layer norm without bias, unscaled self-
// attention plus the bucketed relative position bias of block 0, bidirectional);
// decoder blocks (causal self-attention with its own unidirectional bias and
// an explicit causal mask, cross-attention over the encoder output without
// bias); ReLU (v1.0) or gated-GELU (v1.1) feed-forward; the final norms; the
// lm_head, tied to the shared embedding with the d_model^-0.5 rescale (v1.0)
// or untied (v1.1).
//
//===----------------------------------------------------------------------===//

#include "frontend/T5Builder.h"
#include "frontend/ConfigReader.h"
#include "frontend/GraphBuilder.h"

#include <cmath>
#include <filesystem>

using namespace mlir;
using namespace mlir::xf;

namespace {

struct T5Config {
  int64_t dModel = 0, dKv = 0, dFf = 0, layers = 0, decoderLayers = 0, heads = 0, vocab = 0;
  int64_t buckets = 32, maxDistance = 128, maxSeq = 512, decoderStart = 0;
  double eps = 1e-6;
  bool gated = false, tied = true;
};

class T5Builder : GraphBuilder {
public:
  T5Builder(MLIRContext &ctx, const ::xf::readers::Checkpoint &ckpt, std::string &error,
            const T5Config &c)
      : GraphBuilder(ctx, ckpt, error), c(c) {}

  OwningOpRef<ModuleOp> build(const std::vector<int64_t> &eos) {
    Location top = loc("model");
    OwningOpRef<ModuleOp> module = ModuleOp::create(top);
    SmallVector<NamedAttribute> facts{
        b.getNamedAttr("kind", b.getStringAttr("encoder-decoder")),
        b.getNamedAttr("model_type", b.getStringAttr("t5")),
        b.getNamedAttr("vocab_size", b.getI64IntegerAttr(c.vocab)),
        b.getNamedAttr("hidden_size", b.getI64IntegerAttr(c.dModel)),
        b.getNamedAttr("max_seq", b.getI64IntegerAttr(c.maxSeq)),
        b.getNamedAttr("eos_token_ids", b.getDenseI64ArrayAttr(eos)),
        b.getNamedAttr("decoder_start_token_id", b.getI64IntegerAttr(c.decoderStart)),
        b.getNamedAttr("checkpoint", b.getStringAttr(ckpt.path()))};
    (*module)->setAttr(kModelAttrName, b.getDictionaryAttr(facts));
    b.setInsertionPointToEnd(module->getBody());
    auto idsType = RankedTensorType::get({kDyn, kDyn}, b.getI64Type());
    auto fn = b.create<func::FuncOp>(
        top, "forward",
        b.getFunctionType({idsType, idsType}, {act({kDyn, kDyn, c.vocab})}));
    b.setInsertionPointToStart(fn.addEntryBlock());
    Value ids = fn.getArgument(0), decIds = fn.getArgument(1);

    std::string sharedKey = ckpt.find("shared.weight") ? "shared.weight"
                                                        : "encoder.embed_tokens.weight";
    Value shared = param(sharedKey, {c.vocab, c.dModel});
    if (!shared)
      return nullptr;

    // Encoder.
    Value x = b.create<EmbeddingOp>(loc("encoder.embed_tokens"), act({kDyn, kDyn, c.dModel}),
                                    shared, ids);
    Value encTable = param("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
                           {c.buckets, c.heads});
    if (!encTable)
      return nullptr;
    Value encBias = b.create<RelativePositionBiasOp>(
        loc("encoder.block.0.layer.0.SelfAttention.relative_attention_bias"),
        act({c.heads, kDyn, kDyn}), encTable, ids, ids, b.getUnitAttr(),
        b.getI64IntegerAttr(c.buckets), b.getI64IntegerAttr(c.maxDistance));
    for (int64_t i = 0; i < c.layers && x; ++i) {
      std::string p = "encoder.block." + std::to_string(i) + ".layer.";
      x = residual(x, attention(norm(x, p + "0.layer_norm"), Value(), p + "0.SelfAttention",
                                encBias, Value()));
      x = residual(x, feedForward(norm(x, p + "1.layer_norm"), p + "1.DenseReluDense"));
    }
    Value enc = norm(x, "encoder.final_layer_norm");

    // Decoder.
    Value y = b.create<EmbeddingOp>(loc("decoder.embed_tokens"), act({kDyn, kDyn, c.dModel}),
                                    shared, decIds);
    Value decTable = param("decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
                           {c.buckets, c.heads});
    if (!decTable || !enc)
      return nullptr;
    Value decBias = b.create<RelativePositionBiasOp>(
        loc("decoder.block.0.layer.0.SelfAttention.relative_attention_bias"),
        act({c.heads, kDyn, kDyn}), decTable, decIds, decIds, UnitAttr(),
        b.getI64IntegerAttr(c.buckets), b.getI64IntegerAttr(c.maxDistance));
    Value mask = b.create<CausalMaskOp>(loc("decoder.causal_mask"), act({kDyn, kDyn}), decIds);
    for (int64_t i = 0; i < c.decoderLayers && y; ++i) {
      std::string p = "decoder.block." + std::to_string(i) + ".layer.";
      y = residual(y, attention(norm(y, p + "0.layer_norm"), Value(), p + "0.SelfAttention",
                                decBias, mask));
      y = residual(y, attention(norm(y, p + "1.layer_norm"), enc, p + "1.EncDecAttention",
                                Value(), Value()));
      y = residual(y, feedForward(norm(y, p + "2.layer_norm"), p + "2.DenseReluDense"));
    }
    y = norm(y, "decoder.final_layer_norm");
    if (!y)
      return nullptr;
    Value head = shared;
    if (c.tied) {
      y = b.create<ScaleOp>(loc("lm_head"), y, b.getF32FloatAttr(1.0f / std::sqrt((float)c.dModel)));
    } else {
      head = param("lm_head.weight", {c.vocab, c.dModel});
      if (!head)
        return nullptr;
    }
    auto logits = b.create<LinearOp>(loc("lm_head"), act({kDyn, kDyn, c.vocab}), y, head,
                                     Value(), b.getUnitAttr());
    b.create<func::ReturnOp>(loc("lm_head"), ValueRange{logits});
    return module;
  }

private:
  const T5Config &c;

  Value residual(Value x, Value update) {
    if (!x || !update)
      return nullptr;
    return b.create<AddOp>(x.getLoc(), x, update);
  }

  Value norm(Value x, const std::string &path) {
    Value w = param(path + ".weight", {c.dModel});
    if (!w || !x)
      return nullptr;
    return b.create<RmsNormOp>(loc(path), x, w, b.getF32FloatAttr((float)c.eps));
  }

  Value linear(Value x, const std::string &path, int64_t in, int64_t out) {
    Value w = param(path + ".weight", {out, in});
    if (!w || !x)
      return nullptr;
    auto xt = cast<RankedTensorType>(x.getType());
    SmallVector<int64_t> shape(xt.getShape());
    shape.back() = out;
    return b.create<LinearOp>(loc(path), act(shape), x, w, Value(), b.getUnitAttr());
  }

  Value heads(Value x, Location l) {
    Value r = b.create<ReshapeOp>(l, act({kDyn, kDyn, c.heads, c.dKv}), x);
    return b.create<TransposeOp>(l, act({kDyn, c.heads, kDyn, c.dKv}), r,
                                 b.getDenseI64ArrayAttr({0, 2, 1, 3}));
  }

  /// Unscaled attention of `h` over `kv` (self-attention when null), with the
  /// optional relative position bias and mask added to the scores.
  Value attention(Value h, Value kv, const std::string &p, Value bias, Value mask) {
    if (!h)
      return nullptr;
    int64_t inner = c.heads * c.dKv;
    Location l = loc(p);
    Value src = kv ? kv : h;
    Value q = linear(h, p + ".q", c.dModel, inner), k = linear(src, p + ".k", c.dModel, inner),
          v = linear(src, p + ".v", c.dModel, inner);
    if (!q || !k || !v)
      return nullptr;
    q = heads(q, l);
    k = heads(k, l);
    v = heads(v, l);
    Value kt = b.create<TransposeOp>(l, act({kDyn, c.heads, c.dKv, kDyn}), k,
                                     b.getDenseI64ArrayAttr({0, 1, 3, 2}));
    Value s = b.create<MatmulOp>(l, act({kDyn, c.heads, kDyn, kDyn}), q, kt);
    if (bias)
      s = b.create<AddOp>(l, s, bias);
    if (mask)
      s = b.create<AddOp>(l, s, mask);
    s = b.create<SoftmaxOp>(l, s);
    Value o = b.create<MatmulOp>(l, act({kDyn, c.heads, kDyn, c.dKv}), s, v);
    o = b.create<TransposeOp>(l, act({kDyn, kDyn, c.heads, c.dKv}), o,
                              b.getDenseI64ArrayAttr({0, 2, 1, 3}));
    o = b.create<ReshapeOp>(l, act({kDyn, kDyn, inner}), o);
    return linear(o, p + ".o", inner, c.dModel);
  }

  Value feedForward(Value h, const std::string &p) {
    if (!h)
      return nullptr;
    if (!c.gated) {
      Value f = linear(h, p + ".wi", c.dModel, c.dFf);
      if (!f)
        return nullptr;
      f = b.create<ReluOp>(loc(p + ".act"), f);
      return linear(f, p + ".wo", c.dFf, c.dModel);
    }
    Value g = linear(h, p + ".wi_0", c.dModel, c.dFf), u = linear(h, p + ".wi_1", c.dModel, c.dFf);
    if (!g || !u)
      return nullptr;
    g = b.create<GeluOp>(loc(p + ".act"), g, b.getStringAttr("tanh"));
    Value f = b.create<MulOp>(loc(p), g, u);
    return linear(f, p + ".wo", c.dFf, c.dModel);
  }
};

} // namespace

OwningOpRef<ModuleOp> mlir::xf::buildT5(MLIRContext &context, const nlohmann::json &config,
                                        const ::xf::readers::Checkpoint &checkpoint,
                                        const ImportOptions &options, std::string &error) {
  context.loadDialect<XfDialect, func::FuncDialect>();
  std::string where = checkpoint.path();
  if (std::filesystem::is_directory(where))
    where = (std::filesystem::path(where) / "config.json").string();
  ConfigReader cfg{config, where, error};
  T5Config c;
  std::string ff;
  if (!cfg.positiveInt("d_model", c.dModel) || !cfg.positiveInt("d_kv", c.dKv) ||
      !cfg.positiveInt("d_ff", c.dFf) || !cfg.positiveInt("num_layers", c.layers) ||
      !cfg.positiveInt("num_decoder_layers", c.decoderLayers, c.layers) ||
      !cfg.positiveInt("num_heads", c.heads) || !cfg.positiveInt("vocab_size", c.vocab) ||
      !cfg.positiveInt("relative_attention_num_buckets", c.buckets, 32) ||
      !cfg.positiveInt("relative_attention_max_distance", c.maxDistance, 128) ||
      !cfg.positiveInt("n_positions", c.maxSeq, 512) ||
      !cfg.positiveF32("layer_norm_epsilon", c.eps, 1e-6) ||
      !cfg.boolean("tie_word_embeddings", c.tied, true) ||
      !cfg.string("feed_forward_proj", ff, "relu"))
    return nullptr;
  if (ff == "relu")
    c.gated = false;
  else if (ff == "gated-gelu")
    c.gated = true;
  else {
    cfg.fail("feed_forward_proj '" + ff + "' is not supported (supported: relu, gated-gelu)");
    return nullptr;
  }
  if (c.buckets < 2) {
    cfg.fail("relative_attention_num_buckets must be >= 2");
    return nullptr;
  }
  auto start = config.find("decoder_start_token_id");
  if (start != config.end() && !start->is_null()) {
    if (!start->is_number_integer() || start->get<int64_t>() < 0 ||
        start->get<int64_t>() >= c.vocab) {
      cfg.fail("field 'decoder_start_token_id' must be a token id below vocab_size, got " +
               start->dump());
      return nullptr;
    }
    c.decoderStart = start->get<int64_t>();
  }
  std::vector<int64_t> eos;
  if (!cfg.tokenIds("eos_token_id", eos))
    return nullptr;
  if (options.maxSeq > 0)
    c.maxSeq = options.maxSeq; // relative positions: any length works
  T5Builder builder(context, checkpoint, error, c);
  return builder.build(eos);
}
