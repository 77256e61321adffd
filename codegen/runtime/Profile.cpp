//===- Profile.cpp - time per kernel, for --profile -------------*- C++ -*-===//
//
// The host program brackets every kernel call with KernelProfile::start and
// ::end; with profiling on, each call's wall time is added to its kernel's
// row (keyed by symbol: deduplicated layers share one). Kernels are called
// from the host thread only (each runs its own Halide thread pool), so the
// table needs no lock.
//
//===----------------------------------------------------------------------===//

#include "codegen/runtime/Runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace xfrt {

namespace {

struct Row {
  std::string function;  // the first kernel function seen with this symbol
  int64_t calls = 0;
  double seconds = 0;
};

bool on = false;
std::string phase = "run";
std::vector<std::string> phases; // in the order first seen
std::map<std::pair<std::string, std::string>, Row> &rows() { // (phase, symbol)
  static std::map<std::pair<std::string, std::string>, Row> table;
  return table;
}

double now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

/// "xfk_<kind>_<hash>" -> "<kind>".
std::string kindOf(const std::string &symbol) {
  std::string s = symbol.rfind("xfk_", 0) == 0 ? symbol.substr(4) : symbol;
  size_t underscore = s.rfind('_');
  return underscore == std::string::npos ? s : s.substr(0, underscore);
}

} // namespace

void KernelProfile::enable(bool enabled) { on = enabled; }
bool KernelProfile::enabled() { return on; }
void KernelProfile::setPhase(const char *name) { phase = name; }
double KernelProfile::start() { return on ? now() : 0.0; }

void KernelProfile::end(const char *symbol, const char *function, double start) {
  if (!on)
    return;
  if (std::find(phases.begin(), phases.end(), phase) == phases.end())
    phases.push_back(phase);
  Row &r = rows()[{phase, symbol}];
  if (r.function.empty())
    r.function = function;
  ++r.calls;
  r.seconds += now() - start;
}


void KernelProfile::print() {
  for (const std::string &p : phases)
    printPhase(p);
}

void KernelProfile::printPhase(const std::string &name) {
  std::vector<std::pair<std::string, Row>> sorted;
  for (const auto &[key, r] : rows())
    if (key.first == name)
      sorted.push_back({key.second, r});
  std::sort(sorted.begin(), sorted.end(),
            [](const auto &a, const auto &b) { return a.second.seconds > b.second.seconds; });
  double total = 0;
  int64_t calls = 0;
  std::map<std::string, std::pair<double, int64_t>> byKind;
  for (const auto &[symbol, r] : sorted) {
    total += r.seconds;
    calls += r.calls;
    auto &k = byKind[kindOf(symbol)];
    k.first += r.seconds;
    k.second += r.calls;
  }
  std::fprintf(stderr, "profile: %s: %lld kernel calls, %.3f ms in kernels\n", name.c_str(),
               (long long)calls, total * 1e3);
  std::fprintf(stderr, "profile: %8s %6s %10s %10s  %-16s %s\n", "ms", "%", "calls", "us/call",
               "kind", "kernel (first function)");
  for (const auto &[symbol, r] : sorted)
    std::fprintf(stderr, "profile: %8.3f %6.1f %10lld %10.1f  %-16s %s %s\n", r.seconds * 1e3,
                 total > 0 ? 100.0 * r.seconds / total : 0.0, (long long)r.calls,
                 r.calls ? r.seconds * 1e6 / (double)r.calls : 0.0, kindOf(symbol).c_str(),
                 symbol.c_str(), r.function.c_str());
  std::vector<std::pair<std::string, std::pair<double, int64_t>>> kinds(byKind.begin(),
                                                                        byKind.end());
  std::sort(kinds.begin(), kinds.end(),
            [](const auto &a, const auto &b) { return a.second.first > b.second.first; });
  for (const auto &[kind, k] : kinds)
    std::fprintf(stderr, "profile: by kind: %-16s %8.3f ms %6.1f %% %8lld calls\n", kind.c_str(),
                 k.first * 1e3, total > 0 ? 100.0 * k.first / total : 0.0, (long long)k.second);
}

} // namespace xfrt
