// A model checkpoint as xfc sees it: the set of named tensors of a Hugging
// Face style model, whether stored as one .safetensors file, as a folder
// holding model.safetensors or model.safetensors.index.json, or as a sharded
// checkpoint described by an index file whose "weight_map" maps each tensor
// name to a shard file next to the index. Opening validates every shard and
// the index against the shards, so later lookups cannot fail half-way.
// A path ending in .gguf opens a llama GGUF file (Gguf.h) and presents it in
// Hugging Face LlamaForCausalLM terms: HF tensor names, HF shapes (GGUF's
// innermost-first dims reversed), dtype F32 (values are dequantised by
// readAsF32), and q_proj/k_proj rows un-permuted from llama.cpp's rotary
// layout; ggufLlamaConfig gives the matching config.json object.
// Also offers readJsonFile for config.json. Nothing here throws.
#ifndef XF_FRONTEND_READERS_CHECKPOINT_H
#define XF_FRONTEND_READERS_CHECKPOINT_H

#include "frontend/readers/Gguf.h"
#include "frontend/readers/Safetensors.h"

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace xf::readers {

class Checkpoint {
public:
  // `path` is a .safetensors file, a model.safetensors.index.json file (any
  // name ending in .json is read as an index), a folder holding either
  // (model.safetensors is preferred when both are present), or a .gguf file
  // whose general.architecture is "llama".
  static std::unique_ptr<Checkpoint> open(const std::string &path, std::string &err);
  ~Checkpoint();

  const TensorInfo *find(std::string_view name) const; // searches all shards
  std::vector<std::string> names() const;              // all tensor names, sorted
  // The shard holding `name`, for raw access via SafetensorsFile::data;
  // nullptr for a GGUF checkpoint.
  const SafetensorsFile *fileOf(std::string_view name) const;
  // Converts tensor `name` (F32/F16/BF16/F64; for GGUF F32/F16/Q8_0/Q4_0,
  // with Q/K rows un-permuted) to float; `out` holds numel.
  bool readAsF32(std::string_view name, float *out, std::string &err) const; // err names the tensor
  const std::string &path() const { return path_; } // as opened, made absolute
  // The GGUF file behind this checkpoint; nullptr for safetensors.
  const GgufFile *gguf() const { return gguf_.get(); }

private:
  Checkpoint() = default;
  bool addShard(std::unique_ptr<SafetensorsFile> shard, std::string &err);
  bool openIndex(const std::string &indexPath, std::string &err);
  bool openGguf(const std::string &file, std::string &err);

  struct Entry {
    const SafetensorsFile *file;           // nullptr for GGUF tensors
    const TensorInfo *info;
    const GgufHfTensor *gguf = nullptr;    // GGUF tensors only
  };
  std::string path_;
  std::vector<std::unique_ptr<SafetensorsFile>> shards_;
  std::unique_ptr<GgufFile> gguf_;
  std::vector<GgufHfTensor> ggufView_;
  std::map<std::string, Entry, std::less<>> index_;
};

// The Hugging Face LlamaConfig of a GGUF checkpoint (see ggufLlamaConfig in
// Gguf.h); false + err if `ckpt` was not opened from a .gguf file or its
// metadata does not describe a supported llama model.
bool ggufLlamaConfig(const Checkpoint &ckpt, nlohmann::json &config, std::string &err);

// Reads and parses <dir>/config.json (or a given .json path) with
// nlohmann::json; false+err on missing/invalid file.
bool readJsonFile(const std::string &path, nlohmann::json &out, std::string &err);

} // namespace xf::readers

#endif // XF_FRONTEND_READERS_CHECKPOINT_H
