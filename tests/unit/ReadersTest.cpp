// Unit tests for the checkpoint readers (HalfFloat.h, Safetensors, Checkpoint)
// and the .npy writer. Formats are pinned with hand-built bytes of known
// meaning (literal length bytes, JSON headers, IEEE bit patterns, the exact
// .npy 1.0 header), not with output of a writer of ours. Broken or hostile
// input must give false plus a message naming the tensor or field.
#include "codegen/runtime/Npy.h"
#include "frontend/readers/Checkpoint.h"
#include "frontend/readers/HalfFloat.h"
#include "frontend/readers/Safetensors.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

using namespace xf::readers;
namespace fs = std::filesystem;

#define EXPECT_HAS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

namespace {

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// File image = 8-byte little-endian length of `header`, `header`, `data`.
std::string image(const std::string &header, const std::string &data) {
  std::string len;
  for (int i = 0; i < 8; ++i)
    len += char((uint64_t(header.size()) >> (8 * i)) & 0xFF);
  return len + header + data;
}

bool parse(const std::string &file, std::vector<TensorInfo> &out, std::string &err) {
  uint64_t dataStart = 0;
  return parseSafetensors(reinterpret_cast<const uint8_t *>(file.data()), file.size(), out,
                          dataStart, err);
}

// Parses an image that must be rejected and returns the message.
std::string rejection(const std::string &img) {
  std::vector<TensorInfo> out;
  std::string err;
  EXPECT_FALSE(parse(img, out, err));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(err.empty());
  return err;
}

// Literal image: a 2x2 F32 tensor "w" plus __metadata__. 88 = 0x58.
const std::string kF32Header =
    R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"__metadata__":{"format":"pt"}})";
const std::string kF32File = std::string("\x58\0\0\0\0\0\0\0", 8) + kF32Header +
                             std::string("\x00\x00\x80\x3F"  // 1.0f
                                         "\x00\x00\x20\xC0"  // -2.5f
                                         "\x00\x00\x00\x3F"  // 0.5f
                                         "\x00\x00\x40\x40", // 3.0f
                                         16);

// Literal image: F16 "h" (5 elements) then BF16 "b" (3 elements). 111 = 0x6F.
const std::string kHalfHeader = R"({"h":{"dtype":"F16","shape":[5],"data_offsets":[0,10]},)"
                                R"("b":{"dtype":"BF16","shape":[3],"data_offsets":[10,16]}})";
const std::string kHalfFile = std::string("\x6F\0\0\0\0\0\0\0", 8) + kHalfHeader +
                              std::string("\x00\x3C"  // F16 1.0
                                          "\x00\xC0"  // F16 -2.0
                                          "\x01\x00"  // F16 smallest subnormal 2^-24
                                          "\x00\x7C"  // F16 +inf
                                          "\x00\x7E"  // F16 NaN
                                          "\x80\x3F"  // BF16 1.0
                                          "\x40\xC0"  // BF16 -3.0
                                          "\x49\x40", // BF16 3.140625
                                          16);

class TempDir : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/xf-readers-XXXXXX";
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

TEST(HalfFloat, KnownBitPatterns) {
  EXPECT_EQ(halfToFloat(0x3C00), 1.0f);
  EXPECT_EQ(halfToFloat(0xC000), -2.0f);
  EXPECT_EQ(halfToFloat(0x3555), 0.333251953125f);
  EXPECT_EQ(halfToFloat(0x7BFF), 65504.0f);                 // largest finite
  EXPECT_EQ(halfToFloat(0x0400), std::ldexp(1.0f, -14));    // smallest normal
  EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24));    // smallest subnormal
  EXPECT_EQ(halfToFloat(0x03FF), std::ldexp(1023.0f, -24)); // largest subnormal
  EXPECT_EQ(halfToFloat(0x8001), -std::ldexp(1.0f, -24));
  EXPECT_EQ(halfToFloat(0x0000), 0.0f);
  EXPECT_TRUE(std::signbit(halfToFloat(0x8000)));
  EXPECT_EQ(halfToFloat(0x7C00), INFINITY);
  EXPECT_EQ(halfToFloat(0xFC00), -INFINITY);
  EXPECT_TRUE(std::isnan(halfToFloat(0x7E00)));
  EXPECT_TRUE(std::isnan(halfToFloat(0x7C01)));
  EXPECT_EQ(bfloat16ToFloat(0x3F80), 1.0f);
  EXPECT_EQ(bfloat16ToFloat(0xC040), -3.0f);
  EXPECT_EQ(bfloat16ToFloat(0x7F80), INFINITY);
  EXPECT_TRUE(std::isnan(bfloat16ToFloat(0x7FC0)));
}

TEST(Safetensors, ParsesLiteralF32File) {
  ASSERT_EQ(kF32Header.size(), 0x58u);
  std::vector<uint8_t> img(kF32File.begin(), kF32File.end());
  std::vector<TensorInfo> ts;
  uint64_t dataStart = 0;
  std::string err;
  ASSERT_TRUE(parseSafetensors(img.data(), img.size(), ts, dataStart, err)) << err;
  EXPECT_EQ(dataStart, 8u + 0x58u);
  ASSERT_EQ(ts.size(), 1u); // __metadata__ is not a tensor
  EXPECT_EQ(ts[0].name, "w");
  EXPECT_EQ(ts[0].dtype, DType::F32);
  EXPECT_EQ(ts[0].shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(ts[0].numel(), 4);
  EXPECT_EQ(ts[0].begin, 0u);
  EXPECT_EQ(ts[0].end, 16u);
  EXPECT_STREQ(dtypeName(DType::BF16), "BF16");
  EXPECT_EQ(dtypeSize(DType::F64), 8u);
  EXPECT_EQ(dtypeSize(DType::BOOL), 1u);
}

TEST_F(TempDir, ReadsF32F16BF16Values) {
  std::string err;
  auto f = SafetensorsFile::open(put("a.safetensors", kF32File), err);
  ASSERT_TRUE(f) << err;
  const TensorInfo *w = f->find("w");
  ASSERT_TRUE(w);
  EXPECT_EQ(f->find("nope"), nullptr);
  EXPECT_EQ(f->data(*w)[3], 0x3F); // last byte of 1.0f
  float v[4];
  ASSERT_TRUE(f->readAsF32(*w, v, err)) << err;
  EXPECT_EQ(std::vector<float>(v, v + 4), (std::vector<float>{1.0f, -2.5f, 0.5f, 3.0f}));

  ASSERT_EQ(kHalfHeader.size(), 0x6Fu);
  auto g = SafetensorsFile::open(put("b.safetensors", kHalfFile), err);
  ASSERT_TRUE(g) << err;
  ASSERT_EQ(g->tensors().size(), 2u);
  EXPECT_EQ(g->tensors()[0].name, "h"); // ordered by data offset
  const TensorInfo *h = g->find("h"), *b = g->find("b");
  ASSERT_TRUE(h && b);
  float hv[5], bv[3];
  ASSERT_TRUE(g->readAsF32(*h, hv, err)) << err;
  EXPECT_EQ(hv[0], 1.0f);
  EXPECT_EQ(hv[1], -2.0f);
  EXPECT_EQ(hv[2], std::ldexp(1.0f, -24));
  EXPECT_NEAR(hv[2], 5.96e-8f, 1e-10f);
  EXPECT_EQ(hv[3], INFINITY);
  EXPECT_TRUE(std::isnan(hv[4]));
  ASSERT_TRUE(g->readAsF32(*b, bv, err)) << err;
  EXPECT_EQ(std::vector<float>(bv, bv + 3), (std::vector<float>{1.0f, -3.0f, 3.140625f}));
}

TEST_F(TempDir, ErrorsNameFileAndTensor) {
  std::string err;
  auto f = SafetensorsFile::open(
      put("i.safetensors", image(R"({"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})",
                                 std::string(8, '\0'))),
      err);
  ASSERT_TRUE(f) << err;
  float x;
  EXPECT_FALSE(f->readAsF32(*f->find("ids"), &x, err)); // only float dtypes convert
  EXPECT_HAS(err, "tensor 'ids' in " + dir + "/i.safetensors has dtype I64");
  std::string missing = dir + "/missing.safetensors";
  EXPECT_FALSE(SafetensorsFile::open(missing, err));
  EXPECT_EQ(err.rfind(missing, 0), 0u) << err;
  EXPECT_HAS(err, "No such file or directory");
  std::string truncated = put("t.safetensors", kF32File.substr(0, kF32File.size() - 1));
  EXPECT_FALSE(SafetensorsFile::open(truncated, err));
  EXPECT_EQ(err.rfind(truncated, 0), 0u) << err;
  EXPECT_HAS(err, "'w'");
  std::string empty = put("e.safetensors", "");
  EXPECT_FALSE(SafetensorsFile::open(empty, err));
  EXPECT_EQ(err.rfind(empty, 0), 0u) << err;
  EXPECT_FALSE(SafetensorsFile::open(dir, err));
  EXPECT_HAS(err, "directory");
}

// Each malformed file must be rejected with a message containing the part given.
TEST(SafetensorsReject, MalformedFiles) {
  // clang-format off
  EXPECT_HAS(rejection(std::string("\x58\0\0\0\0", 5)), "file is 5 bytes"); // truncated
  EXPECT_HAS(rejection(""), "file is 0 bytes");
  EXPECT_HAS(rejection(std::string("\x64\0\0\0\0\0\0\0{}", 10)), "header length 100 runs past");
  EXPECT_HAS(rejection(std::string("\0\0\0\0\0\0\0\x80{}", 10)), "exceeds the 100 MiB limit");
  EXPECT_HAS(rejection(image(std::string(999, '[') + std::string(999, ']'), "")),
             "header nests JSON more than 64 levels deep");
  // Literal JSON header, size of the (zero) data section, expected message part.
  const struct { const char *what, *header; size_t dataBytes; const char *part; } json[] = {
    {"data_offsets past end", R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4,
     "tensor 'x': data_offsets [0, 8] run past the end of the 4-byte data section"},
    {"data_offsets reversed", R"({"x":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}})", 4,
     "tensor 'x': data_offsets [4, 0] end before they begin"},
    {"data_offsets negative", R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,-4]}})", 4,
     "tensor 'x': 'data_offsets' is not an array of two non-negative integers"},
    {"overlapping tensors", R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                            R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12,
     "tensors 'a' [0, 8] and 'b' [4, 12] overlap"},
    {"same range twice", R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                         R"("b":{"dtype":"I8","shape":[4],"data_offsets":[0,4]}})", 4, "overlap"},
    {"unknown dtype", R"({"x":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}})", 4,
     "tensor 'x': unknown dtype 'F8_E4M3'"},
    {"dtype not a string", R"({"x":{"dtype":7,"shape":[1],"data_offsets":[0,1]}})", 4,
     "tensor 'x': 'dtype' is not a string"},
    {"missing dtype", R"({"x":{"shape":[1],"data_offsets":[0,1]}})", 4, "missing 'dtype'"},
    {"negative shape", R"({"x":{"dtype":"F32","shape":[2,-3],"data_offsets":[0,0]}})", 0,
     "tensor 'x': shape dimension 1 is negative (-3)"},
    {"fractional shape", R"({"x":{"dtype":"F32","shape":[2.5],"data_offsets":[0,0]}})", 0,
     "tensor 'x': shape dimension 0 is not an integer"},
    {"numel overflow", R"({"x":{"dtype":"F32","shape":[4294967296,4294967296],)"
                       R"("data_offsets":[0,0]}})", 0, "too many elements"},
    {"non-JSON header", "not json", 0, "header is not valid JSON"},
    {"header not an object", "[1,2]", 0, "header is not a JSON object"},
    {"entry not an object", R"({"x":1})", 0, "tensor 'x': entry is not a JSON object"},
    {"metadata not strings", R"({"__metadata__":{"a":1}})", 0, "'__metadata__' entry 'a'"},
    {"invalid UTF-8 key", "{\"\\u0001\xFF\":1}", 0, "header is not valid JSON"},
  };
  // clang-format on
  for (const auto &c : json) {
    SCOPED_TRACE(c.what);
    EXPECT_HAS(rejection(image(c.header, std::string(c.dataBytes, '\0'))), c.part);
  }
}

TEST(SafetensorsReject, MismatchedSizeMessage) {
  EXPECT_EQ(rejection(image(R"({"h.0.attn.c_attn.weight":{"dtype":"F32","shape":[4,8],)"
                            R"("data_offsets":[0,96]}})",
                            std::string(128, '\0'))),
            "tensor 'h.0.attn.c_attn.weight': data_offsets [0, 96] do not match shape [4, 8] "
            "of F32 (128 bytes)");
}

TEST(Safetensors, EmptyTensorsOverlapNothing) {
  std::vector<TensorInfo> ts;
  std::string err;
  EXPECT_TRUE(parse(image(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
                          R"("z":{"dtype":"F32","shape":[0,3],"data_offsets":[2,2]}})",
                          std::string(4, '\0')),
                    ts, err))
      << err;
}

// Random truncations and byte mutations of valid files must never crash
// (build this test with -fsanitize=address,undefined to check memory use).
TEST(SafetensorsReject, MutatedFilesNeverCrash) {
  std::mt19937 rng(12345);
  for (int iter = 0; iter < 6000; ++iter) {
    const std::string &file = iter % 2 ? kF32File : kHalfFile;
    std::vector<uint8_t> img(file.begin(), file.end());
    for (int e = 1 + int(rng() % 4); e > 0 && !img.empty(); --e) {
      size_t at = rng() % img.size();
      if (rng() % 5 == 0)
        img.resize(at);
      else
        img[at] = uint8_t(rng());
    }
    std::vector<TensorInfo> ts;
    uint64_t start = 0;
    std::string err;
    if (!parseSafetensors(img.data(), img.size(), ts, start, err))
      continue;
    for (const TensorInfo &t : ts)
      ASSERT_LE(t.end, img.size() - start);
  }
}

TEST_F(TempDir, CheckpointWithIndexAndTwoShards) {
  put("shard-1.safetensors", kF32File);
  put("shard-2.safetensors", kHalfFile);
  put("model.safetensors.index.json",
      R"({"metadata":{"total_size":32},"weight_map":{"w":"shard-1.safetensors",)"
      R"("h":"shard-2.safetensors","b":"shard-2.safetensors"}})");
  std::string err;
  auto ck = Checkpoint::open(dir, err);
  ASSERT_TRUE(ck) << err;
  EXPECT_EQ(ck->names(), (std::vector<std::string>{"b", "h", "w"}));
  EXPECT_EQ(ck->path(), dir);
  ASSERT_TRUE(ck->find("w"));
  EXPECT_EQ(ck->find("h")->dtype, DType::F16);
  EXPECT_EQ(ck->find("zz"), nullptr);
  float w[4], b[3];
  ASSERT_TRUE(ck->readAsF32("w", w, err)) << err;
  EXPECT_EQ(w[1], -2.5f);
  ASSERT_TRUE(ck->readAsF32("b", b, err)) << err;
  EXPECT_EQ(b[1], -3.0f);
  EXPECT_FALSE(ck->readAsF32("zz", w, err));
  EXPECT_HAS(err, "'zz'");

  // The index file itself, and a single shard, open too.
  ASSERT_TRUE(Checkpoint::open(dir + "/model.safetensors.index.json", err)) << err;
  auto one = Checkpoint::open(dir + "/shard-1.safetensors", err);
  ASSERT_TRUE(one) << err;
  EXPECT_EQ(one->names(), (std::vector<std::string>{"w"}));
}

TEST_F(TempDir, CheckpointIndexErrors) {
  put("shard-1.safetensors", kF32File);
  const char *cases[][2] = {
      // index text, expected message part
      {R"({"weight_map":{"w":"shard-9.safetensors"}})", "shard-9.safetensors listed in"},
      {R"({"weight_map":{"w":"shard-1.safetensors","q":"shard-1.safetensors"}})",
       "maps tensor 'q' to"},
      {R"({"metadata":{}})", "has no \"weight_map\" object"},
      {R"({"weight_map":{}})", "has an empty \"weight_map\""},
      {R"({"weight_map":{"w":"/abs.safetensors"}})", "not a file name relative"},
      {R"({"weight_map":)", "is not valid JSON"},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(c[0]);
    std::string err, idx = put("m.index.json", c[0]);
    EXPECT_FALSE(Checkpoint::open(idx, err));
    EXPECT_HAS(err, c[1]);
  }
}

TEST_F(TempDir, CheckpointFolderWithNeitherFile) {
  std::string err;
  EXPECT_FALSE(Checkpoint::open(dir, err));
  EXPECT_EQ(err, "no model.safetensors or model.safetensors.index.json in " + dir);
  EXPECT_FALSE(Checkpoint::open(dir + "/nothing", err));
  EXPECT_EQ(err, "cannot open " + dir + "/nothing: No such file or directory");
}

TEST_F(TempDir, ReadJsonFile) {
  put("config.json", R"({"n_layer": 2, "model_type": "gpt2"})");
  nlohmann::json j;
  std::string err;
  ASSERT_TRUE(readJsonFile(dir, j, err)) << err;
  EXPECT_EQ(j["n_layer"], 2);
  ASSERT_TRUE(readJsonFile(dir + "/config.json", j, err)) << err;
  EXPECT_EQ(j["model_type"], "gpt2");
  std::string bad = put("bad.json", "{\"a\": }");
  EXPECT_FALSE(readJsonFile(bad, j, err));
  EXPECT_HAS(err, bad);
  EXPECT_FALSE(readJsonFile(dir + "/none.json", j, err));
  EXPECT_EQ(err, "cannot open " + dir + "/none.json: No such file or directory");
}

TEST_F(TempDir, NpyHeaderAndData) {
  const float v[6] = {0.0f, 1.0f, -2.5f, 0.5f, 3.0f, 1e-3f};
  std::string err, path = dir + "/x.npy";
  ASSERT_TRUE(xfrt::writeNpyF32(path, {2, 3}, v, err)) << err;
  std::string got = readAll(path);
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  std::string expect = std::string("\x93NUMPY\x01\x00\x76\x00", 10) + dict +
                       std::string(128 - 10 - dict.size() - 1, ' ') + "\n";
  ASSERT_EQ(expect.size(), 128u);           // header length 0x76 = 118 = 128 - 10
  expect += std::string("\x00\x00\x00\x00"  // 0.0f
                        "\x00\x00\x80\x3F"  // 1.0f
                        "\x00\x00\x20\xC0"  // -2.5f
                        "\x00\x00\x00\x3F"  // 0.5f
                        "\x00\x00\x40\x40"  // 3.0f
                        "\x6F\x12\x83\x3A", // 1e-3f
                        24);
  EXPECT_EQ(got, expect);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1)
      << "temporary file left behind";
}

TEST_F(TempDir, NpyOneDimensionalAndFailures) {
  const float v[1] = {2.0f};
  std::string err, path = dir + "/y.npy";
  ASSERT_TRUE(xfrt::writeNpyF32(path, {1}, v, err)) << err;
  std::string got = readAll(path);
  ASSERT_EQ(got.size(), 128u + 4u); // 10 + 57 + '\n' = 68 bytes pads to 128
  EXPECT_EQ(got.substr(8, 2), std::string("\x76\x00", 2));
  EXPECT_EQ(got.substr(10, 57), "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }");
  EXPECT_EQ(got[127], '\n');
  EXPECT_EQ(got.substr(128), std::string("\x00\x00\x00\x40", 4)); // 2.0f
  EXPECT_FALSE(xfrt::writeNpyF32(dir + "/no/such/dir/z.npy", {1}, v, err));
  EXPECT_HAS(err, "No such file or directory");
  EXPECT_FALSE(xfrt::writeNpyF32(path, {-1}, v, err));
  EXPECT_HAS(err, "negative");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
}
