//===- Tensor.cpp - runtime tensors, weights, caches ------------*- C++ -*-===//
//
// Tensor storage and its Halide buffer view; loading the parameters a model
// declares from a checkpoint (F32/F16/BF16 converted to f32 once); positions
// and KV-cache appends, the host-side ops of the generated code.
//
//===----------------------------------------------------------------------===//

#include "codegen/runtime/Runtime.h"

#include "codegen/runtime/Device.h"

#include "frontend/readers/Checkpoint.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>

#include <sys/mman.h>

namespace xfrt {

namespace {
std::vector<int64_t> contiguousStrides(const std::vector<int64_t> &shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int i = (int)shape.size() - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}
int64_t product(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}
std::string shapeStr(const std::vector<int64_t> &s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i)
    r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}
} // namespace

int64_t Tensor::numel() const { return product(shape_); }

namespace {
constexpr size_t kHugePage = size_t(2) << 20;
std::atomic<int64_t> liveBytes{0}, peakBytes{0};

/// Freed storage kept for the next allocation of the same size, cleared
/// there. Without it a prompt's tensors fault their pages in afresh on every
/// call: the 25 MiB logits of GPT-2 small at 128 tokens (faulting 25 MiB of
/// huge pages took 2.9 ms in a C test on the Zen 5 slice, clearing them
/// 0.5 ms), and the layers' activations of 64 KiB to 2 MiB, which glibc
/// returns to the system when the top of its heap is free and then faults in
/// again 4 KiB at a time (GPT-2 small's 128-token prefill: 7 400-8 300 fewer
/// faults over a --bench 5 run, 1 200-1 700 a prompt; 110 against 118 ms, its
/// head transposes 20 against 50 us). The most recently freed are kept, at
/// most `maxBlocks` of them and `maxBytes` in all; both lists are emptied
/// once the weights are loaded. They live for the process and are never
/// destroyed, so a tensor freed during static destruction still finds them.
class KeptBlocks {
public:
  struct Block {
    void *base; // what `release` takes back: the mmap'd region or the calloc'd block
    void *data; // where the tensor starts
    size_t bytes;
  };
  KeptBlocks(size_t maxBlocks, size_t maxBytes, void (*release)(const Block &))
      : maxBlocks(maxBlocks), maxBytes(maxBytes), release(release) {}

  /// A kept block of exactly `bytes`, cleared; nullopt when none is kept.
  std::optional<Block> take(size_t bytes) {
    std::optional<Block> found;
    {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = std::find_if(blocks.begin(), blocks.end(),
                             [&](const Block &b) { return b.bytes == bytes; });
      if (it == blocks.end())
        return std::nullopt;
      found = *it;
      total -= it->bytes;
      blocks.erase(it);
    }
    std::memset(found->data, 0, bytes);
    return found;
  }
  /// Releases every kept block.
  void clear() {
    std::lock_guard<std::mutex> lock(mutex);
    for (const Block &b : blocks)
      release(b);
    blocks.clear();
    total = 0;
  }
  /// Keeps a freed block, releasing the oldest beyond the limits.
  void give(const Block &b) {
    std::lock_guard<std::mutex> lock(mutex);
    if (b.bytes > maxBytes) {
      release(b);
      return;
    }
    blocks.push_back(b);
    total += b.bytes;
    while (blocks.size() > maxBlocks || total > maxBytes) {
      total -= blocks.front().bytes;
      release(blocks.front());
      blocks.erase(blocks.begin());
    }
  }

private:
  const size_t maxBlocks, maxBytes;
  void (*const release)(const Block &);
  std::mutex mutex;
  std::vector<Block> blocks; // oldest first
  size_t total = 0;
};

/// Huge-page mappings (tensors of 2 MiB and more).
KeptBlocks &keptMappings() {
  static auto *kept = new KeptBlocks(8, size_t(256) << 20, [](const KeptBlocks::Block &b) {
    munmap(b.base, b.bytes + kHugePage);
  });
  return *kept;
}
/// Heap blocks of kKeptHeapMin up to a huge page.
constexpr size_t kKeptHeapMin = size_t(64) << 10;
KeptBlocks &keptHeapBlocks() {
  static auto *kept = new KeptBlocks(256, size_t(64) << 20,
                                     [](const KeptBlocks::Block &b) { std::free(b.base); });
  return *kept;
}

void countAllocation(int64_t bytes) {
  int64_t now = liveBytes += bytes;
  int64_t peak = peakBytes.load();
  while (now > peak && !peakBytes.compare_exchange_weak(peak, now)) {
  }
}
} // namespace

int64_t MemoryCounters::live() { return liveBytes.load(); }
int64_t MemoryCounters::peak() { return peakBytes.load(); }
void MemoryCounters::resetPeak() { peakBytes.store(liveBytes.load()); }

Tensor Tensor::allocate(std::vector<int64_t> shape, bool isInt) {
  for (int64_t d : shape)
    if (d < 0)
      throw Error("internal: negative tensor dimension " + std::to_string(d));
  size_t elem = isInt ? sizeof(int64_t) : sizeof(float);
  size_t bytes = std::max<size_t>(1, (size_t)product(shape) * elem);
  Tensor t;
  void *p = nullptr;
  auto oom = [&] { return Error("out of memory allocating " + std::to_string(bytes) + " bytes"); };
  if (bytes >= kKeptHeapMin) {
    // Large tensors (weights, logits, big activations) in transparent huge
    // pages where the kernel allows: a 25 MiB logits tensor then faults in
    // 13 times rather than 6400 on first write, and GEMMs streaming weights
    // miss the TLB far less. Fresh anonymous pages are zero. Smaller ones
    // from the heap; either kind kept when freed (KeptBlocks).
    const bool huge = bytes >= kHugePage;
    KeptBlocks &kept = huge ? keptMappings() : keptHeapBlocks();
    KeptBlocks::Block b{};
    if (auto reused = kept.take(bytes)) {
      b = *reused;
    } else if (huge) {
      void *m = mmap(nullptr, bytes + kHugePage, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (m == MAP_FAILED)
        throw oom();
      void *data = (void *)(((uintptr_t)m + kHugePage - 1) & ~(uintptr_t)(kHugePage - 1));
      madvise(data, bytes, MADV_HUGEPAGE); // advice only: ignored where THP is off
      b = {m, data, bytes};
    } else {
      void *q = std::calloc(bytes, 1);
      if (!q)
        throw oom();
      b = {q, q, bytes};
    }
    p = b.data;
    t.storage_ = std::shared_ptr<void>(p, [b, &kept](void *) {
      liveBytes -= (int64_t)b.bytes;
      kept.give(b);
    });
  } else {
    p = std::calloc(bytes, 1);
    if (!p)
      throw oom();
    t.storage_ = std::shared_ptr<void>(p, [bytes](void *q) {
      liveBytes -= (int64_t)bytes;
      std::free(q);
    });
  }
  countAllocation((int64_t)bytes);
  t.data_ = p;
  t.isInt_ = isInt;
  t.mirror_ = makeDeviceMirror(p, product(shape), isInt);
  t.strides_ = contiguousStrides(shape);
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::f32(std::vector<int64_t> shape) { return allocate(std::move(shape), false); }
Tensor Tensor::i64(std::vector<int64_t> shape) { return allocate(std::move(shape), true); }

namespace {
/// Strides under which `to` views the elements of a tensor of shape `from`
/// and strides `strides`, without moving them; empty if it cannot. Groups of
/// dimensions with equal element counts are matched left to right, and each
/// group of `from` must be contiguous within itself (numpy's no-copy rule).
std::vector<int64_t> viewStrides(const std::vector<int64_t> &from,
                                 const std::vector<int64_t> &strides,
                                 const std::vector<int64_t> &to) {
  std::vector<int64_t> out(to.size(), 1);
  size_t i = 0, j = 0;
  while (i < from.size() && j < to.size()) {
    size_t i1 = i + 1, j1 = j + 1;
    int64_t a = from[i], b = to[j];
    while (a != b) {
      if (a < b)
        a *= from[i1++];
      else
        b *= to[j1++];
    }
    for (size_t k = i; k + 1 < i1; ++k)
      if (strides[k] != strides[k + 1] * from[k + 1])
        return {};
    out[j1 - 1] = strides[i1 - 1];
    for (size_t k = j1 - 1; k > j; --k)
      out[k - 1] = out[k] * to[k];
    i = i1;
    j = j1;
  }
  for (; j < to.size(); ++j) // trailing size-1 dimensions
    out[j] = 1;
  return out;
}
} // namespace

Tensor Tensor::reshaped(std::vector<int64_t> shape) const {
  if (product(shape) != numel())
    throw Error("internal: reshape " + shapeStr(shape_) + " -> " + shapeStr(shape));
  std::vector<int64_t> strides = strides_ == contiguousStrides(shape_) || numel() == 0
                                     ? contiguousStrides(shape)
                                     : viewStrides(shape_, strides_, shape);
  if (strides.empty())
    return contiguous().reshaped(std::move(shape));
  return view(data_, std::move(shape), std::move(strides));
}

Tensor Tensor::view(void *data, std::vector<int64_t> shape, std::vector<int64_t> strides) const {
  Tensor t;
  t.storage_ = storage_;
  t.mirror_ = mirror_;
  t.data_ = data;
  t.isInt_ = isInt_;
  t.shape_ = std::move(shape);
  t.strides_ = std::move(strides);
  return t;
}

Tensor Tensor::slice(int axis, int64_t start, int64_t size) const {
  if (axis < 0 || axis >= rank() || start < 0 || size < 0 || start + size > shape_[axis])
    throw Error("internal: slice [" + std::to_string(start) + ", " +
                std::to_string(start + size) + ") out of range of " + shapeStr(shape_));
  std::vector<int64_t> shape = shape_;
  shape[axis] = size;
  return view(static_cast<char *>(data_) + start * strides_[axis] * elemSize(), std::move(shape),
              strides_);
}

Tensor Tensor::contiguous() const {
  if (empty() || strides_ == contiguousStrides(shape_))
    return *this;
  Tensor t = isInt_ ? Tensor::i64(shape_) : Tensor::f32(shape_);
  t.copyFrom(*this); // on the device in a GPU build
  return t;
}

Tensor Tensor::prefix(int axis, int64_t len) const { return slice(axis, 0, len); }

Tensor Tensor::front(std::vector<int64_t> shape) const {
  if (strides_ != contiguousStrides(shape_) || product(shape) > numel())
    throw Error("internal: view " + shapeStr(shape) + " of " + shapeStr(shape_));
  std::vector<int64_t> strides = contiguousStrides(shape);
  return view(data_, std::move(shape), std::move(strides));
}

Tensor &Arena::grow(int index, int64_t numel) {
  if (index < 0)
    throw Error("internal: negative buffer number");
  if ((size_t)index >= buffers_.size())
    buffers_.resize(index + 1);
  Tensor &b = buffers_[index];
  if (b.empty() || b.numel() < numel) {
    b = Tensor(); // the old contents are dead by the plan: free them first
    b = Tensor::f32({numel});
    peakBytes_ = std::max(peakBytes_, bytes());
  }
  countResult(numel);
  return b;
}

void Arena::countResult(int64_t numel) {
  callBytes_ += numel * (int64_t)sizeof(float);
  peakCallBytes_ = std::max(peakCallBytes_, callBytes_);
}

Tensor Arena::f32(int index, std::vector<int64_t> shape) {
  return grow(index, product(shape)).front(std::move(shape));
}

Tensor Arena::f32InPlace(int index, std::vector<int64_t> shape, const Tensor &operand) {
  if ((size_t)index >= buffers_.size() || buffers_[index].address() != operand.address() ||
      operand.numel() != product(shape))
    throw Error("internal: in-place result " + shapeStr(shape) + " does not fit its operand " +
                shapeStr(operand.shape()) + " in buffer " + std::to_string(index));
  countResult(product(shape));
  return buffers_[index].front(std::move(shape));
}

void Arena::releaseIdle(std::initializer_list<int> busy, const std::vector<int64_t> &resultShape) {
  int64_t idle = 0;
  for (size_t i = 0; i < buffers_.size(); ++i)
    if (std::find(busy.begin(), busy.end(), (int)i) == busy.end())
      idle += buffers_[i].empty() ? 0 : buffers_[i].numel();
  if (product(resultShape) <= idle)
    return;
  for (size_t i = 0; i < buffers_.size(); ++i)
    if (std::find(busy.begin(), busy.end(), (int)i) == busy.end())
      buffers_[i] = Tensor();
}

int64_t Arena::bytes() const {
  int64_t n = 0;
  for (const Tensor &b : buffers_)
    n += b.empty() ? 0 : b.numel() * (int64_t)sizeof(float);
  return n;
}

halide_buffer_t *Tensor::hb() {
  int r = rank();
  dims_.assign(r, halide_dimension_t{});
  for (int i = 0; i < r; ++i) {
    halide_dimension_t &d = dims_[r - 1 - i];
    d.min = 0;
    d.extent = (int32_t)shape_[i];
    d.stride = (int32_t)strides_[i];
    d.flags = 0;
  }
  buf_ = halide_buffer_t{};
  buf_.host = static_cast<uint8_t *>(data_);
  buf_.type = isInt_ ? halide_type_t(halide_type_int, 64) : halide_type_t(halide_type_float, 32);
  buf_.dimensions = r;
  buf_.dim = dims_.data();
  if (mirror_)
    attachDevice();
  return &buf_;
}

Tensor positionIds(const Tensor &ids, int64_t offset) {
  Tensor out = Tensor::i64(ids.shape());
  int64_t b = ids.dim(0), s = ids.dim(1);
  for (int64_t i = 0; i < b; ++i)
    for (int64_t j = 0; j < s; ++j)
      out.i64data()[i * s + j] = offset + j;
  return out;
}

Tensor cacheAppend(Tensor &cache, int64_t position, const Tensor &update, bool ring) {
  int64_t b = update.dim(0), h = update.dim(1), s = update.dim(2), d = update.dim(3);
  int64_t cap = cache.dim(2);
  if (position < 0 || (!ring && position + s > cap))
    throw Error("KV-cache overflow: positions [" + std::to_string(position) + ", " +
                std::to_string(position + s) + ") exceed its capacity " + std::to_string(cap));
  if (b != cache.dim(0) || h != cache.dim(1) || d != cache.dim(3))
    throw Error("internal: cache update " + shapeStr(update.shape()) + " does not fit cache " +
                shapeStr(cache.shape()));
  if (deviceInUse()) { // on the device, in runs of consecutive slots
    for (int64_t done = 0; done < s;) {
      int64_t slot = (position + done) % cap, n = std::min(s - done, cap - slot);
      cache.slice(2, slot, n).copyFrom(update.slice(2, done, n));
      done += n;
    }
    return cache.prefix(2, std::min(position + s, cap));
  }
  const std::vector<int64_t> &us = update.strides(), &cs = cache.strides();
  for (int64_t bi = 0; bi < b; ++bi)
    for (int64_t hi = 0; hi < h; ++hi)
      for (int64_t si = 0; si < s; ++si)
        std::memcpy(cache.f32data() + bi * cs[0] + hi * cs[1] + ((position + si) % cap) * cs[2],
                    update.f32data() + bi * us[0] + hi * us[1] + si * us[2], d * sizeof(float));
  return cache.prefix(2, std::min(position + s, cap));
}

void checkKernel(int result, const char *kernel) {
  if (result != 0)
    throw Error(std::string("kernel ") + kernel + " failed (Halide error " +
                std::to_string(result) + ")");
}

std::vector<Tensor> loadParams(const ModelDesc &desc, const std::string &path) {
  std::string err;
  auto ckpt = xf::readers::Checkpoint::open(path, err);
  if (!ckpt)
    throw Error("cannot load weights: " + err);
  std::vector<Tensor> out;
  for (const ParamDesc &p : desc.params) {
    bool concat = !p.concatSizes.empty();
    bool stacked = p.keys.size() > 1 && !concat;
    std::vector<int64_t> partShape = p.shape;
    if (stacked)
      partShape.erase(partShape.begin());
    if (p.transposed)
      std::reverse(partShape.begin(), partShape.end());
    Tensor t = Tensor::f32(p.shape);
    int64_t partSize = t.numel() / (int64_t)p.keys.size(), offset = 0; // parts in order
    for (size_t i = 0; i < p.keys.size(); ++i) {
      const char *key = p.keys[i];
      if (concat) { // part i: [concatSizes[i], rest...] as stored, one after another
        partShape[0] = p.concatSizes.at(i);
        partSize = product(partShape);
      }
      const xf::readers::TensorInfo *info = ckpt->find(key);
      if (!info)
        throw Error("weights " + ckpt->path() + " do not match the compiled model: no tensor '" +
                    key + "'");
      if (info->shape != partShape)
        throw Error("weights " + ckpt->path() + " do not match the compiled model: tensor '" +
                    key + "' has shape " + shapeStr(info->shape) + ", the model expects " +
                    shapeStr(partShape));
      if (!ckpt->readAsF32(key, t.f32data() + offset, err))
        throw Error("cannot load weights: " + err);
      offset += partSize;
    }
    if (p.panelWidth) { // [k, n] (stored [n, k] when transposed) -> panels [n / w, k, w], once
      int64_t k = p.shape[0], n = p.shape[1], w = p.panelWidth, panels = (n + w - 1) / w;
      Tensor packed = Tensor::f32({panels, k, w}); // zero: columns past n
      float *dst = packed.f32data();
      const float *src = t.f32data();
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = 0; j < n; ++j)
          dst[((j / w) * k + i) * w + j % w] = p.transposed ? src[j * k + i] : src[i * n + j];
      t = packed;
    } else if (p.transposed) { // [b, a] as stored -> [a, b], once
      int64_t a = p.shape[0], b = p.shape[1];
      Tensor packed = Tensor::f32(p.shape);
      for (int64_t i = 0; i < b; ++i)
        for (int64_t j = 0; j < a; ++j)
          packed.f32data()[j * b + i] = t.f32data()[i * a + j];
      t = packed;
    }
    out.push_back(std::move(t));
  }
  // The checkpoint's tensors as read, freed once packed, are not the sizes a
  // run allocates: kept, they would hold up to the lists' limits (GPT-2
  // small: 920 against ~750 MB resident).
  keptMappings().clear();
  keptHeapBlocks().clear();
  return out;
}

} // namespace xfrt
