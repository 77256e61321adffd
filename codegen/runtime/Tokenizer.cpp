//===- Tokenizer.cpp - byte-level BPE, WordPiece, Unigram, bytes -*- C++ -*-===//
//
// Byte-level BPE as GPT-2 and Hugging Face's `tokenizers` define it:
//   1. added tokens (e.g. <|endoftext|>) are cut out of the text first;
//   2. the rest is pre-tokenized by GPT-2's pattern
//        's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   3. each piece's bytes become printable characters (bytes_to_unicode);
//   4. the adjacent pair with the lowest merge rank is merged until none is left;
//   5. each resulting symbol is looked up in the vocabulary.
// Decoding maps the characters back to bytes.
//
// \p{L} and \p{N} are exact for ASCII and Latin-1; above U+00FF a code point is
// a letter unless it is a space, in a punctuation or symbol block (general
// punctuation, currency, arrows and math, CJK punctuation, emoji) or a decimal
// digit of a common script. docs/text.md says so.
//
//===----------------------------------------------------------------------===//

#include "codegen/runtime/Tokenizer.h"
#include "codegen/runtime/Runtime.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unordered_map>

namespace xfrt {

namespace {

// ---- UTF-8 ------------------------------------------------------------------

/// The code points of `s`; an invalid byte stands for itself as U+FFFD's
/// stand-in (its value + 0x110000) so that every byte is kept.
std::vector<uint32_t> codepoints(const std::string &s, std::vector<size_t> *starts = nullptr) {
  std::vector<uint32_t> out;
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len > 0 && i + len <= n;
    uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
    for (int k = 1; ok && k < len; ++k) {
      unsigned char d = (unsigned char)s[i + k];
      ok = (d >> 6) == 2;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (starts)
      starts->push_back(i);
    if (!ok) {
      out.push_back(0x110000 + c);
      i += 1;
    } else {
      out.push_back(cp);
      i += len;
    }
  }
  if (starts)
    starts->push_back(n);
  return out;
}

void appendUtf8(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out += (char)cp;
  } else if (cp < 0x800) {
    out += (char)(0xc0 | (cp >> 6));
    out += (char)(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += (char)(0xe0 | (cp >> 12));
    out += (char)(0x80 | ((cp >> 6) & 0x3f));
    out += (char)(0x80 | (cp & 0x3f));
  } else {
    out += (char)(0xf0 | (cp >> 18));
    out += (char)(0x80 | ((cp >> 12) & 0x3f));
    out += (char)(0x80 | ((cp >> 6) & 0x3f));
    out += (char)(0x80 | (cp & 0x3f));
  }
}

/// Bytes at the end of `s` that begin a UTF-8 sequence not yet complete.
size_t incompleteTail(const std::string &s) {
  size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    unsigned char c = (unsigned char)s[n - back];
    if ((c >> 6) == 2)
      continue; // a continuation byte: look further back
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    return len > back ? back : 0;
  }
  return 0;
}

// ---- SentencePiece pieces ----------------------------------------------------

/// The byte piece of byte_fallback: "<0x41>" for 0x41.
std::string bytePieceName(unsigned char b) {
  char name[8];
  std::snprintf(name, sizeof(name), "<0x%02X>", b);
  return name;
}

/// Appends what a SentencePiece piece stands for: a byte piece's byte, else
/// its text with U+2581 as a space.
void appendPieceText(std::string &out, const std::string &piece) {
  if (piece.size() == 6 && piece.compare(0, 3, "<0x") == 0 && piece[5] == '>') {
    out += (char)std::stoi(piece.substr(3, 2), nullptr, 16);
    return;
  }
  for (uint32_t c : codepoints(piece)) {
    if (c == 0x2581)
      out += ' ';
    else if (c >= 0x110000)
      out += (char)(c - 0x110000);
    else
      appendUtf8(out, c);
  }
}

// ---- character classes of GPT-2's pattern ----------------------------------

bool isSpace(uint32_t c) {
  return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f) || c == 0x85 ||
         c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
         c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

bool isNumber(uint32_t c) {
  if (c < 0x100)
    return (c >= '0' && c <= '9') || c == 0xb2 || c == 0xb3 || c == 0xb9 ||
           (c >= 0xbc && c <= 0xbe);
  static const uint32_t digitBlocks[] = {0x0660, 0x06f0, 0x07c0, 0x0966, 0x09e6, 0x0a66,
                                         0x0ae6, 0x0b66, 0x0be6, 0x0c66, 0x0ce6, 0x0d66,
                                         0x0e50, 0x0ed0, 0x0f20, 0x1040, 0xff10};
  for (uint32_t b : digitBlocks)
    if (c >= b && c < b + 10)
      return true;
  return (c >= 0x2150 && c <= 0x2189) || (c >= 0x2460 && c <= 0x249b); // number forms
}

bool isLetter(uint32_t c) {
  if (c < 0x80)
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (c < 0x100)
    return c == 0xaa || c == 0xb5 || c == 0xba || (c >= 0xc0 && c != 0xd7 && c != 0xf7);
  if (c >= 0x110000 || isSpace(c) || isNumber(c))
    return false;
  bool symbol = (c >= 0x2000 && c <= 0x206f) || (c >= 0x20a0 && c <= 0x20cf) ||
                (c >= 0x2190 && c <= 0x2bff) || (c >= 0x3000 && c <= 0x303f) ||
                (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff01 && c <= 0xff0f) ||
                (c >= 0xff1a && c <= 0xff20) || (c >= 0x1f000 && c <= 0x1faff) ||
                (c >= 0xd800 && c <= 0xdfff);
  return !symbol;
}

/// GPT-2's pre-tokenizer: the [begin, end) code-point ranges of the pieces.
std::vector<std::pair<size_t, size_t>> gpt2Pieces(const std::vector<uint32_t> &cp) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t n = cp.size(), i = 0;
  auto other = [&](size_t k) { return !isSpace(cp[k]) && !isLetter(cp[k]) && !isNumber(cp[k]); };
  auto run = [&](size_t k, auto pred) {
    while (k < n && pred(k))
      ++k;
    return k;
  };
  while (i < n) {
    // 's 't 're 've 'm 'll 'd
    if (cp[i] == '\'' && i + 1 < n) {
      uint32_t a = cp[i + 1], b = i + 2 < n ? cp[i + 2] : 0;
      size_t len = (a == 's' || a == 't' || a == 'm' || a == 'd')                  ? 2
                   : ((a == 'r' || a == 'v') && b == 'e') || (a == 'l' && b == 'l') ? 3
                                                                                    : 0;
      if (len) {
        out.push_back({i, i + len});
        i += len;
        continue;
      }
    }
    size_t j = cp[i] == ' ' && i + 1 < n && !isSpace(cp[i + 1]) ? i + 1 : i;
    if (!isSpace(cp[j])) {
      size_t e = isLetter(cp[j])   ? run(j, [&](size_t k) { return isLetter(cp[k]); })
                 : isNumber(cp[j]) ? run(j, [&](size_t k) { return isNumber(cp[k]); })
                                   : run(j, other);
      out.push_back({i, e});
      i = e;
      continue;
    }
    // \s+(?!\S) then \s+
    size_t e = run(i, [&](size_t k) { return isSpace(cp[k]); });
    if (e < n && e - i > 1)
      --e; // leave the last space to the word after it
    out.push_back({i, e});
    i = e;
  }
  return out;
}

// ---- the tokenizers ---------------------------------------------------------

class ByteTokenizer : public Tokenizer {
public:
  explicit ByteTokenizer(int64_t vocab) : vocab(vocab) {}
  std::vector<int64_t> encode(const std::string &text) const override {
    std::vector<int64_t> ids;
    for (unsigned char c : text)
      ids.push_back(c);
    return ids;
  }
  std::string decode(const std::vector<int64_t> &ids) const override {
    std::string s;
    for (int64_t id : ids)
      if (id >= 0 && id < 256)
        s += (char)id;
    return s;
  }
  std::string describe() const override {
    return "bytes (no tokenizer.json; ids 0..255 are bytes, " + std::to_string(vocab - 256) +
           " special ids above)";
  }

private:
  int64_t vocab;
};

struct AddedToken {
  std::string content;
  int64_t id;
  bool special;
};

/// Cuts the added tokens out of `text` (the longest where two start at the
/// same place): their ids go to `ids`, the text between them to `chunk`.
template <typename Chunk>
void splitAtAdded(const std::string &text, const std::vector<AddedToken> &added,
                  std::vector<int64_t> &ids, Chunk chunk) {
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t at = std::string::npos;
    const AddedToken *hit = nullptr;
    for (const AddedToken &a : added) {
      size_t f = text.find(a.content, pos);
      if (f != std::string::npos &&
          (f < at || (f == at && a.content.size() > hit->content.size())))
        at = f, hit = &a;
    }
    chunk(text.substr(pos, hit ? at - pos : std::string::npos));
    if (!hit)
      return;
    ids.push_back(hit->id);
    pos = at + hit->content.size();
  }
}

/// The special-token ids a TemplateProcessing post-processor puts before and
/// after a single sequence ("[CLS] $A [SEP]", "$A </s>", "<s> $A").
void templateIds(const nlohmann::json &j, std::vector<int64_t> &before,
                 std::vector<int64_t> &after) {
  const auto &post = j.contains("post_processor") ? j["post_processor"] : nlohmann::json();
  if (!post.is_object() || post.value("type", "") != "TemplateProcessing")
    return;
  bool first = true;
  for (const auto &piece : post.at("single")) {
    if (piece.contains("Sequence")) {
      first = false;
      continue;
    }
    std::string name = piece.at("SpecialToken").at("id").get<std::string>();
    for (const auto &id : post.at("special_tokens").at(name).at("ids"))
      (first ? before : after).push_back(id.get<int64_t>());
  }
}

/// BPE over a ranked merge list, in two styles: byte-level (GPT-2: the
/// ByteLevel pre-tokenizer and bytes_to_unicode), or SentencePiece's (LLaMA-2:
/// no pre-tokenizer, the text prefixed with U+2581 and its spaces made U+2581,
/// merges over characters, a symbol missing from the vocabulary spelled as
/// <0xXX> byte pieces with byte_fallback).
class BpeTokenizer : public Tokenizer {
public:
  BpeTokenizer(const nlohmann::json &j, const std::string &file, int64_t vocabSize,
               bool byteLevel)
      : file(file), byteLevel(byteLevel) {
    // bytes_to_unicode: printable bytes stand for themselves, the others for
    // U+0100 upwards in byte order.
    int next = 0;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
      uint32_t cp = printable ? (uint32_t)b : 256 + next++;
      byteChar[b].clear();
      appendUtf8(byteChar[b], cp);
      charByte[cp] = (unsigned char)b;
    }
    const auto &model = j.at("model");
    for (auto it = model.at("vocab").begin(); it != model.at("vocab").end(); ++it) {
      int64_t id = it.value().get<int64_t>();
      check(id >= 0 && id < vocabSize, "vocabulary id " + std::to_string(id) + " of '" +
                                           it.key() + "' is outside the model's " +
                                           std::to_string(vocabSize) + " tokens");
      vocab[it.key()] = id;
      setToken(id, it.key());
    }
    int rank = 0;
    for (const auto &m : model.at("merges")) {
      std::string a, b;
      if (m.is_string()) {
        std::string s = m.get<std::string>();
        size_t sp = s.find(' ');
        check(sp != std::string::npos, "merge '" + s + "' is not two symbols");
        a = s.substr(0, sp), b = s.substr(sp + 1);
      } else {
        check(m.is_array() && m.size() == 2, "a merge is not a pair of symbols");
        a = m[0].get<std::string>(), b = m[1].get<std::string>();
      }
      ranks.emplace(a + ' ' + b, rank++);
    }
    if (model.contains("unk_token") && model["unk_token"].is_string()) {
      auto it = vocab.find(model["unk_token"].get<std::string>());
      if (it != vocab.end())
        unk = it->second;
    }
    if (j.contains("added_tokens") && j["added_tokens"].is_array())
      for (const auto &t : j["added_tokens"]) {
        AddedToken a{t.at("content").get<std::string>(), t.at("id").get<int64_t>(),
                     t.value("special", false)};
        check(a.id >= 0 && a.id < vocabSize && !a.content.empty(),
              "added token '" + a.content + "' has an id outside the model's vocabulary");
        added.push_back(a);
        setToken(a.id, a.content);
        if (a.special) {
          if ((int64_t)special.size() <= a.id)
            special.resize(a.id + 1, false);
          special[a.id] = true;
        }
      }
    addPrefixSpace = j.contains("pre_tokenizer") && j["pre_tokenizer"].is_object() &&
                     j["pre_tokenizer"].value("add_prefix_space", false);
    byteFallback = model.value("byte_fallback", false);
    templateIds(j, before, after);
  }

  std::vector<int64_t> encode(const std::string &text) const override {
    std::vector<int64_t> ids = before;
    splitAtAdded(text, added, ids, [&](const std::string &chunk) {
      byteLevel ? encodeChunk(chunk, ids) : encodeSentencePiece(chunk, ids);
    });
    ids.insert(ids.end(), after.begin(), after.end());
    return ids;
  }

  std::string decode(const std::vector<int64_t> &ids) const override {
    std::string out;
    for (int64_t id : ids) {
      if (id < 0 || id >= (int64_t)tokens.size() || (id < (int64_t)special.size() && special[id]))
        continue;
      bool isAdded = false;
      for (const AddedToken &a : added)
        if (a.id == id)
          isAdded = true;
      if (isAdded) {
        out += tokens[id];
        continue;
      }
      if (!byteLevel) { // SentencePiece style: <0xXX> is a byte, U+2581 a space
        appendPieceText(out, tokens[id]);
        continue;
      }
      for (uint32_t cp : codepoints(tokens[id])) {
        auto it = charByte.find(cp);
        if (it != charByte.end())
          out += (char)it->second;
      }
    }
    if (!byteLevel && !out.empty() && out[0] == ' ')
      out.erase(0, 1);
    return out;
  }

  std::string describe() const override {
    return std::string(byteLevel ? "byte-level BPE (" : "SentencePiece BPE (") + file + ", " + std::to_string(vocab.size()) + " tokens, " +
           std::to_string(ranks.size()) + " merges)";
  }

private:
  std::string file;
  std::string byteChar[256];
  std::unordered_map<uint32_t, unsigned char> charByte;
  std::unordered_map<std::string, int64_t> vocab;
  std::unordered_map<std::string, int> ranks;
  std::vector<std::string> tokens; // id -> symbol
  std::vector<bool> special;
  std::vector<AddedToken> added;
  int64_t unk = -1;
  bool addPrefixSpace = false, byteLevel = true, byteFallback = false;
  std::vector<int64_t> before, after;

  void encodeSentencePiece(const std::string &chunk, std::vector<int64_t> &ids) const {
    if (chunk.empty())
      return;
    std::string text = "\xe2\x96\x81"; // U+2581, then every space as U+2581
    for (char c : chunk)
      text += c == ' ' ? std::string("\xe2\x96\x81") : std::string(1, c);
    std::vector<size_t> starts;
    std::vector<uint32_t> cp = codepoints(text, &starts);
    std::vector<std::string> symbols;
    for (size_t k = 0; k < cp.size(); ++k)
      symbols.push_back(text.substr(starts[k], starts[k + 1] - starts[k]));
    merge(symbols);
    for (const std::string &sym : symbols) {
      auto it = vocab.find(sym);
      if (it != vocab.end()) {
        ids.push_back(it->second);
      } else if (byteFallback) {
        for (unsigned char b : sym) {
          auto p = vocab.find(bytePieceName(b));
          check(p != vocab.end(), "byte_fallback without the piece " + bytePieceName(b));
          ids.push_back(p->second);
        }
      } else if (unk >= 0) {
        ids.push_back(unk);
      } else {
        throw Error(file + ": the text has a symbol the vocabulary lacks and there is no "
                           "unk_token");
      }
    }
  }

  void check(bool ok, const std::string &what) const {
    if (!ok)
      throw Error(file + ": " + what);
  }
  void setToken(int64_t id, const std::string &s) {
    if ((int64_t)tokens.size() <= id)
      tokens.resize(id + 1);
    tokens[id] = s;
  }

  void encodeChunk(const std::string &chunkIn, std::vector<int64_t> &ids) const {
    if (chunkIn.empty())
      return;
    std::string chunk = addPrefixSpace && chunkIn[0] != ' ' ? " " + chunkIn : chunkIn;
    std::vector<size_t> starts;
    std::vector<uint32_t> cp = codepoints(chunk, &starts);
    for (auto [b, e] : gpt2Pieces(cp)) {
      std::vector<std::string> symbols;
      for (size_t k = starts[b]; k < starts[e]; ++k)
        symbols.push_back(byteChar[(unsigned char)chunk[k]]);
      merge(symbols);
      for (const std::string &s : symbols) {
        auto it = vocab.find(s);
        if (it != vocab.end())
          ids.push_back(it->second);
        else if (unk >= 0)
          ids.push_back(unk);
        else
          throw Error(file + ": the text has a symbol the vocabulary lacks and there is no "
                             "unk_token");
      }
    }
  }

  void merge(std::vector<std::string> &symbols) const {
    while (symbols.size() > 1) {
      int best = INT_MAX;
      size_t at = 0;
      for (size_t k = 0; k + 1 < symbols.size(); ++k) {
        auto it = ranks.find(symbols[k] + ' ' + symbols[k + 1]);
        if (it != ranks.end() && it->second < best)
          best = it->second, at = k;
      }
      if (best == INT_MAX)
        return;
      // Merge every occurrence of the best pair, left to right.
      std::string a = symbols[at], b = symbols[at + 1];
      std::vector<std::string> next;
      for (size_t k = 0; k < symbols.size(); ++k) {
        if (k + 1 < symbols.size() && symbols[k] == a && symbols[k + 1] == b) {
          next.push_back(a + b);
          ++k;
        } else {
          next.push_back(symbols[k]);
        }
      }
      symbols.swap(next);
    }
  }
};

/// BERT's tokenizer: BertNormalizer (clean text, CJK ideographs spaced,
/// accents stripped and lowercased: exact for ASCII and Latin-1, other code
/// points kept as they are), BertPreTokenizer (whitespace, and each
/// punctuation character on its own), WordPiece (longest vocabulary prefix
/// first, "##" on the pieces after the first; a word that cannot be covered
/// is [UNK]), and the TemplateProcessing post-processor ([CLS] $A [SEP]).
class WordPieceTokenizer : public Tokenizer {
public:
  WordPieceTokenizer(const nlohmann::json &j, const std::string &file, int64_t vocabSize)
      : file(file) {
    const auto &model = j.at("model");
    for (auto it = model.at("vocab").begin(); it != model.at("vocab").end(); ++it) {
      int64_t id = it.value().get<int64_t>();
      if (id < 0 || id >= vocabSize)
        throw Error(file + ": vocabulary id " + std::to_string(id) + " of '" + it.key() +
                    "' is outside the model's " + std::to_string(vocabSize) + " tokens");
      vocab[it.key()] = id;
      if ((int64_t)tokens.size() <= id)
        tokens.resize(id + 1);
      tokens[id] = it.key();
    }
    prefix = model.value("continuing_subword_prefix", "##");
    maxChars = model.value("max_input_chars_per_word", 100);
    auto unkIt = vocab.find(model.value("unk_token", "[UNK]"));
    if (unkIt == vocab.end())
      throw Error(file + ": the WordPiece unk_token is not in the vocabulary");
    unk = unkIt->second;
    const auto &norm = j.contains("normalizer") ? j["normalizer"] : nlohmann::json();
    if (norm.is_object()) {
      lowercase = norm.value("lowercase", true);
      stripAccents = norm.contains("strip_accents") && norm["strip_accents"].is_boolean()
                         ? norm["strip_accents"].get<bool>()
                         : lowercase;
      chinese = norm.value("handle_chinese_chars", true);
    } else {
      lowercase = stripAccents = chinese = false;
    }
    if (j.contains("added_tokens") && j["added_tokens"].is_array())
      for (const auto &t : j["added_tokens"]) {
        int64_t id = t.at("id").get<int64_t>();
        if (id < 0 || id >= vocabSize)
          throw Error(file + ": added token id " + std::to_string(id) + " is outside the vocabulary");
        added.push_back({t.at("content").get<std::string>(), id, t.value("special", false)});
        if (added.back().special)
          special.push_back(id);
      }
    templateIds(j, prefixIds, suffixIds);
  }

  std::vector<int64_t> encode(const std::string &text) const override {
    std::vector<int64_t> ids = prefixIds;
    splitAtAdded(text, added, ids, [&](const std::string &chunk) { encodeChunk(chunk, ids); });
    ids.insert(ids.end(), suffixIds.begin(), suffixIds.end());
    return ids;
  }

  std::string decode(const std::vector<int64_t> &ids) const override {
    std::string out;
    for (int64_t id : ids) {
      if (id < 0 || id >= (int64_t)tokens.size() ||
          std::find(special.begin(), special.end(), id) != special.end())
        continue;
      const std::string &t = tokens[id];
      if (t.compare(0, prefix.size(), prefix) == 0 && !out.empty())
        out += t.substr(prefix.size());
      else
        out += (out.empty() ? "" : " ") + t;
    }
    return out;
  }

  std::string describe() const override {
    return "WordPiece (" + file + ", " + std::to_string(vocab.size()) + " tokens)";
  }

private:
  std::string file, prefix;
  std::unordered_map<std::string, int64_t> vocab;
  std::vector<std::string> tokens;
  std::vector<AddedToken> added;
  std::vector<int64_t> special, prefixIds, suffixIds;
  int64_t unk = 0;
  int maxChars = 100;
  bool lowercase = true, stripAccents = true, chinese = true;

  static bool isControl(uint32_t c) {
    return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0x7f && c < 0xa0) ||
           c == 0xad || (c >= 0x200b && c <= 0x200f) || c == 0xfeff;
  }
  static bool isCjk(uint32_t c) {
    return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) ||
           (c >= 0x20000 && c <= 0x2a6df) || (c >= 0x2a700 && c <= 0x2ceaf) ||
           (c >= 0xf900 && c <= 0xfaff) || (c >= 0x2f800 && c <= 0x2fa1f);
  }
  static bool isPunct(uint32_t c) {
    if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
        (c >= 123 && c <= 126))
      return true;
    return c == 0xa1 || c == 0xa7 || c == 0xab || c == 0xb6 || c == 0xb7 || c == 0xbb ||
           c == 0xbf || (c >= 0x2010 && c <= 0x2027) || (c >= 0x2030 && c <= 0x205e) ||
           (c >= 0x3001 && c <= 0x3003) || (c >= 0x3008 && c <= 0x3011) ||
           (c >= 0xff01 && c <= 0xff0f && c != 0xff04 && c != 0xff0b);
  }
  /// Latin-1's letters without their accents (NFD, marks dropped).
  static uint32_t baseLetter(uint32_t c) {
    static const char *upper = "AAAAAA?CEEEEIIII?NOOOOO?OUUUUY??";  // U+00C0..U+00DF
    static const char *lower = "aaaaaa?ceeeeiiii?nooooo?ouuuuy?y"; // U+00E0..U+00FF
    if (c >= 0xc0 && c <= 0xdf && upper[c - 0xc0] != '?' && c != 0xd8)
      return (uint32_t)upper[c - 0xc0];
    if (c >= 0xe0 && c <= 0xff && lower[c - 0xe0] != '?' && c != 0xf8)
      return (uint32_t)lower[c - 0xe0];
    return c;
  }
  static uint32_t toLower(uint32_t c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 0xc0 && c <= 0xde && c != 0xd7))
      return c + 32;
    return c;
  }

  void encodeChunk(const std::string &chunk, std::vector<int64_t> &ids) const {
    std::vector<std::u32string> words;
    std::u32string word;
    auto flush = [&] {
      if (!word.empty())
        words.push_back(word), word.clear();
    };
    for (uint32_t c : codepoints(chunk)) {
      if (c == 0 || c == 0xfffd || c >= 0x110000 || isControl(c))
        continue;
      if (isSpace(c)) {
        flush();
        continue;
      }
      if (lowercase)
        c = toLower(c);
      if (stripAccents)
        c = baseLetter(c);
      if (isPunct(c) || (chinese && isCjk(c))) {
        flush();
        words.push_back(std::u32string(1, (char32_t)c));
        continue;
      }
      word += (char32_t)c;
    }
    flush();
    for (const std::u32string &w : words) {
      if ((int)w.size() > maxChars) {
        ids.push_back(unk);
        continue;
      }
      std::vector<int64_t> pieces;
      size_t start = 0;
      bool ok = true;
      while (start < w.size()) {
        int64_t found = -1;
        size_t end = w.size();
        for (; end > start; --end) {
          std::string piece = start ? prefix : "";
          for (size_t k = start; k < end; ++k)
            appendUtf8(piece, w[k]);
          auto it = vocab.find(piece);
          if (it != vocab.end()) {
            found = it->second;
            break;
          }
        }
        if (found < 0) {
          ok = false;
          break;
        }
        pieces.push_back(found);
        start = end;
      }
      if (ok)
        ids.insert(ids.end(), pieces.begin(), pieces.end());
      else
        ids.push_back(unk);
    }
  }
};

/// SentencePiece's Unigram model as Hugging Face's tokenizer.json holds it
/// (T5): the text split at whitespace, each word prefixed with U+2581 (the
/// Metaspace pre-tokenizer), then the segmentation into vocabulary pieces
/// with the highest total score (Viterbi); a character no piece covers is
/// <unk> (consecutive ones fused), or its UTF-8 bytes as <0xXX> pieces with
/// byte_fallback. The Precompiled normalizer is not applied (text already in
/// NFKC reads the same).
class UnigramTokenizer : public Tokenizer {
public:
  UnigramTokenizer(const nlohmann::json &j, const std::string &file, int64_t vocabSize)
      : file(file) {
    const auto &model = j.at("model");
    int64_t id = 0;
    for (const auto &entry : model.at("vocab")) {
      std::string piece = entry.at(0).get<std::string>();
      double score = entry.at(1).get<double>();
      if (id >= vocabSize)
        throw Error(file + ": the Unigram vocabulary has more than the model's " +
                    std::to_string(vocabSize) + " tokens");
      pieces.emplace(piece, std::make_pair(id, score));
      tokens.push_back(piece);
      minScore = std::min(minScore, score);
      maxLen = std::max(maxLen, codepoints(piece).size());
      ++id;
    }
    unk = model.value("unk_id", (int64_t)-1);
    byteFallback = model.value("byte_fallback", false);
    if (!byteFallback && (unk < 0 || unk >= id))
      throw Error(file + ": the Unigram model has no unk_id and no byte_fallback");
    templateIds(j, before, after);
    if (j.contains("added_tokens") && j["added_tokens"].is_array())
      for (const auto &t : j["added_tokens"])
        if (t.value("special", false))
          special.push_back(t.at("id").get<int64_t>());
  }

  std::vector<int64_t> encode(const std::string &text) const override {
    std::vector<int64_t> ids = before;
    std::vector<uint32_t> cp = codepoints(text);
    size_t i = 0;
    while (i < cp.size()) {
      while (i < cp.size() && isSpace(cp[i]))
        ++i;
      size_t e = i;
      while (e < cp.size() && !isSpace(cp[e]))
        ++e;
      if (e > i) {
        std::vector<uint32_t> word{0x2581};
        word.insert(word.end(), cp.begin() + i, cp.begin() + e);
        segment(word, ids);
      }
      i = e;
    }
    ids.insert(ids.end(), after.begin(), after.end());
    return ids;
  }

  std::string decode(const std::vector<int64_t> &ids) const override {
    std::string out;
    for (int64_t id : ids) {
      if (id < 0 || id >= (int64_t)tokens.size() ||
          std::find(special.begin(), special.end(), id) != special.end())
        continue;
      appendPieceText(out, tokens[id]);
    }
    return !out.empty() && out[0] == ' ' ? out.substr(1) : out;
  }

  std::string describe() const override {
    return "Unigram (" + file + ", " + std::to_string(tokens.size()) + " pieces)";
  }

private:
  std::string file;
  std::unordered_map<std::string, std::pair<int64_t, double>> pieces;
  std::vector<std::string> tokens;
  std::vector<int64_t> before, after, special;
  double minScore = 0.0;
  size_t maxLen = 1;
  int64_t unk = -1;
  bool byteFallback = false;

  void segment(const std::vector<uint32_t> &w, std::vector<int64_t> &ids) const {
    size_t n = w.size();
    const double kUnkPenalty = 10.0;
    std::vector<double> best(n + 1, -1e300);
    std::vector<size_t> from(n + 1, 0);
    std::vector<int64_t> via(n + 1, -1); // -1: an unknown character
    best[0] = 0.0;
    for (size_t end = 1; end <= n; ++end) {
      for (size_t len = 1; len <= std::min(maxLen, end); ++len) {
        size_t start = end - len;
        if (best[start] <= -1e300)
          continue;
        std::string piece;
        for (size_t k = start; k < end; ++k)
          appendUtf8(piece, w[k] >= 0x110000 ? 0xfffd : w[k]);
        auto it = pieces.find(piece);
        if (it == pieces.end())
          continue;
        double score = best[start] + it->second.second;
        if (score > best[end])
          best[end] = score, from[end] = start, via[end] = it->second.first;
      }
      // An unknown character, when nothing else reaches this position.
      if (best[end] <= -1e300 && best[end - 1] > -1e300)
        best[end] = best[end - 1] + minScore - kUnkPenalty, from[end] = end - 1, via[end] = -1;
    }
    std::vector<std::pair<size_t, int64_t>> path; // (start, id or -1)
    for (size_t end = n; end > 0; end = from[end])
      path.push_back({from[end], via[end]});
    bool lastUnk = false;
    for (auto it = path.rbegin(); it != path.rend(); ++it) {
      if (it->second >= 0) {
        ids.push_back(it->second);
        lastUnk = false;
        continue;
      }
      if (byteFallback) {
        std::string bytes;
        uint32_t c = w[it->first];
        if (c >= 0x110000)
          bytes += (char)(c - 0x110000);
        else
          appendUtf8(bytes, c);
        for (unsigned char b : bytes) {
          auto p = pieces.find(bytePieceName(b));
          if (p == pieces.end())
            throw Error(file + ": byte_fallback without the piece " + bytePieceName(b));
          ids.push_back(p->second.first);
        }
      } else if (!lastUnk) {
        ids.push_back(unk); // consecutive unknown characters are one <unk>
      }
      lastUnk = true;
    }
  }
};

bool isDirectory(const std::string &p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool isFile(const std::string &p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

} // namespace

std::unique_ptr<Tokenizer> Tokenizer::load(const std::string &path, int64_t vocabSize) {
  std::string file;
  if (isDirectory(path)) {
    file = path + "/tokenizer.json";
  } else if (path.size() >= 5 && path.substr(path.size() - 5) == ".json" &&
             path.find("index.json") == std::string::npos) {
    file = path;
  } else {
    size_t slash = path.rfind('/');
    file = (slash == std::string::npos ? std::string(".") : path.substr(0, slash)) +
           "/tokenizer.json";
  }
  if (!isFile(file)) {
    if (file != path && vocabSize >= 256)
      return std::make_unique<ByteTokenizer>(vocabSize);
    throw Error("no tokenizer: " + file + " does not exist, and a vocabulary of " +
                std::to_string(vocabSize) + " tokens cannot be read as bytes (--tokenizer "
                "names a tokenizer.json)");
  }
  std::ifstream in(file, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(buf.str());
    std::string type = j.at("model").value("type", "");
    if (type == "WordPiece")
      return std::make_unique<WordPieceTokenizer>(j, file, vocabSize);
    if (type == "Unigram")
      return std::make_unique<UnigramTokenizer>(j, file, vocabSize);
    if (type != "BPE")
      throw Error(file + ": a " + (type.empty() ? std::string("untyped") : type) +
                  " tokenizer; --prompt reads BPE, WordPiece and Unigram tokenizers");
    const auto &pre = j.contains("pre_tokenizer") ? j["pre_tokenizer"] : nlohmann::json();
    bool byteLevel = pre.is_object() && pre.value("type", "") == "ByteLevel";
    if (!byteLevel && !pre.is_null())
      throw Error(file + ": a BPE tokenizer with a " + pre.value("type", std::string("?")) +
                  " pre-tokenizer; --prompt reads byte-level BPE (ByteLevel) and "
                  "SentencePiece BPE (none)");
    return std::make_unique<BpeTokenizer>(j, file, vocabSize, byteLevel);
  } catch (const nlohmann::json::exception &e) {
    throw Error(file + ": not a tokenizer.json: " + e.what());
  }
}

std::string TextStream::push(int64_t id) {
  ids.push_back(id);
  text = tok.decode(ids);
  size_t ready = text.size() - incompleteTail(text);
  if (ready <= emitted)
    return "";
  std::string out = text.substr(emitted, ready - emitted);
  emitted = ready;
  return out;
}

std::string TextStream::finish() {
  std::string out = emitted < text.size() ? text.substr(emitted) : "";
  emitted = text.size();
  return out;
}

} // namespace xfrt
