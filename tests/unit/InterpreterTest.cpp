//===- InterpreterTest.cpp - every pass keeps the numbers -------*- C++ -*-===//
//
// Runs a hand-written two-layer GPT-2-style decoder through each stage of the
// pipeline and checks with the reference interpreter, on random weights and
// ids, that the graph computes the same logits before and after: forward
// against forward for the graph passes, prefill + decode against forward for
// the KV-cache split, entry points against entry points for outlining and
// deduplication. Also checks the interpreter itself on known values.
//
//===----------------------------------------------------------------------===//

#include "dialect/XfInterpreter.h"
#include "passes/Pipelines.h"
#include "tools/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <random>

using namespace mlir;
using namespace mlir::xf;

namespace {

constexpr int64_t kVocab = 11, kMaxSeq = 16;

/// One pre-LN GPT-2 block on hidden 8 with 2 heads of 4, as the importer
/// writes it (unfused, explicit causal mask).
std::string layerIR(int i, const std::string &x, const std::string &out) {
  std::string p = "%l" + std::to_string(i) + "_";
  std::string n = "h." + std::to_string(i) + ".";
  std::string s = R"(
    PG1 = xf.param "Nln_1.weight" from "Nln_1.weight" : tensor<8xf32>
    PB1 = xf.param "Nln_1.bias" from "Nln_1.bias" : tensor<8xf32>
    Ph = xf.layer_norm X, PG1, PB1 eps 1.000000e-05 : tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>
    PWqkv = xf.param "Nattn.c_attn.weight" from "Nattn.c_attn.weight" : tensor<8x24xf32>
    PBqkv = xf.param "Nattn.c_attn.bias" from "Nattn.c_attn.bias" : tensor<24xf32>
    Pqkv0 = xf.linear Ph, PWqkv : tensor<?x?x8xf32>, tensor<8x24xf32> -> tensor<?x?x24xf32>
    Pqkv = xf.add Pqkv0, PBqkv : tensor<?x?x24xf32>, tensor<24xf32>
    Pq0 = xf.slice Pqkv axis 2 [0, 8] : tensor<?x?x24xf32> -> tensor<?x?x8xf32>
    Pk0 = xf.slice Pqkv axis 2 [8, 8] : tensor<?x?x24xf32> -> tensor<?x?x8xf32>
    Pv0 = xf.slice Pqkv axis 2 [16, 8] : tensor<?x?x24xf32> -> tensor<?x?x8xf32>
    Pq1 = xf.reshape Pq0 : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    Pk1 = xf.reshape Pk0 : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    Pv1 = xf.reshape Pv0 : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
    Pq = xf.transpose Pq1 [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
    Pk = xf.transpose Pk1 [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
    Pv = xf.transpose Pv1 [0, 2, 1, 3] : tensor<?x?x2x4xf32> -> tensor<?x2x?x4xf32>
    Pkt = xf.transpose Pk [0, 1, 3, 2] : tensor<?x2x?x4xf32> -> tensor<?x2x4x?xf32>
    Ps0 = xf.matmul Pq, Pkt : tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32> -> tensor<?x2x?x?xf32>
    Ps1 = xf.scale Ps0 by 5.000000e-01 : tensor<?x2x?x?xf32>
    Ps2 = xf.add Ps1, %mask : tensor<?x2x?x?xf32>, tensor<?x?xf32>
    Pp = xf.softmax Ps2 : tensor<?x2x?x?xf32>
    Po0 = xf.matmul Pp, Pv : tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32> -> tensor<?x2x?x4xf32>
    Po1 = xf.transpose Po0 [0, 2, 1, 3] : tensor<?x2x?x4xf32> -> tensor<?x?x2x4xf32>
    Po2 = xf.reshape Po1 : tensor<?x?x2x4xf32> -> tensor<?x?x8xf32>
    PWo = xf.param "Nattn.c_proj.weight" from "Nattn.c_proj.weight" : tensor<8x8xf32>
    PBo = xf.param "Nattn.c_proj.bias" from "Nattn.c_proj.bias" : tensor<8xf32>
    Po3 = xf.linear Po2, PWo : tensor<?x?x8xf32>, tensor<8x8xf32> -> tensor<?x?x8xf32>
    Po = xf.add Po3, PBo : tensor<?x?x8xf32>, tensor<8xf32>
    Px1 = xf.add X, Po : tensor<?x?x8xf32>, tensor<?x?x8xf32>
    PG2 = xf.param "Nln_2.weight" from "Nln_2.weight" : tensor<8xf32>
    PB2 = xf.param "Nln_2.bias" from "Nln_2.bias" : tensor<8xf32>
    Ph2 = xf.layer_norm Px1, PG2, PB2 eps 1.000000e-05 : tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>
    PWf = xf.param "Nmlp.c_fc.weight" from "Nmlp.c_fc.weight" : tensor<8x32xf32>
    PBf = xf.param "Nmlp.c_fc.bias" from "Nmlp.c_fc.bias" : tensor<32xf32>
    Pf0 = xf.linear Ph2, PWf : tensor<?x?x8xf32>, tensor<8x32xf32> -> tensor<?x?x32xf32>
    Pf1 = xf.add Pf0, PBf : tensor<?x?x32xf32>, tensor<32xf32>
    Pf2 = xf.gelu Pf1 approximate "tanh" : tensor<?x?x32xf32>
    PWp = xf.param "Nmlp.c_proj.weight" from "Nmlp.c_proj.weight" : tensor<32x8xf32>
    PBp = xf.param "Nmlp.c_proj.bias" from "Nmlp.c_proj.bias" : tensor<8xf32>
    Pf3 = xf.linear Pf2, PWp : tensor<?x?x32xf32>, tensor<32x8xf32> -> tensor<?x?x8xf32>
    Pf = xf.add Pf3, PBp : tensor<?x?x8xf32>, tensor<8xf32>
    OUT = xf.add Px1, Pf : tensor<?x?x8xf32>, tensor<?x?x8xf32>
)";
  auto replaceAll = [&](const std::string &from, const std::string &to) {
    for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
      s.replace(pos, from.size(), to);
  };
  replaceAll("OUT", out);
  replaceAll("X", x);
  replaceAll("P", p);
  replaceAll("N", n);
  return s;
}

std::string decoderIR() {
  std::string ir = R"(module attributes {xf.model = {kind = "decoder", vocab_size = 11 : i64,
    hidden_size = 8 : i64, max_seq = 16 : i64, eos_token_ids = array<i64>, checkpoint = "none"}} {
  func.func @forward(%ids: tensor<?x?xi64>) -> tensor<?x?x11xf32> {
    %wte = xf.param "wte.weight" from "wte.weight" : tensor<11x8xf32>
    %wpe = xf.param "wpe.weight" from "wpe.weight" : tensor<16x8xf32>
    %tok = xf.embedding %wte[%ids] : tensor<11x8xf32>, tensor<?x?xi64> -> tensor<?x?x8xf32>
    %pos = xf.position_ids %ids : tensor<?x?xi64>
    %pe = xf.embedding %wpe[%pos] : tensor<16x8xf32>, tensor<?x?xi64> -> tensor<?x?x8xf32>
    %x0 = xf.add %tok, %pe : tensor<?x?x8xf32>, tensor<?x?x8xf32>
    %mask = xf.causal_mask %ids : tensor<?x?xi64> -> tensor<?x?xf32>
)";
  ir += layerIR(0, "%x0", "%x1");
  ir += layerIR(1, "%x1", "%x2");
  ir += R"(
    %gf = xf.param "ln_f.weight" from "ln_f.weight" : tensor<8xf32>
    %bf = xf.param "ln_f.bias" from "ln_f.bias" : tensor<8xf32>
    %hf = xf.layer_norm %x2, %gf, %bf eps 1.000000e-05 : tensor<?x?x8xf32>, tensor<8xf32>, tensor<8xf32>
    %logits = xf.linear %hf, %wte {transpose_w} : tensor<?x?x8xf32>, tensor<11x8xf32> -> tensor<?x?x11xf32>
    return %logits : tensor<?x?x11xf32>
  }
}
)";
  return ir;
}

class PassNumericsTest : public ::testing::Test {
protected:
  PassNumericsTest() {
    registerAllDialects(registry);
    registerAllPasses();
    context = std::make_unique<MLIRContext>(registry);
    context->loadAllAvailableDialects();
  }

  OwningOpRef<ModuleOp> parse(const std::string &ir) {
    return parseSourceString<ModuleOp>(ir, context.get());
  }

  static HostTensor ids(const std::vector<int64_t> &v) {
    HostTensor t = HostTensor::zerosI64({1, (int64_t)v.size()});
    t.i64 = v;
    return t;
  }

  HostTensor runForward(ModuleOp m, const std::vector<int64_t> &tokens) {
    auto fn = m.lookupSymbol<func::FuncOp>("forward");
    EXPECT_TRUE(fn);
    auto r = interpret(fn, {RtValue::ofTensor(ids(tokens))}, params);
    EXPECT_TRUE(succeeded(r));
    return succeeded(r) ? (*r)[0].tensor : HostTensor();
  }

  /// Prefill on tokens[0..n), then decode each remaining token; returns the
  /// logits rows stacked [1, len, V] like forward's.
  HostTensor runCached(ModuleOp m, const std::vector<int64_t> &tokens, size_t n) {
    auto prefill = m.lookupSymbol<func::FuncOp>("prefill");
    auto decode = m.lookupSymbol<func::FuncOp>("decode");
    EXPECT_TRUE(prefill && decode);
    if (!prefill || !decode)
      return {};
    std::vector<RtValue> caches;
    for (Type t : prefill.getArgumentTypes().drop_front())
      caches.push_back(RtValue::ofCache(cast<KVCacheType>(t), 1));
    std::vector<RtValue> args{RtValue::ofTensor(ids({tokens.begin(), tokens.begin() + n}))};
    args.insert(args.end(), caches.begin(), caches.end());
    auto r = interpret(prefill, args, params);
    EXPECT_TRUE(succeeded(r));
    if (failed(r))
      return {};
    HostTensor out = (*r)[0].tensor;
    for (size_t i = n; i < tokens.size(); ++i) {
      std::vector<RtValue> dargs{RtValue::ofTensor(ids({tokens[i]})),
                                 RtValue::ofIndex((int64_t)i)};
      dargs.insert(dargs.end(), caches.begin(), caches.end());
      auto d = interpret(decode, dargs, params);
      EXPECT_TRUE(succeeded(d));
      if (failed(d))
        return {};
      const HostTensor &row = (*d)[0].tensor;
      out.f32.insert(out.f32.end(), row.f32.begin(), row.f32.end());
      out.shape[1] += 1;
    }
    return out;
  }

  bool runStage(ModuleOp m, const PipelineStage &stage) {
    PassManager pm(context.get());
    stage.addPasses(pm);
    return succeeded(pm.run(m));
  }

  DialectRegistry registry;
  std::unique_ptr<MLIRContext> context;
  ParamProvider params = randomParams(7);
  std::vector<int64_t> tokens{3, 1, 4, 1, 5, 9, 2, 6};
};

TEST_F(PassNumericsTest, EveryStageKeepsTheLogits) {
  OwningOpRef<ModuleOp> m = parse(decoderIR());
  ASSERT_TRUE(m);
  HostTensor reference = runForward(*m, tokens);
  ASSERT_EQ(reference.shape, (std::vector<int64_t>{1, 8, kVocab}));
  bool split = false;
  for (const PipelineStage &stage : getPipelineStages({})) {
    SCOPED_TRACE("stage " + stage.name);
    ASSERT_TRUE(runStage(*m, stage));
    HostTensor got = split || m->lookupSymbol("prefill") ? runCached(*m, tokens, 5)
                                                         : runForward(*m, tokens);
    split = split || m->lookupSymbol("prefill");
    EXPECT_LT(relativeL2(got, reference), 1e-5) << "after " << stage.name;
  }
  EXPECT_TRUE(split) << "the pipeline made no prefill/decode";
}

TEST_F(PassNumericsTest, NoOptPipelineKeepsTheLogits) {
  OwningOpRef<ModuleOp> m = parse(decoderIR());
  ASSERT_TRUE(m);
  HostTensor reference = runForward(*m, tokens);
  PipelineOptions noOpt;
  noOpt.optimize = false;
  for (const PipelineStage &stage : getPipelineStages(noOpt)) {
    ASSERT_TRUE(runStage(*m, stage));
    EXPECT_LT(relativeL2(runForward(*m, tokens), reference), 1e-6) << "after " << stage.name;
  }
}

TEST_F(PassNumericsTest, DecodeEqualsRecomputeAtEverySplit) {
  OwningOpRef<ModuleOp> m = parse(decoderIR());
  ASSERT_TRUE(m);
  HostTensor reference = runForward(*m, tokens);
  PassManager pm(context.get());
  buildXfPipeline(pm, {});
  ASSERT_TRUE(succeeded(pm.run(*m)));
  for (size_t n = 1; n <= tokens.size(); ++n)
    EXPECT_LT(relativeL2(runCached(*m, tokens, n), reference), 1e-5) << "prefill of " << n;
}

// The interpreter itself, on values worked out by hand.
TEST_F(PassNumericsTest, InterpreterKnownValues) {
  OwningOpRef<ModuleOp> m = parse(R"(
    func.func @f(%a: tensor<1x2x2xf32>, %b: tensor<1x2x2xf32>) -> tensor<1x2x2xf32> {
      %0 = xf.matmul %a, %b : tensor<1x2x2xf32>, tensor<1x2x2xf32> -> tensor<1x2x2xf32>
      %1 = xf.softmax %0 : tensor<1x2x2xf32>
      return %1 : tensor<1x2x2xf32>
    })");
  ASSERT_TRUE(m);
  HostTensor a = HostTensor::zerosF32({1, 2, 2}), b = HostTensor::zerosF32({1, 2, 2});
  a.f32 = {1, 2, 3, 4};
  b.f32 = {1, 0, 0, 1}; // identity: matmul = a
  auto r = interpret(m->lookupSymbol<func::FuncOp>("f"),
                     {RtValue::ofTensor(a), RtValue::ofTensor(b)}, params);
  ASSERT_TRUE(succeeded(r));
  const std::vector<float> &o = (*r)[0].tensor.f32;
  // softmax([1, 2]) = [1 / (1 + e), e / (1 + e)]
  EXPECT_NEAR(o[0], 1.0 / (1.0 + std::exp(1.0)), 1e-6);
  EXPECT_NEAR(o[1], std::exp(1.0) / (1.0 + std::exp(1.0)), 1e-6);
  EXPECT_NEAR(o[2] + o[3], 1.0, 1e-6);
}

} // namespace
