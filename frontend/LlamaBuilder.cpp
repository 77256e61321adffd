//===- LlamaBuilder.cpp - LLaMA, Mistral, Mixtral to xf -------*- C++ -*-===//
//
// Emits what LlamaForCausalLM / MistralForCausalLM compute, op by op: token
// embeddings; pre-RMSNorm blocks with separate q/k/v projections, rotary
// embeddings on q and k, grouped-query attention written as HF's repeat_kv
// (an explicit xf.repeat_heads that attention fusion absorbs), an explicit
// causal (LLaMA) or sliding-window (Mistral) mask tensor; a SiLU-gated MLP, or
// for Mixtral a sparse mixture of such experts (xf.moe, the experts' weights
// stacked at load); the final norm and a tied or untied lm_head.
//
//===----------------------------------------------------------------------===//

#include "frontend/LlamaBuilder.h"
#include "frontend/ConfigReader.h"
#include "frontend/GraphBuilder.h"

#include <cmath>
#include <filesystem>

using namespace mlir;
using namespace mlir::xf;

namespace {

struct LlamaConfig {
  int64_t layers = 0, hidden = 0, heads = 0, kvHeads = 0, headDim = 0, inner = 0;
  int64_t vocab = 0, positions = 0, window = 0; // window 0: none
  int64_t experts = 0, topK = 0;                  // experts 0: dense MLP
  double eps = 1e-6, theta = 10000.0;
  bool tied = false, attentionBias = false, mlpBias = false;
};

class LlamaBuilder : GraphBuilder {
public:
  LlamaBuilder(MLIRContext &ctx, const ::xf::readers::Checkpoint &ckpt, std::string &error,
               const LlamaConfig &c)
      : GraphBuilder(ctx, ckpt, error), c(c) {}

  OwningOpRef<ModuleOp> build(StringRef modelType, const std::vector<int64_t> &eos,
                              int64_t maxSeq) {
    OwningOpRef<ModuleOp> module;
    auto fn = startDecoder(module, modelType, c.vocab, c.hidden, maxSeq, eos);
    Value ids = fn.getArgument(0);
    Value embed = param("model.embed_tokens.weight", {c.vocab, c.hidden});
    if (!embed)
      return nullptr;
    Value x = b.create<EmbeddingOp>(loc("model.embed_tokens"), act({kDyn, kDyn, c.hidden}),
                                    embed, ids);
    Value pos = b.create<PositionIdsOp>(loc("model.rotary_emb"), ids);
    Value mask = c.window > 0
                     ? b.create<SlidingWindowMaskOp>(loc("model.mask"), act({kDyn, kDyn}), ids,
                                                     b.getI64IntegerAttr(c.window))
                           .getResult()
                     : b.create<CausalMaskOp>(loc("model.mask"), act({kDyn, kDyn}), ids)
                           .getResult();
    for (int64_t i = 0; i < c.layers; ++i) {
      x = layer(x, pos, mask, "model.layers." + std::to_string(i));
      if (!x)
        return nullptr;
    }
    x = rmsNorm(x, "model.norm");
    Value head = embed;
    if (!c.tied || ckpt.find("lm_head.weight")) {
      head = param("lm_head.weight", {c.vocab, c.hidden});
      if (!head)
        return nullptr;
    }
    if (!x)
      return nullptr;
    auto logits = b.create<LinearOp>(loc("lm_head"), act({kDyn, kDyn, c.vocab}), x, head,
                                     Value(), b.getUnitAttr());
    b.create<func::ReturnOp>(loc("lm_head"), ValueRange{logits});
    return module;
  }

private:
  const LlamaConfig &c;

  /// torch.nn.Linear: weight [out, in], optional bias [out].
  Value linear(Value x, const std::string &path, int64_t in, int64_t out, bool bias) {
    Value w = param(path + ".weight", {out, in});
    if (!w)
      return nullptr;
    auto xt = cast<RankedTensorType>(x.getType());
    SmallVector<int64_t> shape(xt.getShape());
    shape.back() = out;
    Value y = b.create<LinearOp>(loc(path), act(shape), x, w, Value(), b.getUnitAttr());
    if (!bias)
      return y;
    Value bv = param(path + ".bias", {out});
    return bv ? b.create<AddOp>(loc(path), y, bv).getResult() : nullptr;
  }

  Value rmsNorm(Value x, const std::string &path) {
    Value w = param(path + ".weight", {c.hidden});
    if (!w || !x)
      return nullptr;
    return b.create<RmsNormOp>(loc(path), x, w, b.getF32FloatAttr((float)c.eps));
  }

  /// Mixtral's sparse MoE block: the router and the experts' weights stacked
  /// per kind ([E, ...]) at load time.
  Value moe(Value h, const std::string &m) {
    Value gate = param(m + ".gate.weight", {c.experts, c.hidden});
    auto stack = [&](const char *w, int64_t rows, int64_t cols) -> Value {
      if (!error.empty())
        return nullptr;
      SmallVector<Attribute> keys;
      for (int64_t e = 0; e < c.experts; ++e) {
        std::string key = prefix + m + ".experts." + std::to_string(e) + "." + w + ".weight";
        if (!checkTensor(key, {rows, cols}))
          return nullptr;
        keys.push_back(b.getStringAttr(key));
      }
      return b.create<ParamStackOp>(loc(m + ".experts"), act({c.experts, rows, cols}),
                                    b.getStringAttr(m + ".experts." + w),
                                    b.getArrayAttr(keys));
    };
    Value w1 = stack("w1", c.inner, c.hidden), w2 = stack("w2", c.hidden, c.inner),
          w3 = stack("w3", c.inner, c.hidden);
    if (!gate || !w1 || !w2 || !w3)
      return nullptr;
    return b.create<MoeOp>(loc(m), h, gate, w1, w2, w3, b.getI64IntegerAttr(c.topK));
  }

  /// [B, S, n * hd] -> [B, n, S, hd]
  Value heads(Value x, int64_t n, Location l) {
    Value r = b.create<ReshapeOp>(l, act({kDyn, kDyn, n, c.headDim}), x);
    return b.create<TransposeOp>(l, act({kDyn, n, kDyn, c.headDim}), r,
                                 b.getDenseI64ArrayAttr({0, 2, 1, 3}));
  }

  Value layer(Value x, Value pos, Value mask, const std::string &p) {
    int64_t hd = c.headDim, qDim = c.heads * hd, kvDim = c.kvHeads * hd;
    Value h = rmsNorm(x, p + ".input_layernorm");
    if (!h)
      return nullptr;
    std::string a = p + ".self_attn";
    Location al = loc(a);
    Value q = linear(h, a + ".q_proj", c.hidden, qDim, c.attentionBias);
    Value k = linear(h, a + ".k_proj", c.hidden, kvDim, c.attentionBias);
    Value v = linear(h, a + ".v_proj", c.hidden, kvDim, c.attentionBias);
    if (!q || !k || !v)
      return nullptr;
    auto theta = b.getF32FloatAttr((float)c.theta);
    q = b.create<RopeOp>(loc(p + ".self_attn.rotary"), heads(q, c.heads, al), pos, theta);
    k = b.create<RopeOp>(loc(p + ".self_attn.rotary"), heads(k, c.kvHeads, al), pos, theta);
    v = heads(v, c.kvHeads, al);
    if (c.kvHeads != c.heads) {
      auto rep = b.getI64IntegerAttr(c.heads / c.kvHeads);
      k = b.create<RepeatHeadsOp>(al, act({kDyn, c.heads, kDyn, hd}), k, rep);
      v = b.create<RepeatHeadsOp>(al, act({kDyn, c.heads, kDyn, hd}), v, rep);
    }
    Value kt = b.create<TransposeOp>(al, act({kDyn, c.heads, hd, kDyn}), k,
                                     b.getDenseI64ArrayAttr({0, 1, 3, 2}));
    Value s = b.create<MatmulOp>(al, act({kDyn, c.heads, kDyn, kDyn}), q, kt);
    s = b.create<ScaleOp>(al, s, b.getF32FloatAttr(1.0f / std::sqrt((float)hd)));
    s = b.create<AddOp>(al, s, mask);
    s = b.create<SoftmaxOp>(al, s);
    Value o = b.create<MatmulOp>(al, act({kDyn, c.heads, kDyn, hd}), s, v);
    o = b.create<TransposeOp>(al, act({kDyn, kDyn, c.heads, hd}), o,
                              b.getDenseI64ArrayAttr({0, 2, 1, 3}));
    o = b.create<ReshapeOp>(al, act({kDyn, kDyn, qDim}), o);
    o = linear(o, a + ".o_proj", qDim, c.hidden, c.attentionBias);
    if (!o)
      return nullptr;
    x = b.create<AddOp>(loc(p), x, o);

    h = rmsNorm(x, p + ".post_attention_layernorm");
    if (!h)
      return nullptr;
    if (c.experts > 0) {
      Value f = moe(h, p + ".block_sparse_moe");
      return f ? b.create<AddOp>(loc(p), x, f).getResult() : nullptr;
    }
    std::string m = p + ".mlp";
    Value gate = linear(h, m + ".gate_proj", c.hidden, c.inner, c.mlpBias);
    Value up = linear(h, m + ".up_proj", c.hidden, c.inner, c.mlpBias);
    if (!gate || !up)
      return nullptr;
    gate = b.create<SiluOp>(loc(m + ".act_fn"), gate);
    Value f = b.create<MulOp>(loc(m), gate, up);
    f = linear(f, m + ".down_proj", c.inner, c.hidden, c.mlpBias);
    if (!f)
      return nullptr;
    return b.create<AddOp>(loc(p), x, f);
  }
};

} // namespace

OwningOpRef<ModuleOp> mlir::xf::buildLlama(MLIRContext &context, const std::string &modelType,
                                           const nlohmann::json &config,
                                           const ::xf::readers::Checkpoint &checkpoint,
                                           const ImportOptions &options, std::string &error) {
  context.loadDialect<XfDialect, func::FuncDialect>();
  // Where config errors point: the folder's config.json, or the GGUF file
  // whose metadata the config was made from.
  std::string where = checkpoint.path();
  if (std::filesystem::is_directory(where))
    where = (std::filesystem::path(where) / "config.json").string();
  ConfigReader cfg{config, where, error};
  LlamaConfig c;
  if (!cfg.positiveInt("num_hidden_layers", c.layers) ||
      !cfg.positiveInt("hidden_size", c.hidden) ||
      !cfg.positiveInt("num_attention_heads", c.heads) ||
      !cfg.positiveInt("num_key_value_heads", c.kvHeads, c.heads) ||
      !cfg.positiveInt("intermediate_size", c.inner) ||
      !cfg.positiveInt("vocab_size", c.vocab) ||
      !cfg.positiveInt("max_position_embeddings", c.positions) ||
      !cfg.positiveF32("rms_norm_eps", c.eps, 1e-6) || !cfg.positiveF32("rope_theta", c.theta, 10000.0) ||
      !cfg.boolean("tie_word_embeddings", c.tied, false) ||
      !cfg.boolean("attention_bias", c.attentionBias, false) ||
      !cfg.boolean("mlp_bias", c.mlpBias, false) || !cfg.mustBeNull("rope_scaling"))
    return nullptr;
  if (c.hidden % c.heads != 0 && config.find("head_dim") == config.end()) {
    cfg.fail("hidden_size " + std::to_string(c.hidden) + " is not divisible by num_attention_heads " +
             std::to_string(c.heads));
    return nullptr;
  }
  if (!cfg.positiveInt("head_dim", c.headDim, c.hidden / c.heads))
    return nullptr;
  if (c.headDim % 2 != 0) {
    cfg.fail("head_dim " + std::to_string(c.headDim) + " must be even for rotary embeddings");
    return nullptr;
  }
  if (c.heads % c.kvHeads != 0) {
    cfg.fail("num_attention_heads " + std::to_string(c.heads) +
             " is not a multiple of num_key_value_heads " + std::to_string(c.kvHeads));
    return nullptr;
  }
  std::string act;
  if (!cfg.string("hidden_act", act, "silu"))
    return nullptr;
  if (act != "silu") {
    cfg.fail("hidden_act '" + act + "' is not supported (supported: silu)");
    return nullptr;
  }
  if (modelType == "mixtral") {
    if (!cfg.positiveInt("num_local_experts", c.experts) ||
        !cfg.positiveInt("num_experts_per_tok", c.topK))
      return nullptr;
    if (c.topK > c.experts) {
      cfg.fail("num_experts_per_tok " + std::to_string(c.topK) + " exceeds num_local_experts " +
               std::to_string(c.experts));
      return nullptr;
    }
  }
  if (modelType == "mistral" || modelType == "mixtral") {
    auto it = config.find("sliding_window");
    if (it != config.end() && !it->is_null() && !cfg.positiveInt("sliding_window", c.window))
      return nullptr;
  } else if (!cfg.mustBeNull("sliding_window")) {
    return nullptr;
  }
  std::vector<int64_t> eos;
  if (!cfg.tokenIds("eos_token_id", eos))
    return nullptr;
  int64_t maxSeq;
  if (!cfg.maxSequence(options.maxSeq, c.positions, "max_position_embeddings", maxSeq))
    return nullptr;
  LlamaBuilder builder(context, checkpoint, error, c);
  return builder.build(modelType, eos, maxSeq);
}
