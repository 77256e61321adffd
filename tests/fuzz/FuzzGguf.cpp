// Fuzz target: the GGUF reader (frontend/readers/Gguf.h) and what the
// importer builds on it: every metadata value read through the typed
// accessors, every tensor dequantised, the Hugging Face view of a llama file
// and its LlamaConfig. Contract checked: rejections say why; an accepted
// file's tensors lie inside it; a tensor's bytes match its type and shape.
#include "frontend/readers/Gguf.h"
#include "tests/fuzz/FuzzSupport.h"

#include <nlohmann/json.hpp>

#include <vector>

using namespace xf::readers;

namespace {

// Reads `v` every way there is; arrays element by element (a bounded prefix).
void touchValue(const GgufFile &f, const GgufValue &v, int depth) {
  uint64_t u;
  int64_t i;
  double d;
  bool b;
  std::string s;
  (void)f.toUInt(v, u);
  (void)f.toInt(v, i);
  (void)f.toFloat(v, d);
  (void)f.toBool(v, b);
  (void)f.toString(v, s);
  if (v.type != GgufValueType::ARRAY || depth > 3)
    return;
  GgufValue e;
  for (uint64_t k = 0; k < v.count && k < 64; ++k) {
    XF_FUZZ_CHECK(f.arrayElement(v, k, e), "an element below the count exists");
    touchValue(f, e, depth + 1);
  }
  XF_FUZZ_CHECK(!f.arrayElement(v, v.count, e), "no element at the count");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string err;
  auto f = GgufFile::fromMemory(data, size, err);
  xf::fuzz::note(err);
  XF_FUZZ_CHECK((f != nullptr) == err.empty(), "a result and its message agree");
  if (!f)
    return 0;
  for (const GgufKeyValue &kv : f->metadata()) {
    touchValue(*f, kv.value, 0);
    std::vector<std::string> strings;
    (void)f->getStringArray(kv.key, strings);
  }
  std::vector<float> buffer;
  for (const GgufTensor &t : f->tensors()) {
    const uint8_t *p = f->data(t);
    if (t.nbytes > 0) // an empty tensor occupies nothing; its offset is not checked
      XF_FUZZ_CHECK(p && p >= data && p + t.nbytes <= data + size, "tensor inside the file");
    if (t.numel > (uint64_t(1) << 22))
      continue;
    buffer.assign(size_t(t.numel) + 1, 0.0f);
    std::string why;
    if (!f->readAsF32(t, buffer.data(), why))
      XF_FUZZ_CHECK(!why.empty(), "a refusal says why");
  }
  std::vector<GgufHfTensor> view;
  std::string why;
  if (!llamaHfView(*f, view, why))
    XF_FUZZ_CHECK(!why.empty(), "a refusal says why");
  nlohmann::json config;
  why.clear();
  if (!ggufLlamaConfig(*f, config, why))
    XF_FUZZ_CHECK(!why.empty(), "a refusal says why");
  else
    XF_FUZZ_CHECK(config.is_object(), "a config is an object");
  return 0;
}
