//===- Report.cpp - xfc compile --report: one HTML page ---------*- C++ -*-===//

#include "tools/xfc/Report.h"

#include "dialect/XfDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <fstream>
#include <set>
#include <sstream>

using namespace mlir;

namespace xf::report {

namespace {

std::map<std::string, int64_t> countOps(ModuleOp m) {
  std::map<std::string, int64_t> counts;
  m.walk([&](Operation *op) {
    if (op != m.getOperation())
      ++counts[op->getName().getStringRef().str()];
  });
  return counts;
}

/// The checkpoint module paths a location names (fused locations: each).
void collectNames(Location loc, std::vector<std::string> &out) {
  if (auto n = dyn_cast<NameLoc>(loc)) {
    out.push_back(n.getName().str());
    return;
  }
  if (auto f = dyn_cast<FusedLoc>(loc)) {
    for (Location l : f.getLocations())
      collectNames(l, out);
    return;
  }
  if (auto c = dyn_cast<CallSiteLoc>(loc)) {
    collectNames(c.getCallee(), out);
    return;
  }
  if (auto f = dyn_cast<FileLineColLoc>(loc))
    out.push_back(llvm::formatv("{0}:{1}", llvm::sys::path::filename(f.getFilename().strref()),
                                f.getLine())
                      .str());
}

std::string provenance(Location loc) {
  std::vector<std::string> names;
  collectNames(loc, names);
  std::vector<std::string> unique;
  for (const std::string &n : names)
    if (!llvm::is_contained(unique, n))
      unique.push_back(n);
  return llvm::join(unique, " + ");
}

/// "transformer.h.3.attn.c_attn" -> "transformer.h.3" (the prefix up to the
/// first all-digit component), or "" for ops outside the layers.
std::string layerOf(const std::string &path) {
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(path).split(parts, '.');
  for (size_t i = 0; i < parts.size(); ++i)
    if (!parts[i].empty() && llvm::all_of(parts[i], llvm::isDigit))
      return llvm::join(llvm::ArrayRef(parts).take_front(i + 1), ".");
  return "";
}

std::string escape(llvm::StringRef s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '&': out += "&amp;"; break;
    case '"': out += "&quot;"; break;
    default: out += c;
    }
  }
  return out;
}

std::string dotEscape(llvm::StringRef s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out;
}

std::string typeString(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

/// Sizes of a tensor with dynamic dimensions resolved: the first (batch) to
/// 1, the others to the nominal sequence length.
std::vector<int64_t> nominalShape(Type t) {
  auto r = dyn_cast<RankedTensorType>(t);
  if (!r)
    return {};
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < r.getRank(); ++i)
    dims.push_back(r.isDynamicDim(i) ? (i == 0 ? 1 : CompileReport::kNominalSeq) : r.getDimSize(i));
  return dims;
}

double numel(Type t) {
  double n = 1;
  for (int64_t d : nominalShape(t))
    n *= (double)d;
  return n;
}

double bytesOf(Type t) {
  auto r = dyn_cast<RankedTensorType>(t);
  if (!r)
    return 0;
  unsigned bits = r.getElementType().getIntOrFloatBitWidth();
  return numel(t) * (double)std::max(bits, 8u) / 8.0;
}

/// FLOPs of one call of a kernel's op at the nominal length (-1: not given).
double flopsOf(Operation *op) {
  if (auto l = dyn_cast<mlir::xf::LinearOp>(op)) {
    auto x = cast<RankedTensorType>(l.getX().getType());
    double k = (double)x.getDimSize(x.getRank() - 1);
    return 2.0 * numel(l.getResult().getType()) * k * (l.getGate() ? 2.0 : 1.0);
  }
  if (auto mm = dyn_cast<mlir::xf::MatmulOp>(op)) {
    auto a = cast<RankedTensorType>(mm->getOperand(0).getType());
    return 2.0 * numel(mm->getResult(0).getType()) * (double)a.getDimSize(a.getRank() - 1);
  }
  if (op->getName().getStringRef() == "xf.attention") {
    std::vector<int64_t> q = nominalShape(op->getOperand(0).getType());
    std::vector<int64_t> k = nominalShape(op->getOperand(1).getType());
    if (q.size() != 4 || k.size() != 4)
      return -1;
    double pairs = (double)q[2] * (double)k[2];
    std::string kind;
    if (auto a = op->getAttr("mask_kind")) {
      llvm::raw_string_ostream os(kind);
      a.print(os);
    }
    if (llvm::StringRef(kind).contains("causal"))
      pairs = (double)q[2] * ((double)k[2] + 1) / 2; // about half the keys
    return 4.0 * (double)q[0] * (double)q[1] * pairs * (double)q[3];
  }
  return -1;
}

std::string humanCount(double v, const char *unit) {
  if (v < 0)
    return "–";
  const char *prefix[] = {"", "K", "M", "G", "T"};
  int i = 0;
  while (v >= 1000 && i < 4) {
    v /= 1000;
    ++i;
  }
  return llvm::formatv("{0:f1} {1}{2}", v, prefix[i], unit).str();
}

/// Runs Graphviz's dot on `graph`; the SVG without its XML prolog, or "".
std::string drawSvg(const std::string &graph, std::string &why) {
  auto dot = llvm::sys::findProgramByName("dot");
  if (!dot) {
    why = "Graphviz's dot is not installed (Debian package graphviz)";
    return "";
  }
  llvm::SmallString<128> in, out;
  if (llvm::sys::fs::createTemporaryFile("xfc-report", "dot", in) ||
      llvm::sys::fs::createTemporaryFile("xfc-report", "svg", out)) {
    why = "cannot create a temporary file";
    return "";
  }
  {
    std::ofstream f(in.str().str());
    f << graph;
  }
  std::string err;
  llvm::StringRef args[] = {*dot, "-Tsvg", in.str(), "-o", out.str()};
  int rc = llvm::sys::ExecuteAndWait(*dot, args, std::nullopt, {}, 120, 0, &err);
  std::stringstream svg;
  svg << std::ifstream(out.str().str()).rdbuf();
  llvm::sys::fs::remove(in);
  llvm::sys::fs::remove(out);
  if (rc != 0) {
    why = "dot failed" + (err.empty() ? "" : ": " + err);
    return "";
  }
  std::string text = svg.str();
  size_t start = text.find("<svg");
  return start == std::string::npos ? "" : text.substr(start);
}

const char *kindColor(llvm::StringRef kind) {
  if (kind == "linear" || kind == "matmul")
    return "#cfe2f3";
  if (kind == "attention")
    return "#f9cb9c";
  if (kind.contains("norm"))
    return "#d9ead3";
  if (kind == "moe")
    return "#ead1dc";
  return "#eeeeee";
}

} // namespace

void CompileReport::beginStage(const std::string &name, const std::string &description,
                               ModuleOp m) {
  stages.push_back({name, description, 0, countOps(m), {}});
}

void CompileReport::endStage(ModuleOp m, double ms) {
  stages.back().after = countOps(m);
  stages.back().ms = ms;
}

void CompileReport::captureGraph(ModuleOp m) {
  // The entry point with the most ops (a decoder's @forward before kv-cache).
  func::FuncOp entry;
  size_t most = 0;
  m.walk([&](func::FuncOp f) {
    if (f.isPrivate() || f.isExternal())
      return;
    size_t n = f.getBody().front().getOperations().size();
    if (n > most) {
      most = n;
      entry = f;
    }
  });
  dot.clear();
  graphNodes = 0;
  if (!entry)
    return;
  graphEntry = entry.getSymName().str();
  std::string nodes, edges;
  std::map<std::string, std::string> clusters; // layer -> its nodes
  llvm::DenseMap<Value, std::string> nodeOf;
  int next = 0;
  for (BlockArgument a : entry.getArguments()) {
    std::string id = "a" + std::to_string(a.getArgNumber());
    nodes += llvm::formatv("  {0} [label=\"input {1}\\n{2}\", shape=oval, fillcolor=white];\n", id,
                           a.getArgNumber(), dotEscape(typeString(a.getType())))
                 .str();
    nodeOf[a] = id;
  }
  for (Operation &op : entry.getBody().front()) {
    llvm::StringRef name = op.getName().getStringRef();
    if (name == "xf.param" || name == "arith.constant")
      continue; // weights and constants: read by the ops that use them
    std::string id = "n" + std::to_string(next++);
    ++graphNodes;
    std::string kind = name.starts_with("xf.") ? name.drop_front(3).str() : name.str();
    std::string from = provenance(op.getLoc());
    std::string shape = op.getNumResults() ? typeString(op.getResult(0).getType()) : "";
    std::string attrs;
    if (auto act = op.getAttrOfType<StringAttr>("activation"))
      attrs = " " + act.getValue().str();
    if (auto mk = op.getAttr("mask_kind")) {
      std::string s;
      llvm::raw_string_ostream os(s);
      mk.print(os);
      attrs = " " + s;
    }
    std::string label = kind + attrs + "\\n" + dotEscape(from) + (shape.empty() ? "" : "\\n") +
                        dotEscape(shape);
    std::string line = llvm::formatv("  {0} [label=\"{1}\", fillcolor=\"{2}\", tooltip=\"{3}\"];\n",
                                     id, label, kindColor(kind), dotEscape(from))
                           .str();
    std::string layer = layerOf(from);
    if (layer.empty())
      nodes += line;
    else
      clusters[layer] += "  " + line;
    for (Value v : op.getOperands())
      if (auto it = nodeOf.find(v); it != nodeOf.end())
        edges += "  " + it->second + " -> " + id + ";\n";
    for (Value r : op.getResults())
      nodeOf[r] = id;
  }
  std::string g = "digraph model {\n  rankdir=TB; node [shape=box, style=\"rounded,filled\", "
                  "fontname=\"Helvetica\", fontsize=10]; edge [color=\"#777777\"];\n";
  g += nodes;
  int c = 0;
  // Clusters in layer order (numeric within a prefix).
  std::vector<std::pair<std::string, std::string>> ordered(clusters.begin(), clusters.end());
  auto numberOf = [](const std::string &layer) {
    size_t dot = layer.rfind('.');
    return std::make_pair(layer.substr(0, dot), std::atoll(layer.c_str() + dot + 1));
  };
  std::sort(ordered.begin(), ordered.end(),
            [&](const auto &a, const auto &b) { return numberOf(a.first) < numberOf(b.first); });
  for (const auto &[layer, body] : ordered)
    g += llvm::formatv("  subgraph cluster_{0} {{\n    label=\"{1}\"; style=rounded; "
                       "color=\"#bbbbbb\";\n{2}  }\n",
                       c++, dotEscape(layer), body)
             .str();
  g += edges + "}\n";
  dot = g;
}

void CompileReport::captureKernels(ModuleOp m) {
  kernels.clear();
  entries.clear();
  std::map<std::string, size_t> index;
  m.walk([&](func::FuncOp f) {
    if (!f->hasAttr(mlir::xf::kKernelAttrName))
      return;
    Kernel k;
    k.name = f.getSymName().str();
    Operation *body = nullptr;
    for (Operation &op : f.getBody().front())
      if (!isa<func::ReturnOp>(op) && !body)
        body = &op;
    if (body) {
      llvm::StringRef n = body->getName().getStringRef();
      k.kind = n.starts_with("xf.") ? n.drop_front(3).str() : n.str();
      k.flops = flopsOf(body);
    }
    std::vector<std::string> args;
    for (Type t : f.getArgumentTypes()) {
      args.push_back(typeString(t));
      k.bytes += bytesOf(t);
    }
    std::vector<std::string> results;
    for (Type t : f.getResultTypes()) {
      results.push_back(typeString(t));
      k.bytes += bytesOf(t);
    }
    k.signature = "(" + llvm::join(args, ", ") + ") -> " + llvm::join(results, ", ");
    index[k.name] = kernels.size();
    kernels.push_back(k);
  });
  m.walk([&](func::FuncOp f) {
    if (f->hasAttr(mlir::xf::kKernelAttrName) || f.isExternal())
      return;
    Entry e;
    e.name = f.getSymName().str();
    std::set<int64_t> buffers;
    llvm::DenseMap<Value, int64_t> bufferOf;
    f.walk([&](func::CallOp call) {
      auto it = index.find(call.getCallee().str());
      if (it == index.end())
        return;
      Kernel &k = kernels[it->second];
      k.callers.push_back(provenance(call.getLoc()));
      if (!llvm::is_contained(k.entries, e.name))
        k.entries.push_back(e.name);
      ++e.calls;
      auto buffer = call->getAttrOfType<IntegerAttr>("xf.buffer");
      if (!buffer) {
        ++e.unplanned;
        return;
      }
      int64_t slot = buffer.getInt();
      buffers.insert(slot);
      for (Value v : call.getOperands())
        if (auto b = bufferOf.find(v); b != bufferOf.end() && b->second == slot) {
          ++e.inPlace;
          break;
        }
      bufferOf[call.getResult(0)] = slot;
    });
    // Views (slices, reshapes) of planned values share their buffer.
    e.buffers = (int64_t)buffers.size();
    if (e.calls)
      entries.push_back(e);
  });
}

std::string CompileReport::render() const {
  std::string why;
  std::string svg = dot.empty() ? "" : drawSvg(dot, why);
  std::string h;
  llvm::raw_string_ostream os(h);
  os << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>xfc report: "
     << escape(model) << "</title>\n<style>\n"
     << "body{font-family:Helvetica,Arial,sans-serif;margin:2em;color:#222;max-width:1400px}\n"
     << "table{border-collapse:collapse;margin:1em 0;font-size:13px}\n"
     << "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}\n"
     << "th{background:#f3f3f3} td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
     << "code{font-size:12px} .added{color:#1a7f37} .removed{color:#b3261e}\n"
     << "#graph{overflow:auto;border:1px solid #ddd;max-height:900px}\n"
     << "</style></head><body>\n";
  os << "<h1>xfc report: " << escape(model) << "</h1>\n";
  double pipelineMs = 0;
  for (const Stage &s : stages)
    pipelineMs += s.ms;
  os << "<p>Target <code>" << escape(codegenTarget) << "</code>. Pipeline "
     << llvm::formatv("{0:f1}", pipelineMs) << " ms, code generation (Halide kernels, host "
     << "program, link) " << llvm::formatv("{0:f1}", codegenMs) << " ms. " << kernels.size()
     << " kernels.</p>\n";

  os << "<h2 id=\"stages\">Pipeline stages</h2>\n<table><tr><th>#</th><th>stage</th>"
        "<th>what it does</th><th>ms</th><th>ops</th><th>what changed</th></tr>\n";
  int i = 1;
  for (const Stage &s : stages) {
    int64_t total = 0;
    for (const auto &[n, c] : s.after)
      total += c;
    std::vector<std::string> changes;
    std::set<std::string> names;
    for (const auto &[n, c] : s.before)
      names.insert(n);
    for (const auto &[n, c] : s.after)
      names.insert(n);
    for (const std::string &n : names) {
      int64_t b = s.before.count(n) ? s.before.at(n) : 0, a = s.after.count(n) ? s.after.at(n) : 0;
      if (a > b)
        changes.push_back(llvm::formatv("<span class=\"added\">+{0} {1}</span>", a - b, escape(n)));
      else if (a < b)
        changes.push_back(
            llvm::formatv("<span class=\"removed\">−{0} {1}</span>", b - a, escape(n)));
    }
    os << "<tr><td class=\"num\">" << i++ << "</td><td><code>" << escape(s.name)
       << "</code></td><td>" << escape(s.description) << "</td><td class=\"num\">"
       << llvm::formatv("{0:f1}", s.ms) << "</td><td class=\"num\">" << total << "</td><td>"
       << (changes.empty() ? "no change" : llvm::join(changes, ", ")) << "</td></tr>\n";
  }
  os << "</table>\n";

  os << "<h2 id=\"graph-section\">The graph after fusion</h2>\n";
  if (!svg.empty())
    os << "<p>Entry point <code>@" << escape(graphEntry) << "</code>, " << graphNodes
       << " ops (weights left out), each named by the checkpoint module it comes from; "
          "layers are boxes.</p>\n<div id=\"graph\">\n"
       << svg << "</div>\n";
  else
    os << "<p>No graph: " << escape(why.empty() ? "no entry point" : why) << ".</p>\n";

  os << "<h2 id=\"kernels\">Kernels</h2>\n<p>FLOPs and bytes per call at batch 1 and "
     << kNominalSeq
     << " tokens (dynamic sizes); bytes are the operands and the result, read or written "
        "once. For the time per call, run the executable with <code>--profile</code>.</p>\n"
     << "<table><tr><th>kernel</th><th>kind</th><th>operands → result</th><th>FLOPs/call</th>"
        "<th>bytes/call</th><th>calls</th><th>entry points</th><th>called from</th></tr>\n";
  std::vector<const Kernel *> sorted;
  for (const Kernel &k : kernels)
    sorted.push_back(&k);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Kernel *a, const Kernel *b) {
    return a->flops * (double)a->callers.size() > b->flops * (double)b->callers.size();
  });
  for (const Kernel *k : sorted) {
    std::vector<std::string> from;
    for (size_t c = 0; c < k->callers.size() && c < 4; ++c)
      from.push_back(escape(k->callers[c]));
    if (k->callers.size() > 4)
      from.push_back(llvm::formatv("… {0} more", k->callers.size() - 4).str());
    os << "<tr><td><code>@" << escape(k->name) << "</code></td><td>" << escape(k->kind)
       << "</td><td><code>" << escape(k->signature) << "</code></td><td class=\"num\">"
       << humanCount(k->flops, "FLOP") << "</td><td class=\"num\">" << humanCount(k->bytes, "B")
       << "</td><td class=\"num\">" << k->callers.size() << "</td><td>"
       << escape(llvm::join(k->entries, ", ")) << "</td><td>" << llvm::join(from, "<br>")
       << "</td></tr>\n";
  }
  os << "</table>\n";

  os << "<h2 id=\"memory\">Memory plan</h2>\n<p>Each kernel result is given an activation "
        "buffer that is reused once its value is dead; a pointwise kernel may write in place "
        "over an operand it reads last. The executable sizes the buffers at run time and keeps "
        "them across calls.</p>\n<table><tr><th>entry point</th><th>kernel calls</th>"
        "<th>buffers</th><th>written in place</th><th>unplanned results</th></tr>\n";
  for (const Entry &e : entries)
    os << "<tr><td><code>@" << escape(e.name) << "</code></td><td class=\"num\">" << e.calls
       << "</td><td class=\"num\">" << e.buffers << "</td><td class=\"num\">" << e.inPlace
       << "</td><td class=\"num\">" << e.unplanned << "</td></tr>\n";
  os << "</table>\n";

  os << "<h2 id=\"time\">Compile time</h2>\n<table><tr><th>step</th><th>ms</th></tr>\n";
  for (const Stage &s : stages)
    os << "<tr><td>" << escape(s.name) << "</td><td class=\"num\">"
       << llvm::formatv("{0:f1}", s.ms) << "</td></tr>\n";
  os << "<tr><td>code generation</td><td class=\"num\">" << llvm::formatv("{0:f1}", codegenMs)
     << "</td></tr>\n</table>\n</body></html>\n";

  return h;
}

} // namespace xf::report
