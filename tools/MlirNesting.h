// How deep brackets nest in `.mlir` text, checked before MLIR's parser sees
// it: the parser recurses once per nested bracket and overflows the stack on
// a few thousand (found by tests/fuzz). Used by xfc and the fuzz target.
#ifndef XF_TOOLS_MLIRNESTING_H
#define XF_TOOLS_MLIRNESTING_H

#include <cstddef>
#include <string_view>

namespace xf {

constexpr int kMaxMlirNesting = 512; // real modules nest a few deep

// The offset at which `text` first nests brackets deeper than kMaxMlirNesting,
// or npos if it never does.
inline size_t mlirNestingPastLimit(std::string_view text) {
  int depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    depth += (c == '[' || c == '{' || c == '(' || c == '<') -
             (c == ']' || c == '}' || c == ')' || c == '>');
    if (depth > kMaxMlirNesting)
      return i;
  }
  return std::string_view::npos;
}

} // namespace xf

#endif // XF_TOOLS_MLIRNESTING_H
