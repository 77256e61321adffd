// Reader for GGUF (versions 2 and 3), the single-file model format of ggml
// and llama.cpp (spec: ggml's docs/gguf.md). Layout, all little-endian:
//
//   "GGUF"  u32 version  u64 tensor_count  u64 metadata_kv_count
//   metadata_kv_count x { string key, u32 value_type, value }
//   tensor_count      x { string name, u32 n_dims, u64 ne[n_dims],
//                         u32 ggml_type, u64 offset }
//   zero padding up to a multiple of general.alignment (default 32)
//   tensor data; each tensor at data start + offset (a multiple of the alignment)
//
// where a string is { u64 length, bytes } and an array value is
// { u32 element type, u64 count, elements } (arrays may nest). Dimensions
// are listed innermost first: ne[0] is the contiguous one, so a tensor with
// ne = [in, out] is the row-major [out, in] matrix of PyTorch.
//
// GgufFile memory-maps a file read-only and validates all of it at open:
// every length, count and offset is checked against the file size (and for
// overflow) before anything is allocated or dereferenced, every metadata
// value is walked, and every tensor's byte range must lie inside the file and
// match its type and dimensions. Tensor types F32, F16, Q8_0 and Q4_0 are
// supported; others are rejected at open with a message naming the tensor.
// Nothing here throws, so this header may be included from code built with
// -fno-exceptions; failures are false/nullptr plus one sentence.
//
// Also here: the mapping from llama.cpp's tensor names to Hugging Face
// LlamaForCausalLM names, the inverse of llama.cpp's rotary row permutation
// of q_proj/k_proj, and an HF LlamaConfig synthesised from llama metadata;
// Checkpoint (Checkpoint.h) builds its HF view of a .gguf file from them.
#ifndef XF_FRONTEND_READERS_GGUF_H
#define XF_FRONTEND_READERS_GGUF_H

#include "frontend/readers/Safetensors.h"

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace xf::readers {

// Metadata value types, numbered as in the file.
enum class GgufValueType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
};
// "u8", "i32", "f32", "bool", "string", "array", ...; "?" for others.
const char *ggufValueTypeName(GgufValueType);

// The ggml tensor types this reader accepts, numbered as in the file.
enum class GgmlType : uint32_t { F32 = 0, F16 = 1, Q4_0 = 2, Q8_0 = 8 };
// ggml's name for any ggml type id ("F32", "Q4_K", "BF16", ...); nullptr if
// the id is not a ggml type.
const char *ggmlTypeName(uint32_t type);

// Block layouts (32 elements per block along ne[0], little-endian):
//   Q8_0: f16 scale d, 32 x int8 q;             element j = d * q[j]
//   Q4_0: f16 scale d, 16 bytes b;   element j = d * ((b[j] & 15) - 8) and
//         element j + 16 = d * ((b[j] >> 4) - 8), for j = 0..15
constexpr uint64_t kGgmlBlockElems = 32;
constexpr uint64_t kQ8_0BlockBytes = 34;
constexpr uint64_t kQ4_0BlockBytes = 18;

// One metadata value, as a location in the mapped file (validated at open).
struct GgufValue {
  GgufValueType type = GgufValueType::U8;
  uint64_t offset = 0; // file offset of the encoded value (a string's length,
                       // an array's element-type field, a scalar's bytes)
  uint64_t bytes = 0;  // encoded size
  GgufValueType elemType = GgufValueType::U8; // arrays only
  uint64_t count = 0;                         // arrays only: element count
};

struct GgufKeyValue {
  std::string key;
  GgufValue value;
};

struct GgufTensor {
  std::string name;
  GgmlType type = GgmlType::F32;
  std::vector<uint64_t> dims; // ne[0] (innermost) first; at most 4 entries
  uint64_t offset = 0;        // from the start of the data section
  uint64_t nbytes = 0;        // bytes of data, as implied by type and dims
  uint64_t numel = 1;         // product of dims
};

class GgufFile {
public:
  // mmaps `path` read-only and validates it; err starts with the path.
  static std::unique_ptr<GgufFile> open(const std::string &path, std::string &err);
  // Validates an image in memory, which must outlive the result (tests,
  // fuzzing); err is the reason alone.
  static std::unique_ptr<GgufFile> fromMemory(const uint8_t *bytes, size_t size,
                                              std::string &err);
  ~GgufFile(); // munmap
  GgufFile(const GgufFile &) = delete;
  GgufFile &operator=(const GgufFile &) = delete;

  const std::string &path() const { return path_; } // "" from fromMemory
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t dataStart() const { return dataStart_; } // file offset, aligned

  const std::vector<GgufKeyValue> &metadata() const { return kvs_; } // file order
  const GgufValue *findMeta(std::string_view key) const;             // nullptr if absent
  const std::vector<GgufTensor> &tensors() const { return tensors_; } // file order
  const GgufTensor *findTensor(std::string_view name) const;         // nullptr if absent

  // Typed reads of a key: false if it is absent or of another kind.
  // getUInt: any integer type holding a value >= 0; getInt: any integer type
  // holding a value that fits int64; getFloat: F32, F64 or an integer type.
  bool getUInt(std::string_view key, uint64_t &out) const;
  bool getInt(std::string_view key, int64_t &out) const;
  bool getFloat(std::string_view key, double &out) const;
  bool getBool(std::string_view key, bool &out) const;
  bool getString(std::string_view key, std::string &out) const;
  // An array's element type and length.
  bool getArrayInfo(std::string_view key, GgufValueType &elemType, uint64_t &count) const;
  // An array of strings, copied.
  bool getStringArray(std::string_view key, std::vector<std::string> &out) const;

  // The same reads on a value (a key's value or an array element).
  bool toUInt(const GgufValue &v, uint64_t &out) const;
  bool toInt(const GgufValue &v, int64_t &out) const;
  bool toFloat(const GgufValue &v, double &out) const;
  bool toBool(const GgufValue &v, bool &out) const;
  bool toString(const GgufValue &v, std::string &out) const;
  // Element `index` of array `array` (O(1) for fixed-size elements, a walk
  // over the earlier elements for strings and arrays); false if out of range.
  bool arrayElement(const GgufValue &array, uint64_t index, GgufValue &out) const;

  // The tensor's bytes (little-endian, unaligned in general); nullptr if `t`
  // does not describe bytes inside this file.
  const uint8_t *data(const GgufTensor &t) const;
  // Converts (dequantises) to float in file order, ne[0] fastest; `out` must
  // hold t.numel floats. err names the tensor.
  bool readAsF32(const GgufTensor &t, float *out, std::string &err) const;

private:
  GgufFile() = default;
  bool parse(std::string &err);

  std::string path_;
  const uint8_t *map_ = nullptr;
  size_t size_ = 0;
  bool owned_ = false; // map_ is our mmap
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t dataStart_ = 0;
  std::vector<GgufKeyValue> kvs_;
  std::map<std::string, size_t, std::less<>> kvIndex_;
  std::vector<GgufTensor> tensors_;
  std::map<std::string, size_t, std::less<>> tensorIndex_;
};

// The Hugging Face LlamaForCausalLM name of a llama.cpp tensor name:
//   token_embd.weight       -> model.embed_tokens.weight
//   output_norm.weight      -> model.norm.weight
//   output.weight           -> lm_head.weight
//   blk.N.attn_q.weight     -> model.layers.N.self_attn.q_proj.weight
//   (attn_k, attn_v, attn_output -> k_proj, v_proj, o_proj; ffn_gate, ffn_up,
//    ffn_down -> mlp.gate_proj, mlp.up_proj, mlp.down_proj; attn_norm ->
//    input_layernorm; ffn_norm -> post_attention_layernorm)
// false (hf untouched) for any other name, e.g. rope_freqs.weight.
bool llamaHfName(std::string_view ggufName, std::string &hf);

// Undoes llama.cpp's rotary permutation of q_proj / k_proj rows in place.
// The converter stores HF's [rows, cols] weight W as
//   W.reshape(nHead, 2, rows / nHead / 2, cols).swapaxes(1, 2).reshape(rows, cols)
// (nHead = attention.head_count for Q, attention.head_count_kv for K): within
// each head of hd = rows / nHead rows, GGUF row 2*i + s holds HF row
// s * hd/2 + i. false if rows is not a multiple of 2 * nHead.
bool ggufUnpermuteRows(float *data, uint64_t rows, uint64_t cols, uint64_t nHead);

// One tensor of a llama GGUF as Hugging Face LlamaForCausalLM sees it.
struct GgufHfTensor {
  TensorInfo info;                  // HF name, HF shape (dims reversed), dtype F32;
                                    // begin/end: the GGUF bytes in the data section
  const GgufTensor *source = nullptr; // the tensor in the GgufFile
  uint64_t unpermuteHeads = 0;      // > 0: q/k_proj rows to un-permute with that many heads
};
// The HF view of every tensor of a llama GGUF (general.architecture
// "llama"): names mapped with llamaHfName, q_proj/k_proj marked for
// un-permutation with llama.attention.head_count / head_count_kv (which
// defaults to head_count). Fails, naming the tensor, on a tensor without an
// HF counterpart (rope_freqs.weight, MoE tensors, biases, ...) and on Q/K
// weights whose rows are not a multiple of 2 x heads.
bool llamaHfView(const GgufFile &file, std::vector<GgufHfTensor> &out, std::string &err);

// A Hugging Face LlamaConfig (config.json as an object) built from a llama
// GGUF's metadata: general.architecture must be "llama"; llama.block_count,
// embedding_length, feed_forward_length, attention.head_count, context_length
// and attention.layer_norm_rms_epsilon are required; head_count_kv defaults
// to head_count, rope.freq_base to 10000; attention.key_length gives head_dim;
// vocab_size comes from token_embd.weight (else llama.vocab_size, else the
// length of tokenizer.ggml.tokens); tie_word_embeddings is true when there is
// no output.weight; bos/eos from tokenizer.ggml.{bos,eos}_token_id (else
// null). Rope scaling other than none, partial rotary, experts and per-layer
// (array) hyper-parameters are rejected with a message naming the key.
bool ggufLlamaConfig(const GgufFile &file, nlohmann::json &config, std::string &err);

} // namespace xf::readers

#endif // XF_FRONTEND_READERS_GGUF_H
