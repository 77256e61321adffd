// A model checkpoint as xfc sees it: the set of named tensors of a Hugging
// Face style model, whether stored as one .safetensors file, as a folder
// holding model.safetensors or model.safetensors.index.json, or as a sharded
// checkpoint described by an index file whose "weight_map" maps each tensor
// name to a shard file next to the index. Opening validates every shard and
// the index against the shards, so later lookups cannot fail half-way.
// Also offers readJsonFile for config.json. Nothing here throws.
#ifndef XF_FRONTEND_READERS_CHECKPOINT_H
#define XF_FRONTEND_READERS_CHECKPOINT_H

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
  // name ending in .json is read as an index), or a folder holding either
  // (model.safetensors is preferred when both are present).
  static std::unique_ptr<Checkpoint> open(const std::string &path, std::string &err);

  const TensorInfo *find(std::string_view name) const; // searches all shards
  std::vector<std::string> names() const;              // all tensor names, sorted
  // The shard holding `name`, for raw access via SafetensorsFile::data.
  const SafetensorsFile *fileOf(std::string_view name) const;
  // Converts tensor `name` (F32/F16/BF16/F64) to float; `out` holds numel.
  bool readAsF32(std::string_view name, float *out, std::string &err) const; // err names the tensor
  const std::string &path() const { return path_; } // as opened, made absolute

private:
  Checkpoint() = default;
  bool addShard(std::unique_ptr<SafetensorsFile> shard, std::string &err);
  bool openIndex(const std::string &indexPath, std::string &err);

  struct Entry {
    const SafetensorsFile *file;
    const TensorInfo *info;
  };
  std::string path_;
  std::vector<std::unique_ptr<SafetensorsFile>> shards_;
  std::map<std::string, Entry, std::less<>> index_;
};

// Reads and parses <dir>/config.json (or a given .json path) with
// nlohmann::json; false+err on missing/invalid file.
bool readJsonFile(const std::string &path, nlohmann::json &out, std::string &err);

} // namespace xf::readers

#endif // XF_FRONTEND_READERS_CHECKPOINT_H
