//===- npy_compare.cpp - compare two float32 .npy files ---------*- C++ -*-===//
//
// xfc-npy-compare REF OUT [TOL]: exit 0 when OUT has REF's shape and its
// relative L2 error ||OUT - REF|| / ||REF|| is at most TOL (1e-4), else 1
// with one line saying why. A static executable of its own, so that
// tests/gpu/run.sh needs neither Python nor numpy on the GPU machine. Reads
// the .npy files xfc executables write (version 1.0, '<f4', C order).
//
//===----------------------------------------------------------------------===//

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {
struct Npy {
  std::string shape;
  std::vector<float> data;
};

bool readNpy(const char *path, Npy &out, std::string &err) {
  std::ifstream f(path, std::ios::binary);
  char head[10];
  if (!f.read(head, 10) || std::string(head, 6) != "\x93NUMPY" || head[6] != 1) {
    err = std::string(path) + ": not a version 1.0 .npy file";
    return false;
  }
  size_t len = (unsigned char)head[8] | (size_t)(unsigned char)head[9] << 8;
  std::string dict(len, '\0');
  if (!f.read(dict.data(), (std::streamsize)len) || dict.find("'<f4'") == std::string::npos ||
      dict.find("'fortran_order': False") == std::string::npos) {
    err = std::string(path) + ": not a C-order float32 array";
    return false;
  }
  size_t open = dict.find("'shape': ("), close = dict.find(')', open);
  if (open == std::string::npos || close == std::string::npos) {
    err = std::string(path) + ": no shape in the header";
    return false;
  }
  out.shape = dict.substr(open + 10, close - open - 10);
  std::string rest((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  out.data.resize(rest.size() / sizeof(float));
  std::copy(rest.data(), rest.data() + out.data.size() * sizeof(float),
            reinterpret_cast<char *>(out.data.data()));
  return true;
}
} // namespace

int main(int argc, char **argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: xfc-npy-compare REF.npy OUT.npy [TOL]\n");
    return 2;
  }
  double tol = argc == 4 ? std::atof(argv[3]) : 1e-4;
  Npy ref, out;
  std::string err;
  if (!readNpy(argv[1], ref, err) || !readNpy(argv[2], out, err)) {
    std::fprintf(stderr, "xfc-npy-compare: %s\n", err.c_str());
    return 1;
  }
  if (ref.shape != out.shape || ref.data.size() != out.data.size()) {
    std::fprintf(stderr, "xfc-npy-compare: shape (%s) differs from the reference's (%s)\n",
                 out.shape.c_str(), ref.shape.c_str());
    return 1;
  }
  double diff = 0, norm = 0, maxAbs = 0;
  for (size_t i = 0; i < ref.data.size(); ++i) {
    double d = (double)out.data[i] - ref.data[i];
    diff += d * d;
    norm += (double)ref.data[i] * ref.data[i];
    maxAbs = std::fmax(maxAbs, std::fabs(d));
  }
  double rel = norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
  bool ok = rel <= tol; // false for NaN too
  std::printf("%s: shape (%s) rel_l2=%.3e max_abs=%.3e %s\n", argv[2], out.shape.c_str(), rel,
              maxAbs, ok ? "OK" : "MISMATCH");
  return ok ? 0 : 1;
}
