//===- Tokenizer.h - text to token ids and back, for --prompt ---*- C++ -*-===//
//
// The tokenizers a compiled model's --prompt uses, read from the Hugging Face
// `tokenizer.json` beside the checkpoint:
//   - byte-level BPE (GPT-2 style: ByteLevel pre-tokenizer and decoder,
//     ranked merges, added tokens matched before the model runs), and
//     SentencePiece BPE (LLaMA-2: U+2581 for spaces, byte fallback);
//   - WordPiece (BERT: BertNormalizer, BertPreTokenizer, ## continuations,
//     [CLS] $A [SEP] from the TemplateProcessing post-processor);
//   - Unigram (SentencePiece's, as T5's tokenizer.json holds it: whitespace
//     split, U+2581 prefix, best-score segmentation, <unk> or byte fallback);
//   - bytes: a model folder with no tokenizer.json whose vocabulary holds
//     the 256 byte values reads text as its UTF-8 bytes (ids 0..255; ids
//     from 256 up are special and print as nothing).
// Other tokenizer.json models (WordLevel, ...) are refused by name.
//
//===----------------------------------------------------------------------===//

#ifndef XFC_CODEGEN_RUNTIME_TOKENIZER_H
#define XFC_CODEGEN_RUNTIME_TOKENIZER_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace xfrt {

class Tokenizer {
public:
  virtual ~Tokenizer() = default;
  /// `path`: a tokenizer.json, or a folder (or a file in a folder) that may
  /// hold one. Throws xfrt::Error naming the file and what is wrong.
  static std::unique_ptr<Tokenizer> load(const std::string &path, int64_t vocabSize);

  virtual std::vector<int64_t> encode(const std::string &text) const = 0;
  /// The bytes `ids` stand for; special tokens give nothing.
  virtual std::string decode(const std::vector<int64_t> &ids) const = 0;
  /// "byte-level BPE (tokenizer.json, 50257 tokens)", for messages.
  virtual std::string describe() const = 0;
};

/// Prints generated text as it grows: each push() decodes the ids so far and
/// returns the new bytes, holding back an incomplete UTF-8 sequence at the end.
class TextStream {
public:
  explicit TextStream(const Tokenizer &tok) : tok(tok) {}
  std::string push(int64_t id);
  /// What is still held back (an incomplete sequence at the end of the text).
  std::string finish();

private:
  const Tokenizer &tok;
  std::vector<int64_t> ids;
  size_t emitted = 0;
  std::string text;
};

} // namespace xfrt

#endif // XFC_CODEGEN_RUNTIME_TOKENIZER_H
