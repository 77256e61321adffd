// Reader for the safetensors checkpoint format: an 8-byte little-endian
// header length, a JSON header mapping tensor names to dtype, shape and byte
// range, then the raw little-endian tensor data. parseSafetensors validates a
// whole file image with bounds checks on every field (it is meant to survive
// hostile input and fuzzing); SafetensorsFile memory-maps a file read-only and
// hands out pointers to, or float copies of, its tensors. Nothing here throws,
// so this header may be included from code built with -fno-exceptions; all
// failures are reported as false/nullptr plus a one-sentence message.
#ifndef XF_FRONTEND_READERS_SAFETENSORS_H
#define XF_FRONTEND_READERS_SAFETENSORS_H

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace xf::readers {

enum class DType { F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL };

// The safetensors spelling of the dtype, e.g. "BF16".
const char *dtypeName(DType);
// Bytes per element.
size_t dtypeSize(DType);

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0; // byte offsets into the data section
  int64_t numel() const;       // product of shape (1 for a scalar)
};

// Parses a complete file image (header length u64 little-endian, JSON header,
// data). On success fills `out` (sorted by data offset, then name) and
// `dataStart` (file offset of the data section, 8 + header length). On error
// returns false and sets `err` to one sentence naming the tensor/field.
bool parseSafetensors(const uint8_t *bytes, size_t size, std::vector<TensorInfo> &out,
                      uint64_t &dataStart, std::string &err);

class SafetensorsFile {
public:
  // mmaps the file read-only (never modifies it); errors: missing file,
  // unreadable, truncated, bad header. err starts with the path.
  static std::unique_ptr<SafetensorsFile> open(const std::string &path, std::string &err);
  ~SafetensorsFile(); // munmap
  SafetensorsFile(const SafetensorsFile &) = delete;
  SafetensorsFile &operator=(const SafetensorsFile &) = delete;

  const std::string &path() const { return path_; }
  const std::vector<TensorInfo> &tensors() const { return tensors_; }
  const TensorInfo *find(std::string_view name) const; // nullptr if absent
  // Pointer to the tensor's bytes (little-endian, unaligned in general);
  // nullptr if `t` does not lie inside this file's data section.
  const uint8_t *data(const TensorInfo &t) const;
  // Converts F32/F16/BF16/F64 to float (element order unchanged); `out` must
  // hold t.numel() floats. false + err for other dtypes.
  bool readAsF32(const TensorInfo &t, float *out, std::string &err) const;

private:
  SafetensorsFile() = default;
  std::string path_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> index_; // name -> tensors_ slot
  const uint8_t *map_ = nullptr;
  size_t mapSize_ = 0;
  uint64_t dataStart_ = 0;
};

} // namespace xf::readers

#endif // XF_FRONTEND_READERS_SAFETENSORS_H
