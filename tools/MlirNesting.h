// How deep brackets nest in `.mlir` text, checked before MLIR's parser sees
// it: the parser recurses once per nested bracket and overflows the stack on
// a few thousand (found by tests/fuzz). Used by xfc, xf-opt, xf-check-passes
// and the fuzz target.
#ifndef XF_TOOLS_MLIRNESTING_H
#define XF_TOOLS_MLIRNESTING_H

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace mlir::xf {

constexpr int kMaxMlirNesting = 512; // real modules nest a few deep

// The offset at which `text` first nests brackets deeper than kMaxMlirNesting,
// or npos if it never does. A closer only closes the bracket it matches, the
// `>` of an arrow (`->`, as in function types and affine maps) closes
// nothing, and string literals and `//` comments are skipped, so no text can
// lower the count without closing what the parser has opened.
inline size_t mlirNestingPastLimit(std::string_view text) {
  char closers[kMaxMlirNesting]; // what closes each open bracket
  int depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') { // to the closing quote, over escapes
      for (++i; i < text.size() && text[i] != '"'; ++i)
        i += text[i] == '\\';
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i < text.size() && text[i] != '\n')
        ++i;
    } else if (c == '(' || c == '[' || c == '{' || c == '<') {
      if (depth == kMaxMlirNesting)
        return i;
      closers[depth++] = c == '(' ? ')' : c == '[' ? ']' : c == '{' ? '}' : '>';
    } else if (depth > 0 && c == closers[depth - 1] && !(c == '>' && i > 0 && text[i - 1] == '-')) {
      --depth;
    }
  }
  return std::string_view::npos;
}

// If `file` nests too deep, prints "<file>:<line>:<col>: error: brackets nest
// more than 512 deep" at the first bracket past the limit and returns true.
inline bool reportMlirNestingPastLimit(const llvm::MemoryBuffer &file) {
  llvm::StringRef text = file.getBuffer();
  size_t at = mlirNestingPastLimit(std::string_view(text.data(), text.size()));
  if (at == std::string_view::npos)
    return false;
  llvm::SourceMgr sm;
  sm.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBuffer(text, file.getBufferIdentifier(), false),
                        llvm::SMLoc());
  sm.PrintMessage(llvm::SMLoc::getFromPointer(text.data() + at), llvm::SourceMgr::DK_Error,
                  "brackets nest more than " + std::to_string(kMaxMlirNesting) + " deep");
  return true;
}

} // namespace mlir::xf

#endif // XF_TOOLS_MLIRNESTING_H
