//===- GPT2Builder.cpp - GPT-2 checkpoints to xf ----------------*- C++ -*-===//
//
// Emits what GPT2LMHeadModel computes, op by op: token and position
// embeddings, pre-LN blocks with an explicit causal mask tensor and unfused
// attention, a tanh-GELU MLP, the final layer norm and the (tied) lm_head.
// Every config field the graph depends on is read and checked; every weight
// is checked against the checkpoint for presence, shape and dtype. Ops carry
// the checkpoint's module path as their location.
//
//===----------------------------------------------------------------------===//

#include "frontend/GPT2Builder.h"
#include "frontend/ConfigReader.h"
#include "frontend/GraphBuilder.h"
#include "dialect/XfDialect.h"

#include "mlir/IR/Builders.h"

#include <cmath>
#include <filesystem>

using namespace mlir;
using namespace mlir::xf;
using nlohmann::json;

namespace {

class GPT2Builder : GraphBuilder {
public:
  using GraphBuilder::GraphBuilder;

  int64_t layers = 0, dim = 0, heads = 0, positions = 0, vocab = 0, inner = 0;
  double eps = 1e-5;
  std::string gelu; // "tanh" or "none"

  OwningOpRef<ModuleOp> build(const std::vector<int64_t> &eos, int64_t maxSeq) {
    if (!detectPrefix())
      return nullptr;
    OwningOpRef<ModuleOp> module;
    auto fn = startDecoder(module, "gpt2", vocab, dim, maxSeq, eos);
    Value ids = fn.getArgument(0);

    Value wte = param("wte.weight", {vocab, dim});
    Value wpe = param("wpe.weight", {positions, dim});
    if (!wte || !wpe)
      return nullptr;
    Value x = b.create<EmbeddingOp>(loc("wte"), act({kDyn, kDyn, dim}), wte, ids);
    Value pos = b.create<PositionIdsOp>(loc("wpe"), ids);
    Value pe = b.create<EmbeddingOp>(loc("wpe"), act({kDyn, kDyn, dim}), wpe, pos);
    x = b.create<AddOp>(loc("wpe"), x, pe);
    Value mask = b.create<CausalMaskOp>(loc("h.attn.bias"), act({kDyn, kDyn}), ids);

    for (int64_t i = 0; i < layers; ++i) {
      x = block(x, mask, "h." + std::to_string(i));
      if (!x)
        return nullptr;
    }
    Value lnfW = param("ln_f.weight", {dim}), lnfB = param("ln_f.bias", {dim});
    if (!lnfW || !lnfB)
      return nullptr;
    x = b.create<LayerNormOp>(loc("ln_f"), x, lnfW, lnfB, b.getF32FloatAttr((float)eps));

    // lm_head: an explicit (untied) lm_head.weight [V, D] wins; else tied to wte.
    Value head = wte;
    if (ckpt.find("lm_head.weight")) {
      head = param("lm_head.weight", {vocab, dim}, /*prefixed=*/false);
      if (!head)
        return nullptr;
    }
    auto logits = b.create<LinearOp>(loc("lm_head"), act({kDyn, kDyn, vocab}), x, head, Value(),
                                     b.getUnitAttr());
    b.create<func::ReturnOp>(loc("lm_head"), ValueRange{logits});
    return module;
  }

private:
  bool detectPrefix() {
    if (ckpt.find("transformer.wte.weight"))
      prefix = "transformer.";
    else if (ckpt.find("wte.weight"))
      prefix = "";
    else {
      error = ckpt.path() + ": no GPT-2 token embedding (neither "
              "'transformer.wte.weight' nor 'wte.weight')";
      return false;
    }
    return true;
  }

  Value linear(Value x, const std::string &path, int64_t in, int64_t out) {
    Value w = param(path + ".weight", {in, out});
    Value bias = param(path + ".bias", {out});
    if (!w || !bias)
      return nullptr;
    auto xt = cast<RankedTensorType>(x.getType());
    SmallVector<int64_t> shape(xt.getShape());
    shape.back() = out;
    Value y = b.create<LinearOp>(loc(path), act(shape), x, w, Value(), UnitAttr());
    return b.create<AddOp>(loc(path), y, bias);
  }

  Value layerNorm(Value x, const std::string &path) {
    Value g = param(path + ".weight", {dim}), bb = param(path + ".bias", {dim});
    if (!g || !bb)
      return nullptr;
    return b.create<LayerNormOp>(loc(path), x, g, bb, b.getF32FloatAttr((float)eps));
  }

  Value block(Value x, Value mask, const std::string &p) {
    int64_t hd = dim / heads;
    Value h = layerNorm(x, p + ".ln_1");
    if (!h)
      return nullptr;
    Value qkv = linear(h, p + ".attn.c_attn", dim, 3 * dim);
    if (!qkv)
      return nullptr;
    Location a = loc(p + ".attn");
    auto headsOf = [&](int64_t which) -> Value {
      Value s = b.create<SliceOp>(a, act({kDyn, kDyn, dim}), qkv, b.getI64IntegerAttr(2),
                                  b.getI64IntegerAttr(which * dim), b.getI64IntegerAttr(dim));
      Value r = b.create<ReshapeOp>(a, act({kDyn, kDyn, heads, hd}), s);
      return b.create<TransposeOp>(a, act({kDyn, heads, kDyn, hd}), r,
                                   b.getDenseI64ArrayAttr({0, 2, 1, 3}));
    };
    Value q = headsOf(0), k = headsOf(1), v = headsOf(2);
    Value kt = b.create<TransposeOp>(a, act({kDyn, heads, hd, kDyn}), k,
                                     b.getDenseI64ArrayAttr({0, 1, 3, 2}));
    Value s = b.create<MatmulOp>(a, act({kDyn, heads, kDyn, kDyn}), q, kt);
    if (scaleAttn)
      s = b.create<ScaleOp>(a, s, b.getF32FloatAttr(1.0f / std::sqrt((float)hd)));
    s = b.create<AddOp>(a, s, mask);
    s = b.create<SoftmaxOp>(a, s);
    Value o = b.create<MatmulOp>(a, act({kDyn, heads, kDyn, hd}), s, v);
    o = b.create<TransposeOp>(a, act({kDyn, kDyn, heads, hd}), o,
                              b.getDenseI64ArrayAttr({0, 2, 1, 3}));
    o = b.create<ReshapeOp>(a, act({kDyn, kDyn, dim}), o);
    o = linear(o, p + ".attn.c_proj", dim, dim);
    if (!o)
      return nullptr;
    x = b.create<AddOp>(loc(p), x, o);

    h = layerNorm(x, p + ".ln_2");
    if (!h)
      return nullptr;
    Value f = linear(h, p + ".mlp.c_fc", dim, inner);
    if (!f)
      return nullptr;
    f = b.create<GeluOp>(loc(p + ".mlp.act"), f, b.getStringAttr(gelu));
    f = linear(f, p + ".mlp.c_proj", inner, dim);
    if (!f)
      return nullptr;
    return b.create<AddOp>(loc(p), x, f);
  }

public:
  bool scaleAttn = true;
};

} // namespace

OwningOpRef<ModuleOp> mlir::xf::buildGPT2(MLIRContext &context, const json &config,
                                          const ::xf::readers::Checkpoint &checkpoint,
                                          const ImportOptions &options, std::string &error) {
  context.loadDialect<XfDialect, func::FuncDialect>();
  // Where config errors point: the folder's config.json, or the GGUF file
  // whose metadata the config was made from.
  std::string where = checkpoint.path();
  if (std::filesystem::is_directory(where))
    where = (std::filesystem::path(where) / "config.json").string();
  ConfigReader cfg{config, where, error};
  GPT2Builder g(context, checkpoint, error);
  if (!cfg.positiveInt("n_layer", g.layers) || !cfg.positiveInt("n_embd", g.dim) ||
      !cfg.positiveInt("n_head", g.heads) || !cfg.positiveInt("n_positions", g.positions) ||
      !cfg.positiveInt("vocab_size", g.vocab))
    return nullptr;
  if (!cfg.positiveInt("n_inner", g.inner, 4 * g.dim) || !cfg.positiveF32("layer_norm_epsilon", g.eps, 1e-5))
    return nullptr;
  if (g.dim % g.heads != 0) {
    cfg.fail("n_embd " + std::to_string(g.dim) + " is not divisible by n_head " +
             std::to_string(g.heads));
    return nullptr;
  }
  auto act = config.find("activation_function");
  std::string actName = act == config.end() ? "gelu_new" : act->is_string() ? act->get<std::string>() : act->dump();
  if (actName == "gelu_new" || actName == "gelu_pytorch_tanh" || actName == "gelu_fast")
    g.gelu = "tanh";
  else if (actName == "gelu")
    g.gelu = "none";
  else {
    cfg.fail("activation_function '" + actName +
             "' is not supported (supported: gelu_new, gelu_pytorch_tanh, gelu_fast, gelu)");
    return nullptr;
  }
  bool byLayer = false, reorder = false;
  if (!cfg.boolean("scale_attn_weights", g.scaleAttn, true) ||
      !cfg.boolean("scale_attn_by_inverse_layer_idx", byLayer, false) ||
      !cfg.boolean("reorder_and_upcast_attn", reorder, false))
    return nullptr;
  if (byLayer) {
    cfg.fail("scale_attn_by_inverse_layer_idx = true is not supported");
    return nullptr;
  }
  std::vector<int64_t> eos;
  if (!cfg.tokenIds("eos_token_id", eos))
    return nullptr;
  int64_t maxSeq;
  if (!cfg.maxSequence(options.maxSeq, g.positions, "n_positions", maxSeq))
    return nullptr;
  return g.build(eos, maxSeq);
}
