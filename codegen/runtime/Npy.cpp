// Implementation of writeNpyF32 (see Npy.h). Format: the magic "\x93NUMPY",
// version bytes 1 0, a little-endian u16 header length, then an ASCII Python
// dict literal padded with spaces and ending in '\n' so that magic + version +
// length + header is a multiple of 64 bytes, then the raw little-endian data.
// Uses only the C library and POSIX, no exceptions.
#include "codegen/runtime/Npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <unistd.h>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "writeNpyF32 writes floats in host order and labels them '<f4'");

namespace xfrt {

bool writeNpyF32(const std::string &path, const std::vector<int64_t> &shape, const float *data,
                 std::string &err) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  uint64_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) {
      err = "cannot write " + path + ": dimension " + std::to_string(i) + " is negative";
      return false;
    }
    if (__builtin_mul_overflow(count, uint64_t(shape[i]), &count) ||
        count > uint64_t(-1) / sizeof(float)) {
      err = "cannot write " + path + ": the shape has too many elements";
      return false;
    }
    dict += (i ? ", " : "") + std::to_string(shape[i]);
  }
  if (shape.size() == 1)
    dict += ","; // a 1-tuple needs its trailing comma
  dict += "), }";
  if (count > 0 && !data) {
    err = "cannot write " + path + ": no data for a non-empty array";
    return false;
  }

  const size_t kPrefix = 10; // magic (6) + version (2) + header length (2)
  size_t total = kPrefix + dict.size() + 1;
  total = (total + 63) / 64 * 64;
  const size_t headerLen = total - kPrefix;
  if (headerLen > 0xFFFF) {
    err = "cannot write " + path + ": the shape has too many dimensions for .npy version 1.0";
    return false;
  }
  dict.append(headerLen - dict.size() - 1, ' ');
  dict += '\n';

  std::string head = "\x93NUMPY";
  head += '\x01';
  head += '\x00';
  head += char(headerLen & 0xFF);
  head += char(headerLen >> 8);
  head += dict;

  const std::string tmp = path + ".tmp." + std::to_string(long(::getpid()));
  std::FILE *f = std::fopen(tmp.c_str(), "wb");
  if (!f) {
    err = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  bool ok = std::fwrite(head.data(), 1, head.size(), f) == head.size();
  if (ok && count > 0)
    ok = std::fwrite(data, sizeof(float), size_t(count), f) == size_t(count);
  ok = std::fflush(f) == 0 && ok;
  int errnum = errno;
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    errnum = errno;
  }
  if (ok && std::rename(tmp.c_str(), path.c_str()) != 0) {
    ok = false;
    errnum = errno;
  }
  if (!ok) {
    std::remove(tmp.c_str());
    err = "cannot write " + path + ": " + std::strerror(errnum);
    return false;
  }
  return true;
}

} // namespace xfrt
