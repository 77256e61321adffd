// Implementation of Checkpoint and readJsonFile (see Checkpoint.h): resolves
// a weights path to one or more SafetensorsFile shards, cross-checks a sharded
// checkpoint's index against the shards it names, and builds one name index
// over all of them; or opens a .gguf file and indexes its Hugging Face view
// (llamaHfView). Compiled with exceptions on; nlohmann and filesystem
// exceptions are caught here and become one-sentence error messages.
#include "frontend/readers/Checkpoint.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <sys/stat.h>

namespace xf::readers {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string joinPath(const std::string &dir, const std::string &name) {
  if (dir.empty())
    return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

enum class Kind { Missing, File, Dir, Other };

Kind statKind(const std::string &path, int &errnum) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    errnum = errno;
    return Kind::Missing;
  }
  errnum = 0;
  return S_ISDIR(st.st_mode) ? Kind::Dir : S_ISREG(st.st_mode) ? Kind::File : Kind::Other;
}

std::string absolutePath(const std::string &path) {
  std::error_code ec;
  fs::path p = fs::absolute(fs::path(path), ec);
  if (ec)
    return path;
  std::string s = p.lexically_normal().string();
  if (s.size() > 1 && s.back() == '/')
    s.pop_back(); // lexically_normal keeps a trailing slash; drop it
  return s;
}

bool readWholeFile(const std::string &path, std::string &text, std::string &err) {
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) {
    err = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  text.clear();
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
    text.append(buf, n);
  bool bad = std::ferror(f);
  int errnum = errno;
  std::fclose(f);
  if (bad) {
    err = "cannot read " + path + ": " + std::strerror(errnum);
    return false;
  }
  return true;
}

} // namespace

bool readJsonFile(const std::string &path, json &out, std::string &err) {
  try {
    int errnum = 0;
    Kind kind = statKind(path, errnum);
    std::string file = kind == Kind::Dir ? joinPath(path, "config.json") : path;
    if (kind == Kind::Dir)
      kind = statKind(file, errnum);
    if (kind == Kind::Missing) {
      err = "cannot open " + file + ": " + std::strerror(errnum);
      return false;
    }
    if (kind != Kind::File) {
      err = "cannot read " + file + ": not a regular file";
      return false;
    }
    std::string text;
    if (!readWholeFile(file, text, err))
      return false;
    try {
      out = json::parse(text);
    } catch (const json::parse_error &e) {
      err = file + " is not valid JSON (syntax error at byte " + std::to_string(e.byte) + ")";
      return false;
    }
    return true;
  } catch (const std::exception &e) {
    err = "cannot read " + path + ": " + e.what();
    return false;
  }
}

bool Checkpoint::addShard(std::unique_ptr<SafetensorsFile> shard, std::string &err) {
  for (const TensorInfo &t : shard->tensors()) {
    auto [it, added] = index_.emplace(t.name, Entry{shard.get(), &t});
    if (!added) {
      err = "tensor '" + t.name + "' appears in both " + it->second.file->path() + " and " +
            shard->path();
      return false;
    }
  }
  shards_.push_back(std::move(shard));
  return true;
}

bool Checkpoint::openIndex(const std::string &indexPath, std::string &err) {
  json root;
  if (!readJsonFile(indexPath, root, err))
    return false;
  auto wm = root.is_object() ? root.find("weight_map") : root.end();
  if (!root.is_object() || wm == root.end() || !wm->is_object()) {
    err = indexPath + " has no \"weight_map\" object";
    return false;
  }
  if (wm->empty()) {
    err = indexPath + " has an empty \"weight_map\"";
    return false;
  }
  const std::string folder = fs::path(indexPath).parent_path().string();
  std::map<std::string, const SafetensorsFile *> byName; // shard name -> file
  for (auto it = wm->begin(); it != wm->end(); ++it) {
    if (!it->is_string()) {
      err = indexPath + ": \"weight_map\" entry for tensor '" + it.key() + "' is not a string";
      return false;
    }
    const std::string &shardName = it->get_ref<const std::string &>();
    if (shardName.empty() || shardName.front() == '/') {
      err = indexPath + ": tensor '" + it.key() + "' is mapped to '" + shardName +
            "', which is not a file name relative to the index's folder";
      return false;
    }
    if (byName.count(shardName))
      continue;
    const std::string shardPath = joinPath(folder, shardName);
    int errnum = 0;
    if (statKind(shardPath, errnum) == Kind::Missing) {
      err = "shard " + shardPath + " listed in " + indexPath +
            " cannot be opened: " + std::strerror(errnum);
      return false;
    }
    std::unique_ptr<SafetensorsFile> shard = SafetensorsFile::open(shardPath, err);
    if (!shard)
      return false;
    byName[shardName] = shard.get();
    if (!addShard(std::move(shard), err))
      return false;
  }
  for (auto it = wm->begin(); it != wm->end(); ++it) {
    const SafetensorsFile *shard = byName[it->get_ref<const std::string &>()];
    if (!shard->find(it.key())) {
      err = indexPath + " maps tensor '" + it.key() + "' to " + shard->path() +
            ", which does not contain it";
      return false;
    }
  }
  return true;
}

Checkpoint::~Checkpoint() = default;

bool Checkpoint::openGguf(const std::string &file, std::string &err) {
  std::unique_ptr<GgufFile> g = GgufFile::open(file, err);
  if (!g || !llamaHfView(*g, ggufView_, err))
    return false;
  for (const GgufHfTensor &t : ggufView_) {
    auto [it, added] = index_.emplace(t.info.name, Entry{nullptr, &t.info, &t});
    if (!added) {
      err = file + ": two tensors are named '" + t.info.name + "' in Hugging Face terms";
      return false;
    }
  }
  gguf_ = std::move(g);
  return true;
}

std::unique_ptr<Checkpoint> Checkpoint::open(const std::string &path, std::string &err) {
  try {
    std::unique_ptr<Checkpoint> ck(new Checkpoint());
    ck->path_ = absolutePath(path);
    int errnum = 0;
    Kind kind = statKind(path, errnum);
    if (kind == Kind::Missing) {
      err = "cannot open " + path + ": " + std::strerror(errnum);
      return nullptr;
    }
    std::string file = path;
    if (kind == Kind::Dir) {
      const std::string single = joinPath(path, "model.safetensors");
      const std::string index = joinPath(path, "model.safetensors.index.json");
      if (statKind(single, errnum) != Kind::Missing)
        file = single;
      else if (statKind(index, errnum) != Kind::Missing)
        file = index;
      else {
        err = "no model.safetensors or model.safetensors.index.json in " + path;
        return nullptr;
      }
    }
    if (endsWith(file, ".json")) {
      if (!ck->openIndex(file, err))
        return nullptr;
    } else if (endsWith(file, ".gguf")) {
      if (!ck->openGguf(file, err))
        return nullptr;
    } else {
      std::unique_ptr<SafetensorsFile> f = SafetensorsFile::open(file, err);
      if (!f || !ck->addShard(std::move(f), err))
        return nullptr;
    }
    return ck;
  } catch (const std::exception &e) {
    err = "cannot open " + path + ": " + e.what();
    return nullptr;
  }
}

const TensorInfo *Checkpoint::find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second.info;
}

const SafetensorsFile *Checkpoint::fileOf(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second.file;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> r;
  r.reserve(index_.size());
  for (const auto &kv : index_)
    r.push_back(kv.first);
  return r;
}

bool Checkpoint::readAsF32(std::string_view name, float *out, std::string &err) const {
  auto it = index_.find(name);
  if (it == index_.end()) {
    err = "no tensor '" + std::string(name) + "' in " + path_;
    return false;
  }
  const Entry &e = it->second;
  if (!e.gguf)
    return e.file->readAsF32(*e.info, out, err);
  if (!gguf_->readAsF32(*e.gguf->source, out, err))
    return false;
  if (e.gguf->unpermuteHeads &&
      !ggufUnpermuteRows(out, uint64_t(e.info->shape[0]), uint64_t(e.info->shape[1]),
                         e.gguf->unpermuteHeads)) {
    err = "tensor '" + e.info->name + "' in " + path_ +
          ": cannot undo the rotary row permutation (out of memory?)";
    return false;
  }
  return true;
}

bool ggufLlamaConfig(const Checkpoint &ckpt, nlohmann::json &config, std::string &err) {
  if (!ckpt.gguf()) {
    err = ckpt.path() + " is not a GGUF file";
    return false;
  }
  return ggufLlamaConfig(*ckpt.gguf(), config, err);
}

} // namespace xf::readers
