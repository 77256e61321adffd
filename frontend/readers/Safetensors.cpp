// Implementation of the safetensors reader declared in Safetensors.h. The JSON
// header is parsed with nlohmann::json inside this file only (compiled with
// exceptions on); every nlohmann or allocation exception is caught here and
// turned into an error string, so callers never see one. All offsets, sizes
// and element counts read from the file are checked against the file size
// and for integer overflow before any pointer into the data is formed.
#include "frontend/readers/Safetensors.h"

#include "frontend/readers/HalfFloat.h"
#include "frontend/readers/ReaderSupport.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <tuple>


static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the safetensors reader copies little-endian data directly");

namespace xf::readers {
namespace {

using nlohmann::json;

constexpr uint64_t kMaxHeaderBytes = 100ull << 20; // 100 MiB, as upstream
constexpr int kMaxJsonDepth = 64;                  // a valid header nests 3 deep

struct DTypeEntry {
  DType dtype;
  const char *name;
  size_t size;
};
constexpr DTypeEntry kDTypes[] = {
    {DType::F32, "F32", 4},   {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2},
    {DType::F64, "F64", 8},   {DType::I64, "I64", 8}, {DType::I32, "I32", 4},
    {DType::I16, "I16", 2},   {DType::I8, "I8", 1},   {DType::U8, "U8", 1},
    {DType::BOOL, "BOOL", 1},
};

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string r = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    r += (i ? ", " : "") + std::to_string(shape[i]);
  return r + "]";
}

std::string rangeText(uint64_t b, uint64_t e) {
  return "[" + std::to_string(b) + ", " + std::to_string(e) + "]";
}

// Rejects headers that nest arrays/objects absurdly deep before they reach
// the JSON parser, so hostile input cannot make it build huge structures.
bool nestingOk(std::string_view text) {
  int depth = 0;
  bool inString = false, escaped = false;
  for (char c : text) {
    if (inString) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth)
        return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

// Reads a non-negative JSON integer; false for negatives, floats, others.
bool asUnsigned(const json &v, uint64_t &out) {
  return v.is_number_unsigned() && (out = v.get<uint64_t>(), true);
}

bool parseTensor(const std::string &name, const json &entry, uint64_t dataSize, TensorInfo &t,
                 std::string &err) {
  const std::string what = "tensor " + quoteName(name) + ": ";
  auto fail = [&](const std::string &msg) {
    err = what + msg;
    return false;
  };
  t.name = name;
  if (!entry.is_object())
    return fail("entry is not a JSON object");
  auto dt = entry.find("dtype");
  if (dt == entry.end())
    return fail("missing 'dtype'");
  if (!dt->is_string())
    return fail("'dtype' is not a string");
  const std::string &dname = dt->get_ref<const std::string &>();
  const DTypeEntry *de = nullptr;
  for (const DTypeEntry &e : kDTypes)
    if (dname == e.name)
      de = &e;
  if (!de)
    return fail("unknown dtype " + quoteName(dname));
  t.dtype = de->dtype;

  auto sh = entry.find("shape");
  if (sh == entry.end())
    return fail("missing 'shape'");
  if (!sh->is_array())
    return fail("'shape' is not an array");
  uint64_t numel = 1;
  bool overflow = false;
  for (size_t i = 0; i < sh->size(); ++i) {
    const json &d = (*sh)[i];
    uint64_t u = 0;
    if (!asUnsigned(d, u))
      return fail("shape dimension " + std::to_string(i) +
                  (d.is_number_integer() ? " is negative (" + std::to_string(d.get<int64_t>()) + ")"
                                         : std::string(" is not an integer")));
    if (u > uint64_t(std::numeric_limits<int64_t>::max()))
      return fail("shape dimension " + std::to_string(i) + " (" + std::to_string(u) +
                  ") is too large");
    t.shape.push_back(int64_t(u));
    overflow |= __builtin_mul_overflow(numel, u, &numel);
  }
  uint64_t nbytes = 0;
  if (overflow || numel > uint64_t(std::numeric_limits<int64_t>::max()) ||
      __builtin_mul_overflow(numel, uint64_t(de->size), &nbytes))
    return fail("shape " + shapeText(t.shape) + " has too many elements");

  auto off = entry.find("data_offsets");
  if (off == entry.end())
    return fail("missing 'data_offsets'");
  if (!off->is_array() || off->size() != 2 || !asUnsigned((*off)[0], t.begin) ||
      !asUnsigned((*off)[1], t.end))
    return fail("'data_offsets' is not an array of two non-negative integers");
  if (t.begin > t.end)
    return fail("data_offsets " + rangeText(t.begin, t.end) + " end before they begin");
  if (t.end > dataSize)
    return fail("data_offsets " + rangeText(t.begin, t.end) + " run past the end of the " +
                std::to_string(dataSize) + "-byte data section");
  if (t.end - t.begin != nbytes)
    return fail("data_offsets " + rangeText(t.begin, t.end) + " do not match shape " +
                shapeText(t.shape) + " of " + de->name + " (" + std::to_string(nbytes) + " bytes)");
  return true;
}

bool parseImpl(const uint8_t *bytes, size_t size, std::vector<TensorInfo> &out, uint64_t &dataStart,
               std::string &err) {
  auto fail = [&](std::string msg) {
    err = std::move(msg);
    return false;
  };
  if (size < 8 || !bytes)
    return fail("file is " + std::to_string(size) +
                " bytes, too short to hold the 8-byte header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = (n << 8) | bytes[i];
  if (n > kMaxHeaderBytes)
    return fail("header length " + std::to_string(n) + " exceeds the 100 MiB limit");
  if (n > size - 8)
    return fail("header length " + std::to_string(n) + " runs past the end of the file (only " +
                std::to_string(size - 8) + " bytes follow the length field)");
  std::string_view text(reinterpret_cast<const char *>(bytes + 8), size_t(n));
  if (!nestingOk(text))
    return fail("header nests JSON more than " + std::to_string(kMaxJsonDepth) + " levels deep");
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::parse_error &e) {
    return fail("header is not valid JSON (syntax error at byte " + std::to_string(e.byte) +
                " of the header)");
  }
  if (!root.is_object())
    return fail("header is not a JSON object");
  const uint64_t dataSize = size - 8 - n;
  std::vector<TensorInfo> tensors;
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object())
        return fail("'__metadata__' is not a JSON object");
      for (auto m = it->begin(); m != it->end(); ++m)
        if (!m->is_string())
          return fail("'__metadata__' entry " + quoteName(m.key()) + " is not a string");
      continue;
    }
    TensorInfo t;
    if (!parseTensor(it.key(), *it, dataSize, t, err))
      return false;
    tensors.push_back(std::move(t));
  }
  std::sort(tensors.begin(), tensors.end(), [](const TensorInfo &a, const TensorInfo &b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  // Empty tensors occupy no bytes and so cannot overlap anything.
  const TensorInfo *prev = nullptr;
  for (const TensorInfo &t : tensors) {
    if (t.begin == t.end)
      continue;
    if (prev && prev->end > t.begin)
      return fail("tensors " + quoteName(prev->name) + " " + rangeText(prev->begin, prev->end) +
                  " and " + quoteName(t.name) + " " + rangeText(t.begin, t.end) +
                  " overlap in the data section");
    prev = &t;
  }
  out = std::move(tensors);
  dataStart = 8 + n;
  return true;
}

} // namespace

const char *dtypeName(DType d) {
  for (const DTypeEntry &e : kDTypes)
    if (e.dtype == d)
      return e.name;
  return "?";
}

size_t dtypeSize(DType d) {
  for (const DTypeEntry &e : kDTypes)
    if (e.dtype == d)
      return e.size;
  return 0;
}

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    if (d < 0 || __builtin_mul_overflow(n, d, &n))
      return -1;
  return n;
}

bool parseSafetensors(const uint8_t *bytes, size_t size, std::vector<TensorInfo> &out,
                      uint64_t &dataStart, std::string &err) {
  out.clear();
  dataStart = 0;
  try {
    return parseImpl(bytes, size, out, dataStart, err);
  } catch (const std::exception &e) {
    err = std::string("cannot read the header: ") + e.what();
  } catch (...) {
    err = "cannot read the header: unknown error";
  }
  out.clear();
  return false;
}

std::unique_ptr<SafetensorsFile> SafetensorsFile::open(const std::string &path, std::string &err) {
  try {
    std::unique_ptr<SafetensorsFile> f(new SafetensorsFile());
    f->path_ = path;
    std::string why; // set on failure
    static const uint8_t kEmpty[1] = {0};
    if (!mapFile(path, "safetensors", f->map_, f->mapSize_, why) || !parseSafetensors(f->map_ ? f->map_ : kEmpty, f->mapSize_, f->tensors_,
                                          f->dataStart_, why)) {
      err = path + ": " + why;
      return nullptr;
    }
    for (size_t i = 0; i < f->tensors_.size(); ++i)
      f->index_.emplace(f->tensors_[i].name, i);
    return f;
  } catch (const std::exception &e) {
    err = path + ": " + e.what();
    return nullptr;
  }
}

SafetensorsFile::~SafetensorsFile() { unmapFile(map_, mapSize_); }

const TensorInfo *SafetensorsFile::find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

const uint8_t *SafetensorsFile::data(const TensorInfo &t) const {
  if (!map_ || t.begin > t.end || t.end > mapSize_ - dataStart_)
    return nullptr;
  return map_ + dataStart_ + t.begin;
}

bool SafetensorsFile::readAsF32(const TensorInfo &t, float *out, std::string &err) const {
  const std::string what = "tensor " + quoteName(t.name) + " in " + path_;
  const uint8_t *p = data(t);
  int64_t n = t.numel();
  if (!p || n < 0 || t.end - t.begin != uint64_t(n) * dtypeSize(t.dtype)) {
    err = what + " does not describe bytes of that file";
    return false;
  }
  const size_t count = size_t(n);
  switch (t.dtype) {
  case DType::F32:
    if (count)
      std::memcpy(out, p, count * 4);
    return true;
  case DType::F16:
  case DType::BF16:
    for (size_t i = 0; i < count; ++i) {
      uint16_t h = uint16_t(p[2 * i] | (p[2 * i + 1] << 8)); // little-endian
      out[i] = t.dtype == DType::F16 ? halfToFloat(h) : bfloat16ToFloat(h);
    }
    return true;
  case DType::F64:
    for (size_t i = 0; i < count; ++i) {
      double d;
      std::memcpy(&d, p + 8 * i, 8);
      out[i] = float(d);
    }
    return true;
  default:
    err = what + " has dtype " + dtypeName(t.dtype) + ", which is not a floating-point type";
    return false;
  }
}

} // namespace xf::readers
