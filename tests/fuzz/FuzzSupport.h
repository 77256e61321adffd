// What the fuzz targets share: an in-memory file with a path (memfd), so
// that readers which take a path read exactly the fuzzer's bytes, and the
// check that aborts (a finding) when a reader breaks its own contract.
#ifndef XF_TESTS_FUZZ_FUZZSUPPORT_H
#define XF_TESTS_FUZZ_FUZZSUPPORT_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <sys/mman.h>
#include <unistd.h>

namespace xf::fuzz {

// Aborts with a message: libFuzzer (and the replayer) report it as a crash.
#define XF_FUZZ_CHECK(cond, what)                                                              \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "fuzz contract broken: %s (%s)\n", what, #cond);                     \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)

// With XFC_FUZZ_VERBOSE set, prints why an input was refused (to see what a
// seed reaches); silent otherwise, as fuzzing wants.
inline void note(const std::string &what) {
  static const bool verbose = std::getenv("XFC_FUZZ_VERBOSE") != nullptr;
  if (verbose)
    std::fprintf(stderr, "fuzz: %s\n", what.empty() ? "accepted" : what.c_str());
}

// A file whose contents are `size` bytes of `data`, at path(); closed (and
// gone) with the object.
class MemoryFile {
public:
  MemoryFile(const uint8_t *data, size_t size, const char *suffix = "") {
    fd_ = ::memfd_create("xfc-fuzz", MFD_CLOEXEC);
    XF_FUZZ_CHECK(fd_ >= 0, "memfd_create");
    for (size_t done = 0; done < size;) {
      ssize_t n = ::write(fd_, data + done, size - done);
      XF_FUZZ_CHECK(n > 0, "write to memfd");
      done += size_t(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_) + suffix;
  }
  ~MemoryFile() { ::close(fd_); }
  MemoryFile(const MemoryFile &) = delete;
  MemoryFile &operator=(const MemoryFile &) = delete;
  const std::string &path() const { return path_; }

private:
  int fd_ = -1;
  std::string path_;
};

} // namespace xf::fuzz

#endif // XF_TESTS_FUZZ_FUZZSUPPORT_H
