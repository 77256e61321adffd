// Implementation of the GGUF reader declared in Gguf.h. Compiled with
// exceptions on: allocation and nlohmann exceptions are caught in every
// public function and become error strings, so callers never see one. Every
// length, count and offset read from the file is checked against the bytes
// that remain (written as `n > left` so nothing can overflow) before it is
// used; counts are checked against the smallest encoding of their items
// before a single item is read.
#include "frontend/readers/Gguf.h"

#include "frontend/readers/HalfFloat.h"
#include "frontend/readers/ReaderSupport.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>


static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the GGUF reader copies little-endian data directly");

namespace xf::readers {
namespace {

using nlohmann::json;

constexpr uint64_t kHeaderBytes = 24;        // magic, version, two u64 counts
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;  // empty key, type, 1-byte value
constexpr uint64_t kMinInfoBytes = 8 + 4 + 4 + 8; // empty name, n_dims 0, type, offset
constexpr uint32_t kMaxDims = 4;
constexpr uint64_t kMaxKeyBytes = 65535; // the spec's limit on key length
constexpr int kMaxArrayDepth = 16;       // nested arrays; real files use none
// Far above real files (tens of metadata pairs, at most thousands of
// tensors), low enough that hostile counts cannot make us build millions of
// entries; the counts must also fit in the file.
constexpr uint64_t kMaxKvCount = uint64_t(1) << 20;
constexpr uint64_t kMaxTensorCount = uint64_t(1) << 24;

uint16_t rd16(const uint8_t *p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
uint32_t rd32(const uint8_t *p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t rd64(const uint8_t *p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

const char *const kValueTypeNames[] = {"u8",  "i8",   "u16",    "i16",   "u32", "i32", "f32",
                                       "bool", "string", "array", "u64", "i64", "f64"};

bool knownValueType(uint32_t t) { return t <= uint32_t(GgufValueType::F64); }

// Bytes of a fixed-size value type; 0 for string, array and unknown types.
uint64_t fixedSize(uint32_t t) {
  switch (GgufValueType(t)) {
  case GgufValueType::U8:
  case GgufValueType::I8:
  case GgufValueType::BOOL:
    return 1;
  case GgufValueType::U16:
  case GgufValueType::I16:
    return 2;
  case GgufValueType::U32:
  case GgufValueType::I32:
  case GgufValueType::F32:
    return 4;
  case GgufValueType::U64:
  case GgufValueType::I64:
  case GgufValueType::F64:
    return 8;
  default:
    return 0;
  }
}

std::string typeName(uint32_t t) {
  return knownValueType(t) ? kValueTypeNames[t] : "type " + std::to_string(t);
}

std::string dimsText(const std::vector<uint64_t> &dims) {
  std::string r = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    r += (i ? ", " : "") + std::to_string(dims[i]);
  return r + "]";
}

// Validates the value of type `type` at `pos` and moves `pos` past it; on
// failure `why` describes the problem (without naming the key).
bool scanValue(const uint8_t *p, uint64_t size, uint64_t &pos, uint32_t type, int depth,
               std::string &why) {
  if (!knownValueType(type)) {
    why = "has unknown value type " + std::to_string(type);
    return false;
  }
  const uint64_t left = size - pos;
  if (uint64_t n = fixedSize(type)) {
    if (n > left) {
      why = typeName(type) + " value runs past the end of the file";
      return false;
    }
    if (GgufValueType(type) == GgufValueType::BOOL && p[pos] > 1) {
      why = "bool value is " + std::to_string(p[pos]) + ", not 0 or 1";
      return false;
    }
    pos += n;
    return true;
  }
  if (GgufValueType(type) == GgufValueType::STRING) {
    if (left < 8) {
      why = "string length runs past the end of the file";
      return false;
    }
    uint64_t len = rd64(p + pos);
    if (len > left - 8) {
      why = "string length " + std::to_string(len) + " runs past the end of the file (" +
            std::to_string(left - 8) + " bytes follow)";
      return false;
    }
    pos += 8 + len;
    return true;
  }
  // An array: u32 element type, u64 count, elements.
  if (depth >= kMaxArrayDepth) {
    why = "arrays nest more than " + std::to_string(kMaxArrayDepth) + " deep";
    return false;
  }
  if (left < 12) {
    why = "array header runs past the end of the file";
    return false;
  }
  const uint32_t elem = rd32(p + pos);
  const uint64_t count = rd64(p + pos + 4);
  if (!knownValueType(elem)) {
    why = "array has unknown element type " + std::to_string(elem);
    return false;
  }
  const uint64_t rest = left - 12;
  const uint64_t minElem = fixedSize(elem) ? fixedSize(elem)
                           : GgufValueType(elem) == GgufValueType::STRING ? 8
                                                                          : 12;
  if (count > rest / minElem) {
    why = "array of " + std::to_string(count) + " " + typeName(elem) +
          " elements cannot fit in the " + std::to_string(rest) + " bytes that follow";
    return false;
  }
  pos += 12;
  if (fixedSize(elem)) {
    if (GgufValueType(elem) == GgufValueType::BOOL)
      for (uint64_t i = 0; i < count; ++i)
        if (p[pos + i] > 1) {
          why = "bool array element " + std::to_string(i) + " is " + std::to_string(p[pos + i]) +
                ", not 0 or 1";
          return false;
        }
    pos += count * minElem;
    return true;
  }
  for (uint64_t i = 0; i < count; ++i)
    if (!scanValue(p, size, pos, elem, depth + 1, why)) {
      why = "array element " + std::to_string(i) + ": " + why;
      return false;
    }
  return true;
}

// Bytes and elements of a tensor of `type` with `dims`; false + why if the
// type is not supported or the dimensions do not fit it.
bool tensorBytes(uint32_t type, const std::vector<uint64_t> &dims, uint64_t &nbytes,
                 uint64_t &numel, std::string &why) {
  numel = 1;
  bool overflow = false;
  for (uint64_t d : dims)
    overflow |= __builtin_mul_overflow(numel, d, &numel);
  if (overflow || numel > uint64_t(std::numeric_limits<int64_t>::max())) {
    why = "dimensions " + dimsText(dims) + " have too many elements";
    return false;
  }
  const uint64_t ne0 = dims.empty() ? 1 : dims[0];
  switch (type) {
  case uint32_t(GgmlType::F32):
    overflow = __builtin_mul_overflow(numel, uint64_t(4), &nbytes);
    break;
  case uint32_t(GgmlType::F16):
    overflow = __builtin_mul_overflow(numel, uint64_t(2), &nbytes);
    break;
  case uint32_t(GgmlType::Q8_0):
  case uint32_t(GgmlType::Q4_0):
    if (ne0 % kGgmlBlockElems != 0) {
      why = std::string(ggmlTypeName(type)) + " needs the innermost dimension (ne0 = " +
            std::to_string(ne0) + ") to be a multiple of 32";
      return false;
    }
    nbytes = numel / kGgmlBlockElems *
             (type == uint32_t(GgmlType::Q8_0) ? kQ8_0BlockBytes : kQ4_0BlockBytes);
    break;
  default: {
    const char *name = ggmlTypeName(type);
    why = name ? "has ggml type " + std::string(name) + " (" + std::to_string(type) +
                     "), which is not supported (supported: F32, F16, Q8_0, Q4_0)"
               : "has unknown ggml type " + std::to_string(type);
    return false;
  }
  }
  if (overflow) {
    why = "dimensions " + dimsText(dims) + " have too many bytes";
    return false;
  }
  return true;
}

// The shortest decimal that reads back as the same float, as a double (so
// that an f32 1e-6 becomes 1e-06 in JSON, not 9.999999974752427e-07).
double shortestFloat(float f) {
  if (!std::isfinite(f))
    return double(f);
  char buf[64];
  for (int prec = 1; prec <= 9; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, double(f));
    if (std::strtof(buf, nullptr) == f)
      return std::strtod(buf, nullptr);
  }
  return double(f);
}

} // namespace

const char *ggufValueTypeName(GgufValueType t) {
  return knownValueType(uint32_t(t)) ? kValueTypeNames[uint32_t(t)] : "?";
}

const char *ggmlTypeName(uint32_t type) {
  static const char *const kNames[] = {
      "F32",     "F16",    "Q4_0",    "Q4_1",  nullptr, nullptr, "Q5_0",  "Q5_1",   "Q8_0",
      "Q8_1",    "Q2_K",   "Q3_K",    "Q4_K",  "Q5_K",  "Q6_K",  "Q8_K",  "IQ2_XXS", "IQ2_XS",
      "IQ3_XXS", "IQ1_S",  "IQ4_NL",  "IQ3_S", "IQ2_S", "IQ4_XS", "I8",   "I16",    "I32",
      "I64",     "F64",    "IQ1_M",   "BF16",  nullptr, nullptr, nullptr, "TQ1_0", "TQ2_0",
      nullptr,   nullptr,  nullptr,   "MXFP4"};
  return type < sizeof kNames / sizeof kNames[0] ? kNames[type] : nullptr;
}

// ---------------------------------------------------------------------------
// Parsing

bool GgufFile::parse(std::string &err) {
  auto fail = [&](std::string msg) {
    err = std::move(msg);
    return false;
  };
  const uint8_t *p = map_;
  const uint64_t size = size_;
  if (size < 4)
    return fail("file is " + std::to_string(size) + " bytes, too short to be a GGUF file");
  if (std::memcmp(p, "GGUF", 4) != 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%02X %02X %02X %02X", p[0], p[1], p[2], p[3]);
    return fail(std::string("not a GGUF file: it starts with bytes ") + buf +
                ", not \"GGUF\" (47 47 55 46)");
  }
  if (size < kHeaderBytes)
    return fail("file is " + std::to_string(size) + " bytes, too short to hold the 24-byte " +
                "GGUF header");
  version_ = rd32(p + 4);
  if (version_ != 2 && version_ != 3) {
    uint32_t swapped = __builtin_bswap32(version_);
    if (swapped == 2 || swapped == 3)
      return fail("big-endian GGUF files are not supported");
    return fail("GGUF version " + std::to_string(version_) + " is not supported (supported: 2, 3)");
  }
  const uint64_t tensorCount = rd64(p + 8);
  const uint64_t kvCount = rd64(p + 16);
  const uint64_t rest = size - kHeaderBytes;
  if (kvCount > kMaxKvCount)
    return fail("metadata count " + std::to_string(kvCount) + " exceeds the limit of " +
                std::to_string(kMaxKvCount));
  if (tensorCount > kMaxTensorCount)
    return fail("tensor count " + std::to_string(tensorCount) + " exceeds the limit of " +
                std::to_string(kMaxTensorCount));
  if (kvCount > rest / kMinKvBytes)
    return fail("metadata count " + std::to_string(kvCount) + " cannot fit in the " +
                std::to_string(size) + "-byte file");
  if (tensorCount > rest / kMinInfoBytes)
    return fail("tensor count " + std::to_string(tensorCount) + " cannot fit in the " +
                std::to_string(size) + "-byte file");
  if (kvCount * kMinKvBytes > rest - tensorCount * kMinInfoBytes) // both products <= rest
    return fail("tensor count " + std::to_string(tensorCount) + " and metadata count " +
                std::to_string(kvCount) + " cannot both fit in the " + std::to_string(size) +
                "-byte file");

  uint64_t pos = kHeaderBytes;
  // Reads a string's length and checks that its bytes follow; `what` names it.
  auto readString = [&](const std::string &what, std::string &out) {
    if (size - pos < 8)
      return fail(what + ": length runs past the end of the file");
    uint64_t len = rd64(p + pos);
    if (len > size - pos - 8)
      return fail(what + ": length " + std::to_string(len) + " runs past the end of the file (" +
                  std::to_string(size - pos - 8) + " bytes follow)");
    out.assign(reinterpret_cast<const char *>(p + pos + 8), size_t(len));
    pos += 8 + len;
    return true;
  };

  for (uint64_t i = 0; i < kvCount; ++i) {
    std::string key;
    if (!readString("metadata entry " + std::to_string(i) + " key", key))
      return false;
    if (key.size() > kMaxKeyBytes)
      return fail("metadata entry " + std::to_string(i) + " has a key of " +
                  std::to_string(key.size()) + " bytes (at most 65535 allowed)");
    const std::string what = "metadata " + quoteName(key);
    if (size - pos < 4)
      return fail(what + ": value type runs past the end of the file");
    GgufValue v;
    const uint32_t type = rd32(p + pos);
    pos += 4;
    v.offset = pos;
    std::string why;
    if (!scanValue(p, size, pos, type, 0, why))
      return fail(what + ": " + why);
    v.type = GgufValueType(type);
    v.bytes = pos - v.offset;
    if (v.type == GgufValueType::ARRAY) {
      v.elemType = GgufValueType(rd32(p + v.offset));
      v.count = rd64(p + v.offset + 4);
    }
    if (!kvIndex_.emplace(key, kvs_.size()).second)
      return fail(what + " appears twice");
    kvs_.push_back(GgufKeyValue{std::move(key), v});
  }

  if (const GgufValue *a = findMeta("general.alignment")) {
    if (a->type != GgufValueType::U32)
      return fail("metadata 'general.alignment' has type " + typeName(uint32_t(a->type)) +
                  ", expected u32");
    uint32_t al = rd32(p + a->offset);
    if (al == 0 || (al & (al - 1)) != 0)
      return fail("metadata 'general.alignment' = " + std::to_string(al) +
                  " is not a power of two");
    alignment_ = al;
  }

  for (uint64_t i = 0; i < tensorCount; ++i) {
    GgufTensor t;
    if (!readString("tensor info " + std::to_string(i) + " name", t.name))
      return false;
    const std::string what = "tensor " + quoteName(t.name);
    if (size - pos < 4)
      return fail(what + ": n_dims runs past the end of the file");
    const uint32_t nDims = rd32(p + pos);
    pos += 4;
    if (nDims > kMaxDims)
      return fail(what + " has " + std::to_string(nDims) + " dimensions (at most 4 allowed)");
    if (size - pos < 8ull * nDims + 4 + 8)
      return fail(what + ": dimensions, type and offset run past the end of the file");
    for (uint32_t d = 0; d < nDims; ++d) {
      t.dims.push_back(rd64(p + pos));
      pos += 8;
    }
    const uint32_t type = rd32(p + pos);
    t.offset = rd64(p + pos + 4);
    pos += 12;
    std::string why;
    if (!tensorBytes(type, t.dims, t.nbytes, t.numel, why))
      return fail(what + (why.rfind("has ", 0) == 0 ? " " : ": ") + why);
    t.type = GgmlType(type);
    if (t.offset % alignment_ != 0)
      return fail(what + ": data offset " + std::to_string(t.offset) +
                  " is not a multiple of the alignment " + std::to_string(alignment_));
    if (!tensorIndex_.emplace(t.name, tensors_.size()).second)
      return fail(what + " appears twice");
    tensors_.push_back(std::move(t));
  }

  // pos <= size < 2^63 and alignment < 2^32, so this cannot overflow.
  dataStart_ = (pos + alignment_ - 1) / alignment_ * alignment_;
  const uint64_t dataSize = dataStart_ <= size ? size - dataStart_ : 0;
  std::vector<const GgufTensor *> byOffset;
  for (const GgufTensor &t : tensors_) {
    if (t.nbytes == 0)
      continue; // occupies nothing
    if (dataStart_ > size || t.offset > dataSize || t.nbytes > dataSize - t.offset)
      return fail("tensor " + quoteName(t.name) + ": data at offset " + std::to_string(t.offset) +
                  " (" + std::to_string(t.nbytes) + " bytes) runs past the end of the file (the " +
                  "data section holds " + std::to_string(dataSize) + " bytes)");
    byOffset.push_back(&t);
  }
  std::sort(byOffset.begin(), byOffset.end(), [](const GgufTensor *a, const GgufTensor *b) {
    return a->offset < b->offset;
  });
  for (size_t i = 1; i < byOffset.size(); ++i)
    if (byOffset[i - 1]->offset + byOffset[i - 1]->nbytes > byOffset[i]->offset)
      return fail("tensors " + quoteName(byOffset[i - 1]->name) + " and " +
                  quoteName(byOffset[i]->name) + " overlap in the data section");
  return true;
}

std::unique_ptr<GgufFile> GgufFile::fromMemory(const uint8_t *bytes, size_t size,
                                               std::string &err) {
  try {
    static const uint8_t kEmpty[1] = {0};
    std::unique_ptr<GgufFile> f(new GgufFile());
    f->map_ = bytes && size ? bytes : kEmpty;
    f->size_ = bytes ? size : 0;
    if (!f->parse(err))
      return nullptr;
    return f;
  } catch (const std::exception &e) {
    err = std::string("cannot read the GGUF file: ") + e.what();
    return nullptr;
  }
}

std::unique_ptr<GgufFile> GgufFile::open(const std::string &path, std::string &err) {
  try {
    std::unique_ptr<GgufFile> f(new GgufFile());
    f->path_ = path;
    std::string why;
    if (mapFile(path, "GGUF", f->map_, f->size_, why))
      f->owned_ = f->map_ != nullptr;
    static const uint8_t kEmpty[1] = {0};
    if (!f->map_)
      f->map_ = kEmpty;
    if (!why.empty() || !f->parse(why)) {
      err = path + ": " + why;
      return nullptr;
    }
    return f;
  } catch (const std::exception &e) {
    err = path + ": " + e.what();
    return nullptr;
  }
}

GgufFile::~GgufFile() {
  if (owned_)
    unmapFile(map_, size_);
}

// ---------------------------------------------------------------------------
// Metadata access

const GgufValue *GgufFile::findMeta(std::string_view key) const {
  auto it = kvIndex_.find(key);
  return it == kvIndex_.end() ? nullptr : &kvs_[it->second].value;
}

const GgufTensor *GgufFile::findTensor(std::string_view name) const {
  auto it = tensorIndex_.find(name);
  return it == tensorIndex_.end() ? nullptr : &tensors_[it->second];
}

bool GgufFile::toUInt(const GgufValue &v, uint64_t &out) const {
  int64_t s = 0;
  if (v.offset > size_ || size_ - v.offset < fixedSize(uint32_t(v.type)))
    return false;
  const uint8_t *q = map_ + v.offset;
  switch (v.type) {
  case GgufValueType::U8:
    out = q[0];
    return true;
  case GgufValueType::U16:
    out = rd16(q);
    return true;
  case GgufValueType::U32:
    out = rd32(q);
    return true;
  case GgufValueType::U64:
    out = rd64(q);
    return true;
  case GgufValueType::I8:
  case GgufValueType::I16:
  case GgufValueType::I32:
  case GgufValueType::I64:
    if (!toInt(v, s) || s < 0)
      return false;
    out = uint64_t(s);
    return true;
  default:
    return false;
  }
}

bool GgufFile::toInt(const GgufValue &v, int64_t &out) const {
  if (v.offset > size_ || size_ - v.offset < fixedSize(uint32_t(v.type)))
    return false;
  const uint8_t *q = map_ + v.offset;
  uint64_t u = 0;
  switch (v.type) {
  case GgufValueType::I8:
    out = int8_t(q[0]);
    return true;
  case GgufValueType::I16:
    out = int16_t(rd16(q));
    return true;
  case GgufValueType::I32:
    out = int32_t(rd32(q));
    return true;
  case GgufValueType::I64:
    out = int64_t(rd64(q));
    return true;
  case GgufValueType::U8:
  case GgufValueType::U16:
  case GgufValueType::U32:
  case GgufValueType::U64:
    if (!toUInt(v, u) || u > uint64_t(std::numeric_limits<int64_t>::max()))
      return false;
    out = int64_t(u);
    return true;
  default:
    return false;
  }
}

bool GgufFile::toFloat(const GgufValue &v, double &out) const {
  if (v.offset > size_ || size_ - v.offset < fixedSize(uint32_t(v.type)))
    return false;
  const uint8_t *q = map_ + v.offset;
  if (v.type == GgufValueType::F32) {
    float f;
    std::memcpy(&f, q, 4);
    out = f;
    return true;
  }
  if (v.type == GgufValueType::F64) {
    std::memcpy(&out, q, 8);
    return true;
  }
  int64_t s;
  uint64_t u;
  if (toInt(v, s)) {
    out = double(s);
    return true;
  }
  if (toUInt(v, u)) {
    out = double(u);
    return true;
  }
  return false;
}

bool GgufFile::toBool(const GgufValue &v, bool &out) const {
  if (v.type != GgufValueType::BOOL || v.offset >= size_)
    return false;
  out = map_[v.offset] != 0;
  return true;
}

bool GgufFile::toString(const GgufValue &v, std::string &out) const {
  try {
    if (v.type != GgufValueType::STRING || v.offset > size_ || size_ - v.offset < 8)
      return false;
    uint64_t len = rd64(map_ + v.offset);
    if (len > size_ - v.offset - 8)
      return false;
    out.assign(reinterpret_cast<const char *>(map_ + v.offset + 8), size_t(len));
    return true;
  } catch (const std::exception &) {
    return false;
  }
}

bool GgufFile::arrayElement(const GgufValue &array, uint64_t index, GgufValue &out) const {
  try {
    if (array.type != GgufValueType::ARRAY || index >= array.count || array.offset > size_ ||
        size_ - array.offset < 12)
      return false;
    const uint32_t elem = uint32_t(array.elemType);
    uint64_t pos = array.offset + 12;
    std::string why;
    if (uint64_t n = fixedSize(elem)) {
      if (index > (size_ - pos) / n || n > size_ - pos - index * n)
        return false;
      pos += index * n;
    } else {
      for (uint64_t i = 0; i < index; ++i)
        if (!scanValue(map_, size_, pos, elem, 1, why))
          return false;
    }
    GgufValue v;
    v.type = GgufValueType(elem);
    v.offset = pos;
    if (!scanValue(map_, size_, pos, elem, 1, why))
      return false;
    v.bytes = pos - v.offset;
    if (v.type == GgufValueType::ARRAY) {
      v.elemType = GgufValueType(rd32(map_ + v.offset));
      v.count = rd64(map_ + v.offset + 4);
    }
    out = v;
    return true;
  } catch (const std::exception &) {
    return false;
  }
}

bool GgufFile::getUInt(std::string_view key, uint64_t &out) const {
  const GgufValue *v = findMeta(key);
  return v && toUInt(*v, out);
}
bool GgufFile::getInt(std::string_view key, int64_t &out) const {
  const GgufValue *v = findMeta(key);
  return v && toInt(*v, out);
}
bool GgufFile::getFloat(std::string_view key, double &out) const {
  const GgufValue *v = findMeta(key);
  return v && toFloat(*v, out);
}
bool GgufFile::getBool(std::string_view key, bool &out) const {
  const GgufValue *v = findMeta(key);
  return v && toBool(*v, out);
}
bool GgufFile::getString(std::string_view key, std::string &out) const {
  const GgufValue *v = findMeta(key);
  return v && toString(*v, out);
}
bool GgufFile::getArrayInfo(std::string_view key, GgufValueType &elemType,
                            uint64_t &count) const {
  const GgufValue *v = findMeta(key);
  if (!v || v->type != GgufValueType::ARRAY)
    return false;
  elemType = v->elemType;
  count = v->count;
  return true;
}

bool GgufFile::getStringArray(std::string_view key, std::vector<std::string> &out) const {
  try {
    const GgufValue *v = findMeta(key);
    if (!v || v->type != GgufValueType::ARRAY || v->elemType != GgufValueType::STRING)
      return false;
    std::vector<std::string> r;
    r.reserve(size_t(v->count)); // validated at open: count * 8 bytes lie in the file
    GgufValue s;
    s.type = GgufValueType::STRING;
    s.offset = v->offset + 12;
    for (uint64_t i = 0; i < v->count; ++i) {
      std::string one;
      if (!toString(s, one))
        return false;
      s.offset += 8 + one.size();
      r.push_back(std::move(one));
    }
    out = std::move(r);
    return true;
  } catch (const std::exception &) {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Tensor data

const uint8_t *GgufFile::data(const GgufTensor &t) const {
  if (!map_ || dataStart_ > size_ || t.offset > size_ - dataStart_ ||
      t.nbytes > size_ - dataStart_ - t.offset)
    return nullptr;
  return map_ + dataStart_ + t.offset;
}

bool GgufFile::readAsF32(const GgufTensor &t, float *out, std::string &err) const {
  try {
    const std::string what =
        "tensor " + quoteName(t.name) + (path_.empty() ? std::string() : " in " + path_);
    uint64_t nbytes = 0, numel = 0;
    std::string why;
    if (t.dims.size() > kMaxDims || !tensorBytes(uint32_t(t.type), t.dims, nbytes, numel, why)) {
      err = what + ": " + why;
      return false;
    }
    const uint8_t *p = data(t);
    if (!p || nbytes != t.nbytes || numel != t.numel) {
      err = what + " does not describe bytes of that file";
      return false;
    }
    switch (t.type) {
    case GgmlType::F32:
      if (numel)
        std::memcpy(out, p, size_t(numel) * 4);
      return true;
    case GgmlType::F16:
      for (uint64_t i = 0; i < numel; ++i)
        out[i] = halfToFloat(rd16(p + 2 * i));
      return true;
    case GgmlType::Q8_0:
      for (uint64_t b = 0; b < numel / kGgmlBlockElems; ++b) {
        const uint8_t *blk = p + b * kQ8_0BlockBytes;
        const float d = halfToFloat(rd16(blk));
        float *o = out + b * kGgmlBlockElems;
        for (int j = 0; j < 32; ++j)
          o[j] = float(int8_t(blk[2 + j])) * d;
      }
      return true;
    case GgmlType::Q4_0:
      for (uint64_t b = 0; b < numel / kGgmlBlockElems; ++b) {
        const uint8_t *blk = p + b * kQ4_0BlockBytes;
        const float d = halfToFloat(rd16(blk));
        float *o = out + b * kGgmlBlockElems;
        for (int j = 0; j < 16; ++j) {
          o[j] = float(int(blk[2 + j] & 0x0F) - 8) * d;
          o[j + 16] = float(int(blk[2 + j] >> 4) - 8) * d;
        }
      }
      return true;
    }
    err = what + " has an unsupported type";
    return false;
  } catch (const std::exception &e) {
    err = std::string("cannot read tensor: ") + e.what();
    return false;
  }
}

// ---------------------------------------------------------------------------
// llama: Hugging Face names, Q/K un-permutation, config

bool llamaHfName(std::string_view g, std::string &hf) {
  static const struct {
    const char *gguf, *hf;
  } kGlobal[] = {{"token_embd.weight", "model.embed_tokens.weight"},
                 {"output_norm.weight", "model.norm.weight"},
                 {"output.weight", "lm_head.weight"}};
  static const struct {
    const char *gguf, *hf;
  } kLayer[] = {{"attn_q.weight", "self_attn.q_proj.weight"},
                {"attn_k.weight", "self_attn.k_proj.weight"},
                {"attn_v.weight", "self_attn.v_proj.weight"},
                {"attn_output.weight", "self_attn.o_proj.weight"},
                {"ffn_gate.weight", "mlp.gate_proj.weight"},
                {"ffn_up.weight", "mlp.up_proj.weight"},
                {"ffn_down.weight", "mlp.down_proj.weight"},
                {"attn_norm.weight", "input_layernorm.weight"},
                {"ffn_norm.weight", "post_attention_layernorm.weight"}};
  try {
    for (const auto &m : kGlobal)
      if (g == m.gguf) {
        hf = m.hf;
        return true;
      }
    constexpr std::string_view kBlk = "blk.";
    if (g.substr(0, kBlk.size()) != kBlk)
      return false;
    std::string_view rest = g.substr(kBlk.size());
    size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9')
      ++digits;
    // A layer number as HF writes it: no sign, no leading zeros, < 10^9.
    if (digits == 0 || digits > 9 || (digits > 1 && rest[0] == '0') || digits == rest.size() ||
        rest[digits] != '.')
      return false;
    std::string_view layer = rest.substr(0, digits), suffix = rest.substr(digits + 1);
    for (const auto &m : kLayer)
      if (suffix == m.gguf) {
        hf = "model.layers." + std::string(layer) + "." + m.hf;
        return true;
      }
    return false;
  } catch (const std::exception &) {
    return false;
  }
}

bool ggufUnpermuteRows(float *data, uint64_t rows, uint64_t cols, uint64_t nHead) {
  if (nHead == 0 || rows % nHead != 0 || (rows / nHead) % 2 != 0)
    return false;
  const uint64_t hd = rows / nHead, half = hd / 2;
  try {
    std::vector<float> tmp(size_t(hd * cols));
    for (uint64_t h = 0; h < nHead; ++h) {
      float *head = data + h * hd * cols;
      if (cols)
        std::memcpy(tmp.data(), head, size_t(hd * cols) * sizeof(float));
      // GGUF row 2*i + s of the head holds HF row s*half + i.
      for (uint64_t s = 0; s < 2; ++s)
        for (uint64_t i = 0; i < half; ++i)
          if (cols)
            std::memcpy(head + (s * half + i) * cols, tmp.data() + (2 * i + s) * cols,
                        size_t(cols) * sizeof(float));
    }
    return true;
  } catch (const std::exception &) {
    return false;
  }
}

namespace {
// Only llama-architecture files map onto Hugging Face LLaMA names and config.
bool checkLlamaArchitecture(const GgufFile &f, std::string &why) {
  std::string arch;
  if (!f.findMeta("general.architecture"))
    why = "missing metadata 'general.architecture'";
  else if (!f.getString("general.architecture", arch))
    why = "metadata 'general.architecture' is not a string";
  else if (arch != "llama")
    why = "GGUF architecture " + quoteName(arch) + " is not supported (supported: llama)";
  return why.empty();
}
} // namespace

bool llamaHfView(const GgufFile &f, std::vector<GgufHfTensor> &out, std::string &err) {
  try {
    const std::string where = f.path().empty() ? std::string("GGUF file") : f.path();
    auto fail = [&](const std::string &msg) {
      err = where + ": " + msg;
      return false;
    };
    std::string why;
    if (!checkLlamaArchitecture(f, why))
      return fail(why);
    // Head counts, needed only to undo the Q/K permutation.
    uint64_t nHead = 0, nKv = 0;
    const GgufValue *hv = f.findMeta("llama.attention.head_count");
    const GgufValue *kv = f.findMeta("llama.attention.head_count_kv");
    if (hv && (!f.toUInt(*hv, nHead) || nHead == 0))
      return fail("metadata 'llama.attention.head_count' is not a positive integer");
    if (kv && (!f.toUInt(*kv, nKv) || nKv == 0))
      return fail("metadata 'llama.attention.head_count_kv' is not a positive integer");
    if (!kv)
      nKv = nHead;

    std::vector<GgufHfTensor> view;
    view.reserve(f.tensors().size());
    for (const GgufTensor &t : f.tensors()) {
      GgufHfTensor v;
      if (!llamaHfName(t.name, v.info.name)) {
        if (t.name == "rope_freqs.weight")
          return fail("tensor 'rope_freqs.weight' (rotary frequency factors, as in Llama 3.1 "
                      "rope scaling) is not supported");
        return fail("tensor " + quoteName(t.name) +
                    " has no Hugging Face LlamaForCausalLM counterpart");
      }
      v.info.dtype = DType::F32;
      for (size_t i = t.dims.size(); i-- > 0;)
        v.info.shape.push_back(int64_t(t.dims[i]));
      v.info.begin = t.offset;
      v.info.end = t.offset + t.nbytes;
      v.source = &t;
      const bool isQ = t.name.size() > 14 && t.name.compare(t.name.size() - 14, 14, ".attn_q.weight") == 0;
      const bool isK = t.name.size() > 14 && t.name.compare(t.name.size() - 14, 14, ".attn_k.weight") == 0;
      if (isQ || isK) {
        const uint64_t heads = isQ ? nHead : nKv;
        if (heads == 0)
          return fail("tensor " + quoteName(t.name) +
                      " needs metadata 'llama.attention.head_count' to undo llama.cpp's rotary "
                      "row permutation");
        if (t.dims.size() != 2 || t.dims[1] % (2 * heads) != 0)
          return fail("tensor " + quoteName(t.name) + " has dimensions " + dimsText(t.dims) +
                      ": expected 2 dimensions with a row count (ne1) that is a multiple of 2 x " +
                      std::to_string(heads) + " heads");
        v.unpermuteHeads = heads;
      }
      view.push_back(std::move(v));
    }
    out = std::move(view);
    return true;
  } catch (const std::exception &e) {
    err = std::string("cannot read the GGUF tensors: ") + e.what();
    return false;
  }
}

namespace {

// "u32 7", "string 'x'", "f32 0.5", "array of 3 u32" for error messages.
std::string describe(const GgufFile &f, const GgufValue &v) {
  std::string s;
  int64_t i;
  uint64_t u;
  double d;
  if (v.type == GgufValueType::ARRAY)
    return "an array of " + std::to_string(v.count) + " " + ggufValueTypeName(v.elemType);
  if (v.type == GgufValueType::STRING && f.toString(v, s))
    return "string " + quoteName(s);
  std::string t = ggufValueTypeName(v.type);
  if (f.toInt(v, i))
    return t + " " + std::to_string(i);
  if (f.toUInt(v, u))
    return t + " " + std::to_string(u);
  if (v.type == GgufValueType::BOOL) {
    bool b = false;
    f.toBool(v, b);
    return b ? "bool true" : "bool false";
  }
  if (f.toFloat(v, d)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9g", d);
    return t + " " + buf;
  }
  return t;
}

} // namespace

bool ggufLlamaConfig(const GgufFile &f, json &config, std::string &err) {
  try {
    const std::string where = f.path().empty() ? std::string("GGUF file") : f.path();
    auto fail = [&](const std::string &msg) {
      err = where + ": " + msg;
      return false;
    };
    std::string why;
    if (!checkLlamaArchitecture(f, why))
      return fail(why);

    // A positive count (<= 2^31, as the importer accepts); absent: dflt, or an error if none.
    auto count = [&](const std::string &key, uint64_t &out, uint64_t dflt = 0) {
      const GgufValue *v = f.findMeta(key);
      if (!v && dflt) {
        out = dflt;
        return true;
      }
      if (!v)
        return fail("missing metadata '" + key + "'");
      if (v->type == GgufValueType::ARRAY)
        return fail("metadata '" + key + "' is " + describe(f, *v) +
                    " (per-layer values are not supported)");
      if (!f.toUInt(*v, out) || out == 0 || out > (uint64_t(1) << 31))
        return fail("metadata '" + key + "' must be a positive integer, got " + describe(f, *v));
      return true;
    };
    // A positive finite number; f32 values become their shortest decimal.
    auto real = [&](const std::string &key, double &out, double dflt, bool required) {
      const GgufValue *v = f.findMeta(key);
      if (!v && required)
        return fail("missing metadata '" + key + "'");
      if (!v) {
        out = dflt;
        return true;
      }
      if (!f.toFloat(*v, out) || !std::isfinite(out) || !(out > 0))
        return fail("metadata '" + key + "' must be a positive number, got " + describe(f, *v));
      if (v->type == GgufValueType::F32)
        out = shortestFloat(float(out));
      return true;
    };
    auto tokenId = [&](const std::string &key, json &out) {
      const GgufValue *v = f.findMeta(key);
      uint64_t id = 0;
      if (!v) {
        out = nullptr;
        return true;
      }
      if (!f.toUInt(*v, id) || id > uint64_t(std::numeric_limits<int64_t>::max()))
        return fail("metadata '" + key + "' must be a token id, got " + describe(f, *v));
      out = id;
      return true;
    };

    uint64_t layers, hidden, inner, heads, kvHeads, ctx;
    double eps, theta;
    if (!count("llama.block_count", layers) || !count("llama.embedding_length", hidden) ||
        !count("llama.feed_forward_length", inner) ||
        !count("llama.attention.head_count", heads) ||
        !count("llama.attention.head_count_kv", kvHeads, heads) ||
        !count("llama.context_length", ctx) ||
        !real("llama.attention.layer_norm_rms_epsilon", eps, 0, true) ||
        !real("llama.rope.freq_base", theta, 10000.0, false))
      return false;

    // Head size: attention.key_length, else embedding_length / head_count.
    uint64_t headDim = 0, valueLen = 0, ropeDims = 0;
    const bool explicitHeadDim = f.findMeta("llama.attention.key_length") != nullptr;
    if (explicitHeadDim) {
      if (!count("llama.attention.key_length", headDim))
        return false;
    } else if (hidden % heads != 0) {
      return fail("llama.embedding_length " + std::to_string(hidden) +
                  " is not divisible by llama.attention.head_count " + std::to_string(heads) +
                  " and there is no llama.attention.key_length");
    } else {
      headDim = hidden / heads;
    }
    if (f.findMeta("llama.attention.value_length")) {
      if (!count("llama.attention.value_length", valueLen))
        return false;
      if (valueLen != headDim)
        return fail("metadata 'llama.attention.value_length' = " + std::to_string(valueLen) +
                    " differs from the key length " + std::to_string(headDim) +
                    " (not supported)");
    }
    if (f.findMeta("llama.rope.dimension_count")) {
      if (!count("llama.rope.dimension_count", ropeDims))
        return false;
      if (ropeDims != headDim)
        return fail("metadata 'llama.rope.dimension_count' = " + std::to_string(ropeDims) +
                    " differs from the head size " + std::to_string(headDim) +
                    " (partial rotary embeddings are not supported)");
    }

    // Rope scaling, mixture of experts, frequency factors: not supported.
    if (const GgufValue *v = f.findMeta("llama.rope.scaling.type")) {
      std::string type;
      if (!f.toString(*v, type))
        return fail("metadata 'llama.rope.scaling.type' must be a string, got " + describe(f, *v));
      if (type != "none")
        return fail("metadata 'llama.rope.scaling.type' = " + quoteName(type) +
                    " is not supported (supported: none, plain rotary embeddings)");
    }
    for (const char *key : {"llama.rope.scaling.factor", "llama.rope.scale_linear"})
      if (const GgufValue *v = f.findMeta(key)) {
        double factor = 0;
        if (!f.toFloat(*v, factor))
          return fail(std::string("metadata '") + key + "' must be a number, got " +
                      describe(f, *v));
        if (factor != 0 && factor != 1)
          return fail(std::string("metadata '") + key + "' = " + describe(f, *v) +
                      ": rope scaling is not supported");
      }
    if (const GgufValue *v = f.findMeta("llama.expert_count")) {
      uint64_t experts = 0;
      if (!f.toUInt(*v, experts) || experts != 0)
        return fail("metadata 'llama.expert_count' = " + describe(f, *v) +
                    ": mixture-of-experts models are not supported");
    }
    if (f.findTensor("rope_freqs.weight"))
      return fail("tensor 'rope_freqs.weight' (rotary frequency factors, as in Llama 3.1 rope "
                  "scaling) is not supported");

    // Vocabulary size: the embedding's rows, else llama.vocab_size, else the token list.
    uint64_t vocab = 0;
    if (const GgufTensor *t = f.findTensor("token_embd.weight")) {
      if (t->dims.size() != 2 || t->dims[1] == 0)
        return fail("tensor 'token_embd.weight' has dimensions " + dimsText(t->dims) +
                    ", expected [hidden, vocab]");
      vocab = t->dims[1];
    } else if (f.findMeta("llama.vocab_size")) {
      if (!count("llama.vocab_size", vocab))
        return false;
    } else {
      GgufValueType elem;
      if (!f.getArrayInfo("tokenizer.ggml.tokens", elem, vocab) || vocab == 0)
        return fail("cannot tell the vocabulary size: no tensor 'token_embd.weight', no metadata "
                    "'llama.vocab_size' and no non-empty array 'tokenizer.ggml.tokens'");
    }

    json bos, eos;
    if (!tokenId("tokenizer.ggml.bos_token_id", bos) ||
        !tokenId("tokenizer.ggml.eos_token_id", eos))
      return false;

    json c = json::object();
    c["architectures"] = json::array({"LlamaForCausalLM"});
    c["model_type"] = "llama";
    c["hidden_act"] = "silu";
    c["num_hidden_layers"] = layers;
    c["hidden_size"] = hidden;
    c["intermediate_size"] = inner;
    c["num_attention_heads"] = heads;
    c["num_key_value_heads"] = kvHeads;
    if (explicitHeadDim)
      c["head_dim"] = headDim;
    c["max_position_embeddings"] = ctx;
    c["rms_norm_eps"] = eps;
    c["rope_theta"] = theta;
    c["rope_scaling"] = nullptr;
    c["vocab_size"] = vocab;
    c["tie_word_embeddings"] = f.findTensor("output.weight") == nullptr;
    c["bos_token_id"] = bos;
    c["eos_token_id"] = eos;
    c["attention_bias"] = false;
    c["mlp_bias"] = false;
    c["torch_dtype"] = "float32";
    config = std::move(c);
    return true;
  } catch (const std::exception &e) {
    err = std::string("cannot build a config from the GGUF metadata: ") + e.what();
    return false;
  }
}

} // namespace xf::readers
