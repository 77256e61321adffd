//===- Report.h - xfc compile --report: one HTML page -----------*- C++ -*-===//
//
// What a compilation did, for a person: the pipeline's stages with what each
// changed (ops added and removed) and its time, the model's graph after
// fusion (SVG drawn by Graphviz, layers as clusters, each node named by the
// checkpoint module it comes from), the kernels (kind, operand shapes, FLOPs
// and bytes per call at a nominal sequence length, which layers share each),
// the memory plan of each entry point, and code generation's time. The page
// is self-contained: no script, style or image from the network.
//
//===----------------------------------------------------------------------===//

#ifndef XF_TOOLS_XFC_REPORT_H
#define XF_TOOLS_XFC_REPORT_H

#include "mlir/IR/BuiltinOps.h"

#include <map>
#include <string>
#include <vector>

namespace xf::report {

class CompileReport {
public:
  explicit CompileReport(std::string modelName) : model(std::move(modelName)) {}

  /// Around each stage (and each inserted pipeline): counts the ops before
  /// and after, and the stage's time.
  void beginStage(const std::string &name, const std::string &description, mlir::ModuleOp m);
  void endStage(mlir::ModuleOp m, double ms);
  /// The graph to draw: the module as it is now (call after fusion).
  void captureGraph(mlir::ModuleOp m);
  /// Kernels and memory plan: the module after the last stage.
  void captureKernels(mlir::ModuleOp m);
  void setCodegen(double ms, const std::string &target) {
    codegenMs = ms;
    codegenTarget = target;
  }
  /// The page (Graphviz's dot is run here to draw the graph).
  std::string render() const;

  /// The sequence length at which FLOPs and bytes per call are given.
  static constexpr int64_t kNominalSeq = 128;

private:
  struct Stage {
    std::string name, description;
    double ms = 0;
    std::map<std::string, int64_t> before, after;
  };
  struct Kernel {
    std::string name, kind, signature;
    double flops = -1, bytes = 0;
    std::vector<std::string> callers; // provenance of each call site
    std::vector<std::string> entries; // entry points that call it
  };
  struct Entry {
    std::string name;
    int64_t calls = 0, buffers = 0, inPlace = 0, unplanned = 0;
  };
  std::string model;
  std::vector<Stage> stages;
  std::string dot; // the graph, in Graphviz's language
  int64_t graphNodes = 0;
  std::string graphEntry;
  std::vector<Kernel> kernels;
  std::vector<Entry> entries;
  double codegenMs = 0;
  std::string codegenTarget;
};

} // namespace xf::report

#endif // XF_TOOLS_XFC_REPORT_H
