// What the safetensors and GGUF readers share: read-only file mapping and
// quoting of names taken from a file.
#include "frontend/readers/ReaderSupport.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace xf::readers {

namespace {
// "<prefix><strerror(errno)>", reading errno before anything can change it.
std::string systemError(const char *prefix) {
  int e = errno;
  return prefix + std::string(std::strerror(e));
}
} // namespace

bool mapFile(const std::string &path, const char *kind, const uint8_t *&data, size_t &size,
             std::string &why) {
  data = nullptr;
  size = 0;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0)
    why = systemError("cannot open: ");
  else if (::fstat(fd, &st) != 0)
    why = systemError("cannot stat: ");
  else if (S_ISDIR(st.st_mode))
    why = std::string("is a directory, not a ") + kind + " file";
  else if (!S_ISREG(st.st_mode))
    why = "is not a regular file";
  else if (st.st_size > 0) {
    void *m = ::mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED)
      why = systemError("cannot map into memory: ");
    else
      data = static_cast<const uint8_t *>(m), size = size_t(st.st_size);
  }
  if (fd >= 0)
    ::close(fd); // a mapping stays valid after its descriptor is closed
  return why.empty();
}

void unmapFile(const uint8_t *data, size_t size) {
  if (data && size > 0)
    ::munmap(const_cast<uint8_t *>(data), size);
}

std::string quoteName(std::string_view s) {
  constexpr size_t kMax = 120;
  std::string r = "'";
  size_t n = s.size() > kMax ? kMax : s.size();
  while (n > 0 && n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
    --n; // do not split a multi-byte character
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      r += buf;
    } else {
      r += static_cast<char>(c);
    }
  }
  if (n < s.size())
    r += "...";
  return r + "'";
}

} // namespace xf::readers
