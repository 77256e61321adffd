// Fuzz target: the safetensors reader (frontend/readers/Safetensors.h), as
// the importer and every compiled model use it. The bytes are parsed in
// memory, then opened as a file and every floating-point tensor converted.
// Contract checked: a rejection always says why; an accepted file's tensors
// all lie inside the data section; conversion succeeds for float dtypes.
#include "frontend/readers/Safetensors.h"
#include "tests/fuzz/FuzzSupport.h"

#include <vector>

using namespace xf::readers;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<TensorInfo> tensors;
  uint64_t dataStart = 0;
  std::string err;
  bool ok = parseSafetensors(data, size, tensors, dataStart, err);
  xf::fuzz::note(err);
  XF_FUZZ_CHECK(ok == err.empty(), "a result and its message agree");
  if (!ok)
    return 0;
  for (const TensorInfo &t : tensors) {
    XF_FUZZ_CHECK(t.begin <= t.end && dataStart + t.end <= size, "tensor inside the file");
    XF_FUZZ_CHECK(t.numel() >= 0, "element count representable");
  }
  xf::fuzz::MemoryFile file(data, size);
  auto f = SafetensorsFile::open(file.path(), err);
  XF_FUZZ_CHECK(f != nullptr, "a file parseSafetensors accepts opens");
  std::vector<float> buffer;
  for (const TensorInfo &t : f->tensors()) {
    if (t.numel() > (int64_t(1) << 22))
      continue; // bounded by the file size anyway; keeps each run fast
    buffer.assign(size_t(t.numel()) + 1, 0.0f);
    std::string why;
    bool converted = f->readAsF32(t, buffer.data(), why);
    bool isFloat = t.dtype == DType::F32 || t.dtype == DType::F16 || t.dtype == DType::BF16 ||
                   t.dtype == DType::F64;
    XF_FUZZ_CHECK(converted == isFloat, "float tensors convert, others are refused");
    XF_FUZZ_CHECK(converted == why.empty(), "a refusal says why");
  }
  return 0;
}
