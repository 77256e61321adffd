//===- BertBuilder.cpp - BERT checkpoints to xf -----------------*- C++ -*-===//
//
// Emits what BertModel computes, op by op: word + position + token-type
// embeddings (token type 0 for every token) and their LayerNorm; post-LN
// encoder layers with bidirectional attention written out unfused, with HF's
// additive key-padding mask made from each sequence's length (a ragged batch
// runs padded, in one call); an erf (or tanh) GELU feed-forward; the last
// hidden state is the output. Heads of BertFor* checkpoints (pooler, cls.*)
// are ignored.
//
//===----------------------------------------------------------------------===//

#include "frontend/BertBuilder.h"
#include "frontend/ConfigReader.h"
#include "frontend/GraphBuilder.h"

#include <cmath>
#include <filesystem>

using namespace mlir;
using namespace mlir::xf;

namespace {

struct BertConfig {
  int64_t layers = 0, hidden = 0, heads = 0, inner = 0, vocab = 0, positions = 0, types = 0;
  double eps = 1e-12;
  std::string gelu; // "none" (erf) or "tanh"
};

class BertBuilder : GraphBuilder {
public:
  BertBuilder(MLIRContext &ctx, const ::xf::readers::Checkpoint &ckpt, std::string &error,
              const BertConfig &c)
      : GraphBuilder(ctx, ckpt, error), c(c) {}

  OwningOpRef<ModuleOp> build(int64_t maxSeq) {
    if (ckpt.find("bert.embeddings.word_embeddings.weight"))
      prefix = "bert.";
    else if (!ckpt.find("embeddings.word_embeddings.weight")) {
      error = ckpt.path() + ": no BERT word embeddings (neither "
                            "'bert.embeddings.word_embeddings.weight' nor "
                            "'embeddings.word_embeddings.weight')";
      return nullptr;
    }
    OwningOpRef<ModuleOp> module;
    auto fn = startModel(module, "encoder", "bert", c.vocab, c.hidden, maxSeq, {}, c.hidden,
                         /*withLengths=*/true);
    Value ids = fn.getArgument(0);
    // A ragged batch is padded at the end; HF's extended attention mask
    // hides the padded keys.
    mask = b.create<PaddingMaskOp>(loc("attention_mask"), act({kDyn, 1, 1, kDyn}),
                                   fn.getArgument(1), ids);
    std::string e = "embeddings";
    Value words = param(e + ".word_embeddings.weight", {c.vocab, c.hidden});
    Value positions = param(e + ".position_embeddings.weight", {c.positions, c.hidden});
    Value types = param(e + ".token_type_embeddings.weight", {c.types, c.hidden});
    if (!words || !positions || !types)
      return nullptr;
    Location el = loc(e);
    Value x = b.create<EmbeddingOp>(el, act({kDyn, kDyn, c.hidden}), words, ids);
    Value pos = b.create<PositionIdsOp>(el, ids);
    Value pe = b.create<EmbeddingOp>(el, act({kDyn, kDyn, c.hidden}), positions, pos);
    x = b.create<AddOp>(el, x, pe);
    // token_type_ids are all 0: add row 0 of the token-type table.
    Value row0 = b.create<SliceOp>(el, act({1, c.hidden}), types, b.getI64IntegerAttr(0),
                                   b.getI64IntegerAttr(0), b.getI64IntegerAttr(1));
    row0 = b.create<ReshapeOp>(el, act({c.hidden}), row0);
    x = b.create<AddOp>(el, x, row0);
    x = layerNorm(x, e + ".LayerNorm");
    for (int64_t i = 0; i < c.layers && x; ++i)
      x = layer(x, "encoder.layer." + std::to_string(i));
    if (!x)
      return nullptr;
    b.create<func::ReturnOp>(loc("encoder"), ValueRange{x});
    return module;
  }

private:
  const BertConfig &c;
  Value mask; // [B, 1, 1, S] key-padding mask

  Value linear(Value x, const std::string &path, int64_t in, int64_t out) {
    Value w = param(path + ".weight", {out, in});
    Value bias = param(path + ".bias", {out});
    if (!w || !bias || !x)
      return nullptr;
    auto xt = cast<RankedTensorType>(x.getType());
    SmallVector<int64_t> shape(xt.getShape());
    shape.back() = out;
    Value y = b.create<LinearOp>(loc(path), act(shape), x, w, Value(), b.getUnitAttr());
    return b.create<AddOp>(loc(path), y, bias);
  }

  Value layerNorm(Value x, const std::string &path) {
    Value g = param(path + ".weight", {c.hidden}), bb = param(path + ".bias", {c.hidden});
    if (!g || !bb || !x)
      return nullptr;
    return b.create<LayerNormOp>(loc(path), x, g, bb, b.getF32FloatAttr((float)c.eps));
  }

  Value heads(Value x, Location l) {
    int64_t hd = c.hidden / c.heads;
    Value r = b.create<ReshapeOp>(l, act({kDyn, kDyn, c.heads, hd}), x);
    return b.create<TransposeOp>(l, act({kDyn, c.heads, kDyn, hd}), r,
                                 b.getDenseI64ArrayAttr({0, 2, 1, 3}));
  }

  Value layer(Value x, const std::string &p) {
    int64_t hd = c.hidden / c.heads;
    std::string a = p + ".attention.self";
    Location al = loc(a);
    Value q = linear(x, a + ".query", c.hidden, c.hidden);
    Value k = linear(x, a + ".key", c.hidden, c.hidden);
    Value v = linear(x, a + ".value", c.hidden, c.hidden);
    if (!q || !k || !v)
      return nullptr;
    q = heads(q, al);
    k = heads(k, al);
    v = heads(v, al);
    Value kt = b.create<TransposeOp>(al, act({kDyn, c.heads, hd, kDyn}), k,
                                     b.getDenseI64ArrayAttr({0, 1, 3, 2}));
    Value s = b.create<MatmulOp>(al, act({kDyn, c.heads, kDyn, kDyn}), q, kt);
    s = b.create<ScaleOp>(al, s, b.getF32FloatAttr(1.0f / std::sqrt((float)hd)));
    s = b.create<AddOp>(al, s, mask);
    s = b.create<SoftmaxOp>(al, s);
    Value o = b.create<MatmulOp>(al, act({kDyn, c.heads, kDyn, hd}), s, v);
    o = b.create<TransposeOp>(al, act({kDyn, kDyn, c.heads, hd}), o,
                              b.getDenseI64ArrayAttr({0, 2, 1, 3}));
    o = b.create<ReshapeOp>(al, act({kDyn, kDyn, c.hidden}), o);
    o = linear(o, p + ".attention.output.dense", c.hidden, c.hidden);
    if (!o)
      return nullptr;
    x = layerNorm(b.create<AddOp>(loc(p + ".attention.output"), o, x),
                  p + ".attention.output.LayerNorm");
    Value f = linear(x, p + ".intermediate.dense", c.hidden, c.inner);
    if (!f)
      return nullptr;
    f = b.create<GeluOp>(loc(p + ".intermediate.intermediate_act_fn"), f,
                         b.getStringAttr(c.gelu));
    f = linear(f, p + ".output.dense", c.inner, c.hidden);
    if (!f || !x)
      return nullptr;
    return layerNorm(b.create<AddOp>(loc(p + ".output"), f, x), p + ".output.LayerNorm");
  }
};

} // namespace

OwningOpRef<ModuleOp> mlir::xf::buildBert(MLIRContext &context, const nlohmann::json &config,
                                          const ::xf::readers::Checkpoint &checkpoint,
                                          const ImportOptions &options, std::string &error) {
  context.loadDialect<XfDialect, func::FuncDialect>();
  // Where config errors point: the folder's config.json, or the GGUF file
  // whose metadata the config was made from.
  std::string where = checkpoint.path();
  if (std::filesystem::is_directory(where))
    where = (std::filesystem::path(where) / "config.json").string();
  ConfigReader cfg{config, where, error};
  BertConfig c;
  std::string act, posType;
  if (!cfg.positiveInt("num_hidden_layers", c.layers) ||
      !cfg.positiveInt("hidden_size", c.hidden) ||
      !cfg.positiveInt("num_attention_heads", c.heads) ||
      !cfg.positiveInt("intermediate_size", c.inner) || !cfg.positiveInt("vocab_size", c.vocab) ||
      !cfg.positiveInt("max_position_embeddings", c.positions) ||
      !cfg.positiveInt("type_vocab_size", c.types, 2) ||
      !cfg.positiveF32("layer_norm_eps", c.eps, 1e-12) || !cfg.string("hidden_act", act, "gelu") ||
      !cfg.string("position_embedding_type", posType, "absolute"))
    return nullptr;
  if (c.hidden % c.heads != 0) {
    cfg.fail("hidden_size " + std::to_string(c.hidden) + " is not divisible by num_attention_heads " +
             std::to_string(c.heads));
    return nullptr;
  }
  if (act == "gelu")
    c.gelu = "none";
  else if (act == "gelu_new" || act == "gelu_pytorch_tanh")
    c.gelu = "tanh";
  else {
    cfg.fail("hidden_act '" + act + "' is not supported (supported: gelu, gelu_new, gelu_pytorch_tanh)");
    return nullptr;
  }
  if (posType != "absolute") {
    cfg.fail("position_embedding_type '" + posType + "' is not supported (supported: absolute)");
    return nullptr;
  }
  int64_t maxSeq;
  if (!cfg.maxSequence(options.maxSeq, c.positions, "max_position_embeddings", maxSeq))
    return nullptr;
  BertBuilder builder(context, checkpoint, error, c);
  return builder.build(maxSeq);
}
