// Unit tests for the GGUF reader (Gguf.h) and the Hugging Face view of a
// llama GGUF that Checkpoint gives. The format is pinned with hand-built
// bytes of known meaning: little-endian fields appended one by one (u32
// value types, u64 lengths and counts, innermost-first dims), literal f16
// bit patterns and literal quantised blocks whose dequantised values are
// worked out by hand below, not with output of a GGUF writer of ours.
// Broken or hostile input must give false plus a message naming the field.
#include "frontend/readers/Checkpoint.h"
#include "frontend/readers/Gguf.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

using namespace xf::readers;
namespace fs = std::filesystem;

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

namespace {

// Value type ids (gguf_metadata_value_type) and ggml type ids, as in the spec.
enum : uint32_t { U8 = 0, I8, U16, I16, U32, I32, F32V, BOOL, STRING, ARRAY, U64, I64, F64 };
enum : uint32_t { GF32 = 0, GF16 = 1, GQ4_0 = 2, GQ8_0 = 8, GQ4_K = 12 };

// Little-endian field appender for hand-built images.
struct Bytes {
  std::string s;
  Bytes &u8(uint8_t v) {
    s += char(v);
    return *this;
  }
  Bytes &u16(uint16_t v) { return u8(v & 0xFF).u8(v >> 8); }
  Bytes &u32(uint32_t v) {
    for (int i = 0; i < 4; ++i)
      s += char((v >> (8 * i)) & 0xFF);
    return *this;
  }
  Bytes &u64(uint64_t v) {
    for (int i = 0; i < 8; ++i)
      s += char((v >> (8 * i)) & 0xFF);
    return *this;
  }
  Bytes &f32(float f) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    return u32(b);
  }
  Bytes &f64(double d) {
    uint64_t b;
    std::memcpy(&b, &d, 8);
    return u64(b);
  }
  Bytes &str(const std::string &t) { // gguf_string_t: u64 length, bytes
    u64(t.size());
    s += t;
    return *this;
  }
  Bytes &raw(const std::string &t) {
    s += t;
    return *this;
  }
  // Key-value helpers: key string, u32 value type, value.
  Bytes &kvStr(const std::string &k, const std::string &v) { return str(k).u32(STRING).str(v); }
  Bytes &kvU32(const std::string &k, uint32_t v) { return str(k).u32(U32).u32(v); }
  Bytes &kvF32(const std::string &k, float v) { return str(k).u32(F32V).f32(v); }
  // Tensor info: name, n_dims, dims (innermost first), ggml type, offset.
  Bytes &info(const std::string &name, std::vector<uint64_t> dims, uint32_t type,
              uint64_t offset) {
    str(name).u32(uint32_t(dims.size()));
    for (uint64_t d : dims)
      u64(d);
    return u32(type).u64(offset);
  }
};

// "GGUF", version, tensor count, kv count, then `kvs` and `infos`, zero
// padding to `align`, then `data`.
std::string image(uint64_t nTensors, uint64_t nKv, const Bytes &kvs, const Bytes &infos,
                  const std::string &data, size_t align = 32, uint32_t version = 3) {
  Bytes b;
  b.raw("GGUF").u32(version).u64(nTensors).u64(nKv).raw(kvs.s).raw(infos.s);
  while (b.s.size() % align)
    b.u8(0);
  return b.s + data;
}

std::unique_ptr<GgufFile> parse(const std::string &img, std::string &err) {
  return GgufFile::fromMemory(reinterpret_cast<const uint8_t *>(img.data()), img.size(), err);
}

std::string rejection(const std::string &img) {
  std::string err;
  EXPECT_FALSE(parse(img, err));
  EXPECT_FALSE(err.empty());
  return err;
}

// Q4_0 block: f16 d = 0x3800 (0.5); byte j = j | (15 - j) << 4, so element j
// (low nibble) = (j - 8) * 0.5 and element j + 16 (high nibble) = (7 - j) * 0.5.
const std::string kQ4Block = std::string("\x00\x38", 2) +
                             std::string("\xF0\xE1\xD2\xC3\xB4\xA5\x96\x87"
                                         "\x78\x69\x5A\x4B\x3C\x2D\x1E\x0F",
                                         16);
// Q8_0 block: f16 d = 0x4000 (2.0); q[0] = 0x80 (-128), q[j] = j - 16 for
// j = 1..30, q[31] = 0x7F (127); element j = 2 * q[j].
std::string q8Block() {
  std::string b("\x00\x40", 2);
  b += char(0x80);
  for (int j = 1; j < 31; ++j)
    b += char(int8_t(j - 16));
  b += char(0x7F);
  return b;
}

// The file the format tests read: metadata of every type, then tensors
//   q4 Q4_0 [32] @0, q8 Q8_0 [32] @32, h F16 [3] @96, m F32 [3, 2] @128.
std::string fullImage() {
  Bytes kv;
  kv.kvStr("general.architecture", "llama")
      .kvU32("general.alignment", 32)
      .str("t.u8").u32(U8).u8(200)
      .str("t.i8").u32(I8).u8(0xFB) // -5
      .str("t.u16").u32(U16).u16(60000)
      .str("t.i16").u32(I16).u16(uint16_t(-300))
      .str("t.u32").u32(U32).u32(4000000000u)
      .str("t.i32").u32(I32).u32(uint32_t(-7))
      .kvF32("t.f32", 0.5f)
      .str("t.bool").u32(BOOL).u8(1)
      .str("t.u64").u32(U64).u64(uint64_t(1) << 40)
      .str("t.i64").u32(I64).u64(uint64_t(-(int64_t(1) << 40)))
      .str("t.f64").u32(F64).f64(0.25)
      .str("t.tokens").u32(ARRAY).u32(STRING).u64(3).str("a").str("bc").str("")
      .str("t.nested").u32(ARRAY).u32(ARRAY).u64(2)
      .u32(U16).u64(2).u16(1).u16(2) // [1, 2]
      .u32(U16).u64(1).u16(3);       // [3]
  Bytes ti;
  ti.info("q4", {32}, GQ4_0, 0).info("q8", {32}, GQ8_0, 32).info("h", {3}, GF16, 96)
      .info("m", {3, 2}, GF32, 128);
  std::string data = kQ4Block + std::string(32 - 18, '\0') + q8Block() +
                     std::string(96 - 66, '\0') +
                     std::string("\x00\x3C\x00\xC0\x55\x35", 6) + // f16 1.0, -2.0, 0.333251953125
                     std::string(128 - 102, '\0');
  Bytes m;
  for (int i = 1; i <= 6; ++i)
    m.f32(float(i));
  return image(4, 15, kv, ti, data + m.s);
}

class GgufTempDir : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/xf-gguf-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string put(const std::string &name, const std::string &content) {
    std::string p = dir + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  std::string dir;
};

} // namespace

TEST(Gguf, MinimalLiteralHeader) {
  // "GGUF", version 3, 0 tensors, 0 metadata pairs: 24 literal bytes.
  const std::string v3("GGUF\x03\0\0\0" "\0\0\0\0\0\0\0\0" "\0\0\0\0\0\0\0\0", 24);
  std::string err;
  auto f = parse(v3, err);
  ASSERT_TRUE(f) << err;
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->alignment(), 32u); // the default
  EXPECT_EQ(f->dataStart(), 32u); // 24 rounded up
  EXPECT_TRUE(f->tensors().empty());
  EXPECT_TRUE(f->metadata().empty());
  std::string v2 = v3;
  v2[4] = 2;
  ASSERT_TRUE(parse(v2, err)) << err;
}

TEST(Gguf, MetadataOfEveryType) {
  std::string img = fullImage(), err, s;
  auto f = parse(img, err);
  ASSERT_TRUE(f) << err;
  ASSERT_EQ(f->metadata().size(), 15u);
  EXPECT_EQ(f->metadata()[2].key, "t.u8"); // file order
  uint64_t u = 0;
  int64_t i = 0;
  double d = 0;
  bool b = false;
  ASSERT_TRUE(f->getString("general.architecture", s));
  EXPECT_EQ(s, "llama");
  EXPECT_TRUE(f->getUInt("t.u8", u) && u == 200);
  EXPECT_TRUE(f->getInt("t.i8", i) && i == -5);
  EXPECT_FALSE(f->getUInt("t.i8", u)); // negative
  EXPECT_TRUE(f->getUInt("t.u16", u) && u == 60000);
  EXPECT_TRUE(f->getInt("t.i16", i) && i == -300);
  EXPECT_TRUE(f->getUInt("t.u32", u) && u == 4000000000u);
  EXPECT_TRUE(f->getInt("t.i32", i) && i == -7);
  EXPECT_TRUE(f->getFloat("t.f32", d) && d == 0.5);
  EXPECT_TRUE(f->getBool("t.bool", b) && b);
  EXPECT_TRUE(f->getUInt("t.u64", u) && u == (uint64_t(1) << 40));
  EXPECT_TRUE(f->getInt("t.i64", i) && i == -(int64_t(1) << 40));
  EXPECT_TRUE(f->getFloat("t.f64", d) && d == 0.25);
  EXPECT_TRUE(f->getFloat("t.u32", d) && d == 4e9); // integers read as numbers too
  EXPECT_FALSE(f->getString("t.u8", s));            // no conversions to/from strings
  EXPECT_FALSE(f->getUInt("general.architecture", u));
  EXPECT_FALSE(f->getUInt("absent", u));
  EXPECT_EQ(f->findMeta("absent"), nullptr);
  EXPECT_EQ(f->findMeta("t.f64")->type, GgufValueType::F64);
  EXPECT_STREQ(ggufValueTypeName(GgufValueType::BOOL), "bool");

  std::vector<std::string> tokens;
  ASSERT_TRUE(f->getStringArray("t.tokens", tokens));
  EXPECT_EQ(tokens, (std::vector<std::string>{"a", "bc", ""}));
  GgufValueType elem;
  uint64_t count = 0;
  ASSERT_TRUE(f->getArrayInfo("t.tokens", elem, count));
  EXPECT_EQ(elem, GgufValueType::STRING);
  EXPECT_EQ(count, 3u);
  GgufValue e;
  ASSERT_TRUE(f->arrayElement(*f->findMeta("t.tokens"), 1, e));
  EXPECT_TRUE(f->toString(e, s) && s == "bc");
  EXPECT_FALSE(f->arrayElement(*f->findMeta("t.tokens"), 3, e));

  // Nested: [[1, 2], [3]] of u16.
  const GgufValue *nested = f->findMeta("t.nested");
  ASSERT_TRUE(nested);
  EXPECT_EQ(nested->elemType, GgufValueType::ARRAY);
  GgufValue inner, x;
  ASSERT_TRUE(f->arrayElement(*nested, 1, inner));
  EXPECT_EQ(inner.count, 1u);
  EXPECT_EQ(inner.elemType, GgufValueType::U16);
  ASSERT_TRUE(f->arrayElement(inner, 0, x));
  EXPECT_TRUE(f->toUInt(x, u) && u == 3);
  ASSERT_TRUE(f->arrayElement(*nested, 0, inner));
  ASSERT_TRUE(f->arrayElement(inner, 1, x));
  EXPECT_TRUE(f->toUInt(x, u) && u == 2);
}

TEST(Gguf, TensorInfosAndDequantisation) {
  std::string img = fullImage(), err;
  auto f = parse(img, err);
  ASSERT_TRUE(f) << err;
  ASSERT_EQ(f->tensors().size(), 4u);
  EXPECT_EQ(f->alignment(), 32u);
  EXPECT_EQ(f->dataStart() % 32, 0u);
  EXPECT_EQ(f->dataStart() + 128 + 24, img.size());

  const GgufTensor *q4 = f->findTensor("q4");
  ASSERT_TRUE(q4);
  EXPECT_EQ(q4->type, GgmlType::Q4_0);
  EXPECT_EQ(q4->nbytes, 18u);
  EXPECT_EQ(q4->numel, 32u);
  EXPECT_EQ(f->data(*q4)[0], 0x00);
  EXPECT_EQ(f->data(*q4)[1], 0x38);
  float v[32];
  ASSERT_TRUE(f->readAsF32(*q4, v, err)) << err;
  EXPECT_EQ(v[0], -4.0f);  // low nibble of byte 0 (0x0): (0 - 8) * 0.5
  EXPECT_EQ(v[16], 3.5f);  // high nibble of byte 0 (0xF): (15 - 8) * 0.5
  EXPECT_EQ(v[15], 3.5f);  // low nibble of byte 15 (0xF)
  EXPECT_EQ(v[31], -4.0f); // high nibble of byte 15 (0x0)
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(v[j], (j - 8) * 0.5f) << j;
    EXPECT_EQ(v[j + 16], (7 - j) * 0.5f) << j;
  }

  const GgufTensor *q8 = f->findTensor("q8");
  ASSERT_TRUE(q8);
  EXPECT_EQ(q8->nbytes, 34u);
  ASSERT_TRUE(f->readAsF32(*q8, v, err)) << err;
  EXPECT_EQ(v[0], -256.0f); // 2 * -128
  EXPECT_EQ(v[1], -30.0f);  // 2 * (1 - 16)
  EXPECT_EQ(v[16], 0.0f);
  EXPECT_EQ(v[30], 28.0f);
  EXPECT_EQ(v[31], 254.0f); // 2 * 127

  const GgufTensor *h = f->findTensor("h");
  ASSERT_TRUE(h);
  ASSERT_TRUE(f->readAsF32(*h, v, err)) << err;
  EXPECT_EQ(v[0], 1.0f);
  EXPECT_EQ(v[1], -2.0f);
  EXPECT_EQ(v[2], 0.333251953125f);

  const GgufTensor *m = f->findTensor("m");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->dims, (std::vector<uint64_t>{3, 2})); // innermost first, as stored
  EXPECT_EQ(m->numel, 6u);
  ASSERT_TRUE(f->readAsF32(*m, v, err)) << err;
  EXPECT_EQ(std::vector<float>(v, v + 6), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(f->findTensor("nope"), nullptr);

  EXPECT_STREQ(ggmlTypeName(12), "Q4_K");
  EXPECT_STREQ(ggmlTypeName(30), "BF16");
  EXPECT_EQ(ggmlTypeName(4), nullptr);
  EXPECT_EQ(ggmlTypeName(1000), nullptr);
}

TEST(Gguf, AlignmentFromMetadata) {
  // general.alignment 64: the data section starts at the next multiple of 64.
  Bytes kv, ti;
  kv.kvU32("general.alignment", 64);
  ti.info("x", {2}, GF32, 64);
  Bytes d;
  d.raw(std::string(64, '\0')).f32(7.0f).f32(-1.0f);
  std::string err, img = image(1, 1, kv, ti, d.s, 64);
  auto f = parse(img, err);
  ASSERT_TRUE(f) << err;
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->dataStart(), 128u); // 24 + 33 + 33 = 90, rounded up to 64 * 2
  float v[2];
  ASSERT_TRUE(f->readAsF32(f->tensors()[0], v, err)) << err;
  EXPECT_EQ(v[0], 7.0f);
  EXPECT_EQ(v[1], -1.0f);
}

// Each malformed image must be rejected with a message containing the part given.
TEST(GgufReject, MalformedFiles) {
  const std::string good = fullImage();
  Bytes none;
  auto one = [](const std::string &name, std::vector<uint64_t> dims, uint32_t type,
                uint64_t offset) {
    Bytes b;
    b.info(name, std::move(dims), type, offset);
    return b;
  };
  std::string f32x4(16, '\0');
  // Header.
  EXPECT_HAS(rejection("GGUX" + good.substr(4)), "not a GGUF file");
  EXPECT_HAS(rejection(""), "file is 0 bytes");
  EXPECT_HAS(rejection(good.substr(0, 10)), "too short to hold the 24-byte GGUF header");
  EXPECT_HAS(rejection(image(0, 0, none, none, "", 32, 1)), "GGUF version 1 is not supported");
  EXPECT_HAS(rejection(image(0, 0, none, none, "", 32, 0x03000000)),
             "big-endian GGUF files are not supported");
  EXPECT_HAS(rejection(image(3000000000ull, 0, none, none, "")),
             "tensor count 3000000000 exceeds the limit of 16777216");
  EXPECT_HAS(rejection(image(0, uint64_t(1) << 62, none, none, "")),
             "metadata count 4611686018427387904 exceeds the limit of 1048576");
  // Counts below the limits must still fit in the file (24 and 13 bytes each at least).
  EXPECT_HAS(rejection(image(1000, 0, none, none, std::string(1000, '\0'))),
             "tensor count 1000 cannot fit in the 1032-byte file");
  EXPECT_HAS(rejection(image(0, 100, none, none, std::string(1000, '\0'))),
             "metadata count 100 cannot fit in the 1032-byte file");
  EXPECT_HAS(rejection(image(30, 30, none, none, std::string(1000, '\0'))),
             "tensor count 30 and metadata count 30 cannot both fit");
  // Truncated anywhere: the last tensor's data, the infos, the metadata.
  EXPECT_HAS(rejection(good.substr(0, good.size() - 1)),
             "tensor 'm': data at offset 128 (24 bytes) runs past the end of the file");
  for (size_t cut = 24; cut < good.size(); cut += 7)
    rejection(good.substr(0, cut));

  // Metadata.
  {
    Bytes kv;
    kv.str("k").u32(STRING).u64(1000).raw("abc");
    EXPECT_HAS(rejection(image(0, 1, kv, none, "")),
               "metadata 'k': string length 1000 runs past the end of the file");
  }
  {
    Bytes kv;
    kv.u64(5000).raw("abc");
    EXPECT_HAS(rejection(image(0, 1, kv, none, "")),
               "metadata entry 0 key: length 5000 runs past the end of the file");
  }
  {
    Bytes kv;
    kv.str("k").u32(13).u32(0);
    EXPECT_HAS(rejection(image(0, 1, kv, none, "")), "metadata 'k': has unknown value type 13");
  }
  {
    Bytes kv;
    kv.str("k").u32(BOOL).u8(2);
    EXPECT_HAS(rejection(image(0, 1, kv, none, "")), "bool value is 2");
  }
  {
    Bytes kv;
    kv.str("k").u32(ARRAY).u32(U32).u64(uint64_t(1) << 60);
    EXPECT_HAS(rejection(image(0, 1, kv, none, "")), "array of 1152921504606846976 u32 elements");
  }
  {
    Bytes kv;
    kv.str("k").u32(ARRAY).u32(STRING).u64(2).str("x").u64(99);
    EXPECT_HAS(rejection(image(0, 1, kv, none, "")),
               "metadata 'k': array element 1: string length 99 runs past the end");
  }
  {
    Bytes kv; // arrays of arrays 20 deep
    kv.str("k").u32(ARRAY);
    for (int i = 0; i < 20; ++i)
      kv.u32(ARRAY).u64(1);
    kv.u32(U8).u64(0);
    EXPECT_HAS(rejection(image(0, 1, kv, none, "")), "arrays nest more than 16 deep");
  }
  {
    Bytes kv;
    kv.kvU32("a", 1).kvU32("a", 2);
    EXPECT_HAS(rejection(image(0, 2, kv, none, "")), "metadata 'a' appears twice");
  }
  // Alignment.
  {
    Bytes kv;
    kv.kvU32("general.alignment", 24);
    EXPECT_HAS(rejection(image(0, 1, kv, none, "")),
               "metadata 'general.alignment' = 24 is not a power of two");
    Bytes kv64;
    kv64.str("general.alignment").u32(U64).u64(32);
    EXPECT_HAS(rejection(image(0, 1, kv64, none, "")), "has type u64, expected u32");
  }
  EXPECT_HAS(rejection(image(1, 0, none, one("x", {4}, GF32, 16), std::string(64, '\0'))),
             "tensor 'x': data offset 16 is not a multiple of the alignment 32");
  // Tensor infos.
  EXPECT_HAS(rejection(image(1, 0, none, one("x", {4}, GF32, 4096), f32x4)),
             "tensor 'x': data at offset 4096 (16 bytes) runs past the end of the file");
  EXPECT_HAS(rejection(image(1, 0, none, one("x", {4}, 77, 0), f32x4)),
             "tensor 'x' has unknown ggml type 77");
  EXPECT_HAS(rejection(image(1, 0, none, one("x", {256}, GQ4_K, 0), std::string(144, '\0'))),
             "tensor 'x' has ggml type Q4_K (12), which is not supported");
  EXPECT_HAS(rejection(image(1, 0, none, one("x", {16}, GQ4_0, 0), std::string(18, '\0'))),
             "tensor 'x': Q4_0 needs the innermost dimension (ne0 = 16) to be a multiple of 32");
  EXPECT_HAS(rejection(image(1, 0, none, one("x", {1, 1, 1, 1, 1}, GF32, 0), f32x4)),
             "tensor 'x' has 5 dimensions (at most 4 allowed)");
  EXPECT_HAS(rejection(image(1, 0, none, one("x", {uint64_t(1) << 32, uint64_t(1) << 32}, GF32, 0),
                             f32x4)),
             "have too many elements");
  {
    Bytes ti;
    ti.info("x", {4}, GF32, 0).info("x", {4}, GF32, 32);
    EXPECT_HAS(rejection(image(2, 0, none, ti, std::string(64, '\0'))), "tensor 'x' appears twice");
    Bytes ov;
    ov.info("a", {16}, GF32, 0).info("b", {4}, GF32, 32);
    EXPECT_HAS(rejection(image(2, 0, none, ov, std::string(64, '\0'))),
               "tensors 'a' and 'b' overlap");
  }
  {
    Bytes ti;
    ti.u64(100000).raw("x");
    EXPECT_HAS(rejection(image(1, 0, none, ti, "")), "tensor info 0 name: length 100000 runs past");
  }
}

// Random truncations and byte mutations of a valid image must never crash
// (build with -fsanitize=address,undefined to check memory use).
TEST(GgufReject, MutatedFilesNeverCrash) {
  const std::string good = fullImage();
  std::mt19937 rng(4321);
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string img = good;
    for (int e = 1 + int(rng() % 4); e > 0 && !img.empty(); --e) {
      size_t at = rng() % img.size();
      if (rng() % 8 == 0)
        img.resize(at);
      else
        img[at] = char(rng());
    }
    std::string err;
    auto f = parse(img, err);
    if (!f)
      continue;
    ++accepted;
    std::vector<float> out;
    for (const GgufTensor &t : f->tensors()) {
      ASSERT_LE(f->dataStart() + t.offset + t.nbytes, img.size());
      out.resize(t.numel);
      ASSERT_TRUE(f->readAsF32(t, out.data(), err)) << err;
    }
    std::vector<std::string> strs;
    f->getStringArray("t.tokens", strs);
    GgufValue e;
    if (const GgufValue *n = f->findMeta("t.nested"))
      f->arrayElement(*n, 1, e);
  }
  EXPECT_GT(accepted, 0); // mutations of the data bytes still parse
}

// llama.cpp's converter: W.reshape(nHead, 2, rows / nHead / 2, cols).swapaxes(1, 2)
// .reshape(rows, cols), written out with indices: new[h][i][s] = old[h][s][i].
std::vector<float> permuteLikeLlamaCpp(const std::vector<float> &w, size_t rows, size_t cols,
                                       size_t nHead) {
  const size_t half = rows / nHead / 2;
  std::vector<float> out(w.size());
  for (size_t h = 0; h < nHead; ++h)
    for (size_t s = 0; s < 2; ++s)
      for (size_t i = 0; i < half; ++i)
        for (size_t c = 0; c < cols; ++c)
          out[((h * half + i) * 2 + s) * cols + c] = w[((h * 2 + s) * half + i) * cols + c];
  return out;
}

TEST(GgufLlama, UnpermuteQK) {
  // Hand-computed, n_head = 1, one column: HF rows [a, b, c, d] are stored as
  // reshape(1, 2, 2, 1).swapaxes(1, 2) = [a, c, b, d].
  EXPECT_EQ(permuteLikeLlamaCpp({1, 2, 3, 4}, 4, 1, 1), (std::vector<float>{1, 3, 2, 4}));
  std::vector<float> stored = {1, 3, 2, 4};
  ASSERT_TRUE(ggufUnpermuteRows(stored.data(), 4, 1, 1));
  EXPECT_EQ(stored, (std::vector<float>{1, 2, 3, 4}));

  // Round trip on 3 heads of 6 rows, 5 columns.
  const size_t heads = 3, rows = 18, cols = 5;
  std::vector<float> w(rows * cols);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = float(i) * 0.25f - 3.0f;
  std::vector<float> p = permuteLikeLlamaCpp(w, rows, cols, heads);
  EXPECT_NE(p, w);
  EXPECT_EQ(p[1 * cols], w[3 * cols]); // head 0: GGUF row 1 = HF row 3 (s=1, i=0)
  ASSERT_TRUE(ggufUnpermuteRows(p.data(), rows, cols, heads));
  EXPECT_EQ(p, w);

  EXPECT_FALSE(ggufUnpermuteRows(p.data(), 18, 5, 4)); // 18 rows, 4 heads
  EXPECT_FALSE(ggufUnpermuteRows(p.data(), 6, 5, 2));  // odd head size 3
  EXPECT_FALSE(ggufUnpermuteRows(p.data(), 6, 5, 0));
}

TEST(GgufLlama, HfNames) {
  std::string hf;
  const char *cases[][2] = {
      {"token_embd.weight", "model.embed_tokens.weight"},
      {"output_norm.weight", "model.norm.weight"},
      {"output.weight", "lm_head.weight"},
      {"blk.0.attn_q.weight", "model.layers.0.self_attn.q_proj.weight"},
      {"blk.12.attn_k.weight", "model.layers.12.self_attn.k_proj.weight"},
      {"blk.3.attn_v.weight", "model.layers.3.self_attn.v_proj.weight"},
      {"blk.3.attn_output.weight", "model.layers.3.self_attn.o_proj.weight"},
      {"blk.1.ffn_gate.weight", "model.layers.1.mlp.gate_proj.weight"},
      {"blk.1.ffn_up.weight", "model.layers.1.mlp.up_proj.weight"},
      {"blk.1.ffn_down.weight", "model.layers.1.mlp.down_proj.weight"},
      {"blk.1.attn_norm.weight", "model.layers.1.input_layernorm.weight"},
      {"blk.1.ffn_norm.weight", "model.layers.1.post_attention_layernorm.weight"},
  };
  for (const auto &c : cases) {
    ASSERT_TRUE(llamaHfName(c[0], hf)) << c[0];
    EXPECT_EQ(hf, c[1]);
  }
  for (const char *bad : {"rope_freqs.weight", "blk.01.attn_q.weight", "blk..attn_q.weight",
                          "blk.1.attn_q.bias", "blk.-1.attn_q.weight", "blk.1", "blk.1.",
                          "token_embd.weight.x", "blk.1.ffn_gate_inp.weight"})
    EXPECT_FALSE(llamaHfName(bad, hf)) << bad;
}

namespace {

// A one-layer llama GGUF with hand-laid data:
//   token_embd.weight F32 ne [3, 2]  -> HF [2, 3], values 1..6
//   blk.0.attn_q.weight F32 ne [1, 8] (2 heads of 4 rows): HF rows 0..7 stored
//     permuted per head as [0, 2, 1, 3, 4, 6, 5, 7]
//   blk.0.attn_k.weight F32 ne [1, 4] (1 kv head): HF rows 10..13 stored as
//     [10, 12, 11, 13]
//   output_norm.weight F16 ne [3]: 1.0, -2.0, 0.5
// plus extra metadata `moreKv` (`moreCount` pairs) and tensors `moreTi`.
std::string llamaImage(const std::string &arch = "llama", const Bytes &moreKv = Bytes(),
                       uint64_t moreCount = 0) {
  Bytes kv;
  kv.kvStr("general.architecture", arch)
      .kvU32("llama.block_count", 1)
      .kvU32("llama.context_length", 64)
      .kvU32("llama.embedding_length", 8)
      .kvU32("llama.feed_forward_length", 12)
      .kvU32("llama.attention.head_count", 2)
      .kvU32("llama.attention.head_count_kv", 1)
      .kvF32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
      .kvF32("llama.rope.freq_base", 500000.0f)
      .kvU32("llama.rope.dimension_count", 4)
      .kvU32("tokenizer.ggml.eos_token_id", 1)
      .raw(moreKv.s);
  Bytes ti, d;
  ti.info("token_embd.weight", {3, 2}, GF32, 0)
      .info("blk.0.attn_q.weight", {1, 8}, GF32, 32)
      .info("blk.0.attn_k.weight", {1, 4}, GF32, 64)
      .info("output_norm.weight", {3}, GF16, 96);
  for (int i = 1; i <= 6; ++i)
    d.f32(float(i));
  d.raw(std::string(8, '\0'));
  for (float x : {0, 2, 1, 3, 4, 6, 5, 7})
    d.f32(x);
  for (float x : {10, 12, 11, 13})
    d.f32(x);
  d.raw(std::string(16, '\0'));
  d.u16(0x3C00).u16(0xC000).u16(0x3800);
  return image(4, 11 + moreCount, kv, ti, d.s);
}

} // namespace

// Mutated llama files: the HF view and the config never crash either.
TEST(GgufReject, MutatedLlamaFilesNeverCrash) {
  const std::string good = llamaImage();
  std::mt19937 rng(99);
  for (int iter = 0; iter < 20000; ++iter) {
    std::string img = good;
    for (int e = 1 + int(rng() % 3); e > 0 && !img.empty(); --e) {
      size_t at = rng() % img.size();
      if (rng() % 8 == 0)
        img.resize(at);
      else
        img[at] = char(rng());
    }
    std::string err;
    auto f = parse(img, err);
    if (!f)
      continue;
    std::vector<GgufHfTensor> view;
    if (!llamaHfView(*f, view, err))
      view.clear();
    for (const GgufHfTensor &t : view) {
      std::vector<float> out(t.source->numel);
      ASSERT_TRUE(f->readAsF32(*t.source, out.data(), err)) << err;
      if (t.unpermuteHeads) {
        ASSERT_TRUE(ggufUnpermuteRows(out.data(), uint64_t(t.info.shape[0]),
                                      uint64_t(t.info.shape[1]), t.unpermuteHeads));
      }
    }
    nlohmann::json config;
    ggufLlamaConfig(*f, config, err);
  }
}

TEST_F(GgufTempDir, CheckpointPresentsLlamaGgufInHfTerms) {
  std::string err, path = put("tiny.gguf", llamaImage());
  auto ck = Checkpoint::open(path, err);
  ASSERT_TRUE(ck) << err;
  ASSERT_TRUE(ck->gguf());
  EXPECT_EQ(ck->names(), (std::vector<std::string>{
                             "model.embed_tokens.weight", "model.layers.0.self_attn.k_proj.weight",
                             "model.layers.0.self_attn.q_proj.weight", "model.norm.weight"}));
  const TensorInfo *emb = ck->find("model.embed_tokens.weight");
  ASSERT_TRUE(emb);
  EXPECT_EQ(emb->shape, (std::vector<int64_t>{2, 3})); // GGUF [ne0=3, ne1=2] is HF [2, 3]
  EXPECT_EQ(emb->dtype, DType::F32);
  EXPECT_EQ(ck->find("token_embd.weight"), nullptr); // GGUF names are not exposed
  EXPECT_EQ(ck->fileOf("model.embed_tokens.weight"), nullptr);
  float v[8];
  ASSERT_TRUE(ck->readAsF32("model.embed_tokens.weight", v, err)) << err;
  EXPECT_EQ(std::vector<float>(v, v + 6), (std::vector<float>{1, 2, 3, 4, 5, 6}));

  const TensorInfo *q = ck->find("model.layers.0.self_attn.q_proj.weight");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->shape, (std::vector<int64_t>{8, 1}));
  ASSERT_TRUE(ck->readAsF32(q->name, v, err)) << err;
  EXPECT_EQ(std::vector<float>(v, v + 8), (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7}));
  ASSERT_TRUE(ck->readAsF32("model.layers.0.self_attn.k_proj.weight", v, err)) << err;
  EXPECT_EQ(std::vector<float>(v, v + 4), (std::vector<float>{10, 11, 12, 13}));

  const TensorInfo *norm = ck->find("model.norm.weight");
  ASSERT_TRUE(norm);
  EXPECT_EQ(norm->shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(norm->dtype, DType::F32); // stored F16, converted on read
  ASSERT_TRUE(ck->readAsF32("model.norm.weight", v, err)) << err;
  EXPECT_EQ(std::vector<float>(v, v + 3), (std::vector<float>{1.0f, -2.0f, 0.5f}));
  EXPECT_FALSE(ck->readAsF32("lm_head.weight", v, err));
  EXPECT_HAS(err, "'lm_head.weight'");

  nlohmann::json config;
  ASSERT_TRUE(ggufLlamaConfig(*ck, config, err)) << err;
  const nlohmann::json expect = {
      {"architectures", nlohmann::json::array({"LlamaForCausalLM"})},
      {"model_type", "llama"},
      {"hidden_act", "silu"},
      {"num_hidden_layers", 1},
      {"hidden_size", 8},
      {"intermediate_size", 12},
      {"num_attention_heads", 2},
      {"num_key_value_heads", 1},
      {"max_position_embeddings", 64},
      {"rms_norm_eps", 1e-5}, // the f32 1e-5 written as its shortest decimal
      {"rope_theta", 500000.0},
      {"rope_scaling", nullptr},
      {"vocab_size", 2},             // rows of token_embd.weight
      {"tie_word_embeddings", true}, // no output.weight
      {"bos_token_id", nullptr},
      {"eos_token_id", 1},
      {"attention_bias", false},
      {"mlp_bias", false},
      {"torch_dtype", "float32"},
  };
  EXPECT_EQ(config, expect) << config.dump();
}

TEST_F(GgufTempDir, GgufCheckpointAndConfigErrors) {
  std::string err;
  nlohmann::json config;
  // Not llama.
  EXPECT_FALSE(Checkpoint::open(put("a.gguf", llamaImage("gpt2")), err));
  EXPECT_HAS(err, "GGUF architecture 'gpt2' is not supported (supported: llama)");
  // A tensor without an HF counterpart.
  {
    Bytes ti;
    ti.info("rope_freqs.weight", {2}, GF32, 0);
    Bytes kv;
    kv.kvStr("general.architecture", "llama");
    EXPECT_FALSE(Checkpoint::open(put("b.gguf", image(1, 1, kv, ti, std::string(8, '\0'))), err));
    EXPECT_HAS(err, "tensor 'rope_freqs.weight'");
    Bytes ti2;
    ti2.info("blk.0.ffn_gate_inp.weight", {2}, GF32, 0);
    EXPECT_FALSE(Checkpoint::open(put("c.gguf", image(1, 1, kv, ti2, std::string(8, '\0'))), err));
    EXPECT_HAS(err, "tensor 'blk.0.ffn_gate_inp.weight' has no Hugging Face");
  }
  // Q rows that do not split into 2 x heads.
  {
    Bytes kv, ti;
    kv.kvStr("general.architecture", "llama").kvU32("llama.attention.head_count", 3);
    ti.info("blk.0.attn_q.weight", {1, 4}, GF32, 0);
    EXPECT_FALSE(
        Checkpoint::open(put("d.gguf", image(1, 2, kv, ti, std::string(16, '\0'))), err));
    EXPECT_HAS(err, "multiple of 2 x 3 heads");
  }
  // The checkpoint opens, but the config is refused, naming the key.
  struct {
    const char *what;
    Bytes kv;
    uint64_t n;
    const char *part;
  } cases[] = {
      {"yarn", Bytes().kvStr("llama.rope.scaling.type", "yarn"), 1,
       "metadata 'llama.rope.scaling.type' = 'yarn' is not supported"},
      {"linear factor", Bytes().kvF32("llama.rope.scaling.factor", 4.0f), 1,
       "'llama.rope.scaling.factor' = f32 4: rope scaling is not supported"},
      {"experts", Bytes().kvU32("llama.expert_count", 8), 1,
       "mixture-of-experts models are not supported"},
      {"key length", Bytes().kvU32("llama.attention.key_length", 6), 1,
       "'llama.rope.dimension_count' = 4 differs from the head size 6"},
  };
  for (auto &c : cases) {
    SCOPED_TRACE(c.what);
    auto ck = Checkpoint::open(put("e.gguf", llamaImage("llama", c.kv, c.n)), err);
    ASSERT_TRUE(ck) << err;
    EXPECT_FALSE(ggufLlamaConfig(*ck, config, err));
    EXPECT_HAS(err, c.part);
  }
  // Missing and malformed required keys.
  {
    Bytes kv;
    kv.kvStr("general.architecture", "llama");
    std::string img = image(0, 1, kv, Bytes(), "");
    auto f = parse(img, err);
    ASSERT_TRUE(f) << err;
    EXPECT_FALSE(ggufLlamaConfig(*f, config, err));
    EXPECT_HAS(err, "missing metadata 'llama.block_count'");
    Bytes bad;
    bad.kvStr("general.architecture", "llama").kvStr("llama.block_count", "two");
    img = image(0, 2, bad, Bytes(), "");
    f = parse(img, err);
    ASSERT_TRUE(f) << err;
    EXPECT_FALSE(ggufLlamaConfig(*f, config, err));
    EXPECT_HAS(err, "metadata 'llama.block_count' must be a positive integer, got string 'two'");
  }
  // A truncated .gguf fails to open, naming the file.
  EXPECT_FALSE(Checkpoint::open(put("f.gguf", "GGUF"), err));
  EXPECT_HAS(err, "f.gguf: file is 4 bytes, too short to hold the 24-byte GGUF header");
  // A safetensors checkpoint has no GGUF config (and opens as before).
  const std::string header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  auto st = Checkpoint::open(
      put("w.safetensors", std::string(1, char(header.size())) + std::string(7, '\0') + header +
                               std::string(4, '\0')),
      err);
  ASSERT_TRUE(st) << err;
  EXPECT_EQ(st->gguf(), nullptr);
  EXPECT_FALSE(ggufLlamaConfig(*st, config, err));
  EXPECT_HAS(err, "w.safetensors is not a GGUF file");
}
