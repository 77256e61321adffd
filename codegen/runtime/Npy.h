// Writer for NumPy's .npy array format (version 1.0), used by the generated
// runtime to dump float32 tensors (activations, logits, test references) in a
// form numpy.load reads directly. The file is written under a temporary name
// and renamed into place, so a failed write never leaves a partial file.
#ifndef XF_CODEGEN_RUNTIME_NPY_H
#define XF_CODEGEN_RUNTIME_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace xfrt {

// Writes `data` (row-major, product(shape) floats) to `path` as '<f4' with
// fortran_order False. Returns false and sets err (one sentence naming the
// path) on a bad shape or an I/O failure; `path` is then left untouched.
bool writeNpyF32(const std::string &path, const std::vector<int64_t> &shape, const float *data,
                 std::string &err);

} // namespace xfrt

#endif // XF_CODEGEN_RUNTIME_NPY_H
