//===- Runtime.h - what a compiled model links ------------------*- C++ -*-===//
//
// The small runtime of xfc executables: tensors that Halide kernels read and
// write, the weights (mapped from the checkpoint and converted to f32 once, at
// load), KV-cache memory, greedy generation, the command line of the run
// contract and the .npy output. It links no LLVM, MLIR or Halide compiler:
// only the Halide runtime's buffer type. The host code xfc generates for a
// model calls into it; `runMain` is the executable's main.
//
//===----------------------------------------------------------------------===//

#ifndef XF_CODEGEN_RUNTIME_RUNTIME_H
#define XF_CODEGEN_RUNTIME_RUNTIME_H

#include "HalideRuntime.h"

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace xfrt {

/// A run-time error with a message for the user (exit code 1).
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct DeviceMirror; // Device.cpp
struct DeviceCrop;

/// A dense f32 or i64 tensor, outermost dimension first, with element strides
/// (views into a KV-cache are strided). Copies share storage. In a GPU build
/// (useDevice) its storage also has a device copy, which the kernels read and
/// write; the host pointers below bring the device's newer contents back first.
class Tensor {
public:
  Tensor() = default;
  static Tensor f32(std::vector<int64_t> shape);
  static Tensor i64(std::vector<int64_t> shape);
  /// The same elements under another shape, as a view: a contiguous tensor
  /// takes any shape of its size; a strided one (a slice) one whose regrouped
  /// dimensions are contiguous among themselves (splitting a sliced row).
  Tensor reshaped(std::vector<int64_t> shape) const;
  /// [0, len) along `axis` (a strided view).
  Tensor prefix(int axis, int64_t len) const;
  /// [start, start + size) along `axis` (a strided view).
  Tensor slice(int axis, int64_t start, int64_t size) const;
  /// This tensor if it is contiguous, else a contiguous copy.
  Tensor contiguous() const;
  /// The first elements of a contiguous tensor, viewed as `shape` (which
  /// must not hold more elements than this tensor).
  Tensor front(std::vector<int64_t> shape) const;

  int rank() const { return (int)shape_.size(); }
  int64_t dim(int i) const { return shape_.at(i); }
  const std::vector<int64_t> &shape() const { return shape_; }
  const std::vector<int64_t> &strides() const { return strides_; }
  int64_t numel() const;
  bool isInt() const { return isInt_; }
  /// The elements on the host, to read and write: in a GPU build the device
  /// copy is then stale, and the next kernel call uploads the storage.
  float *f32data() const;
  int64_t *i64data() const;
  /// The elements on the host, to read only (the device copy stays valid).
  const float *f32read() const;
  /// Where the first element is on the host, to compare storages (no transfer).
  const void *address() const { return data_; }
  bool empty() const { return !storage_; }

  /// A Halide buffer describing this tensor (dimension 0 innermost); valid
  /// while this object lives and is not moved. In a GPU build it carries the
  /// device copy, which it then makes current: a kernel call may write it.
  halide_buffer_t *hb();
  /// Copies `src` (this view's shape) into this view's elements: on the
  /// device in a GPU build, else on the host.
  void copyFrom(const Tensor &src);

private:
  static Tensor allocate(std::vector<int64_t> shape, bool isInt);
  /// Another view of this tensor's storage.
  Tensor view(void *data, std::vector<int64_t> shape, std::vector<int64_t> strides) const;
  size_t elemSize() const { return isInt_ ? sizeof(int64_t) : sizeof(float); }
  /// Device.cpp: the device copy in buf_, made current first.
  void attachDevice();
  std::shared_ptr<void> storage_;
  std::shared_ptr<DeviceMirror> mirror_; // GPU builds
  std::shared_ptr<DeviceCrop> crop_;     // a view that does not start the storage
  void *data_ = nullptr;
  bool isInt_ = false;
  std::vector<int64_t> shape_, strides_;
  halide_buffer_t buf_{};
  std::vector<halide_dimension_t> dims_;
};

/// A parameter: one checkpoint tensor, or several of the same shape stacked
/// along a new leading dimension (then `shape` includes that dimension).
/// `transposed`: a 2-D tensor stored [b, a] in the checkpoint, loaded as
/// `shape` = [a, b]. `concatSizes`: the keys' tensors are instead
/// concatenated along their first dimension (as stored), part i of leading
/// size concatSizes[i]. `panelWidth` (a 2-D [K, N] weight, after any
/// transposition): stored
/// as ceil(N / panelWidth) panels of [K, panelWidth], columns past N zero;
/// the tensor's shape is then [panels, K, panelWidth].
struct ParamDesc {
  std::vector<const char *> keys;
  std::vector<int64_t> shape;
  bool transposed = false;
  std::vector<int64_t> concatSizes;
  int64_t panelWidth = 0;
};
struct CacheDesc {
  int64_t heads, capacity, headDim;
};

/// What the host code knows of the model (from the module's xf.model).
struct ModelDesc {
  const char *name;
  const char *kind; // "decoder", "encoder" or "encoder-decoder"
  int64_t vocabSize;
  int64_t hiddenSize;
  int64_t maxSeq;
  std::vector<int64_t> eosTokenIds;
  const char *checkpoint;
  std::vector<ParamDesc> params;
  std::vector<CacheDesc> caches; // key, value, key, value, ... per layer
  int64_t decoderStartTokenId = -1; // encoder-decoder models
  /// GPU builds: "cuda" or "opencl", and the Halide device interface of the
  /// kernels; null for CPU builds.
  const char *deviceApi = nullptr;
  const halide_device_interface_t *(*deviceInterface)() = nullptr;
};

/// Runs the kernels on the device of `desc` (a GPU build; nothing for a CPU
/// one): loads the driver library, checks that a device answers, and gives
/// every tensor allocated from now on a device copy. Throws Error if there is
/// no usable device.
void useDevice(const ModelDesc &desc);
/// Whether tensors have device copies (after useDevice of a GPU build).
bool deviceInUse();
/// Host <-> device traffic so far (`--stats` of a GPU build): transfers and bytes.
struct DeviceTraffic {
  int64_t uploads = 0, uploadBytes = 0, downloads = 0, downloadBytes = 0;
};
DeviceTraffic deviceTraffic();

/// The activation buffers planned by xf-plan-memory: buffer i holds one live
/// value at a time, grows to the largest value it is given, and is reused by
/// every entry point and every call (nothing is allocated per kernel call).
class Arena {
public:
  /// An f32 tensor of `shape` in buffer `index`, growing the buffer if needed
  /// (its old contents are dead by the plan).
  Tensor f32(int index, std::vector<int64_t> shape);
  /// The same, for a kernel that writes its result over `operand`, which
  /// lives in that buffer and has the result's size.
  Tensor f32InPlace(int index, std::vector<int64_t> shape, const Tensor &operand);
  /// Before a large unplanned allocation (the result an entry returns):
  /// frees every buffer not in `busy` when the result is larger than their
  /// total, so the result does not sit on top of idle memory. They grow back
  /// when next used.
  void releaseIdle(std::initializer_list<int> busy, const std::vector<int64_t> &resultShape);
  /// Starts an entry-point call: counts the bytes of the results it writes.
  void beginCall() { callBytes_ = 0; }

  /// Bytes the buffers hold now; the most any call held; the most bytes of
  /// results one call wrote into them (what it would take with no reuse).
  int64_t bytes() const;
  int64_t peakBytes() const { return peakBytes_; }
  int64_t peakCallBytes() const { return peakCallBytes_; }
  size_t count() const { return buffers_.size(); }

private:
  Tensor &grow(int index, int64_t numel);
  void countResult(int64_t numel);
  std::vector<Tensor> buffers_;
  int64_t peakBytes_ = 0, callBytes_ = 0, peakCallBytes_ = 0;
};

/// State one entry-point call sees: the loaded weights, the caches and the
/// activation buffers.
struct Context {
  std::vector<Tensor> params;
  std::vector<Tensor> caches;
  Arena arena;
  const Tensor &param(int index) { return params.at(index); }
  Tensor &cache(int index) { return caches.at(index); }
};

using ForwardFn = Tensor (*)(Context &, Tensor &ids);
using DecodeFn = Tensor (*)(Context &, Tensor &ids, int64_t position);
using Seq2SeqFn = Tensor (*)(Context &, Tensor &ids, Tensor &decoderIds);
using Seq2SeqPrefillFn = Tensor (*)(Context &, Tensor &decoderIds, int64_t encoderLength);
using Seq2SeqDecodeFn = Tensor (*)(Context &, Tensor &ids, int64_t position,
                                   int64_t encoderLength);
using PaddedFn = Tensor (*)(Context &, Tensor &ids, Tensor &lengths);
struct Entries {
  ForwardFn forward = nullptr; // whole sequence (no KV-cache)
  PaddedFn forwardPadded = nullptr; // encoders: a padded batch [B, L] with lengths [B]
  Seq2SeqFn forwardSeq2Seq = nullptr; // encoder-decoder: decoder logits (recompute)
  ForwardFn encode = nullptr;  // encoder-decoder: fills the cross-attention caches
  Seq2SeqPrefillFn prefillSeq2Seq = nullptr;
  Seq2SeqDecodeFn decodeSeq2Seq = nullptr;
  ForwardFn prefill = nullptr; // prompt, fills the caches
  DecodeFn decode = nullptr;   // one token at a position
};

/// Bytes of tensor memory live now and at most so far (every Tensor the
/// runtime allocates: weights, caches and activations).
struct MemoryCounters {
  static int64_t live();
  static int64_t peak();
  static void resetPeak();
};

/// Positions offset, offset+1, ... for ids [B, S].
Tensor positionIds(const Tensor &ids, int64_t offset);
/// Writes `update` [B, H, S, D] into `cache` at [position, position + S) and
/// returns the view [B, H, position + S, D]. A ring cache of capacity W puts
/// position p in slot p mod W and returns its first min(position + S, W) slots.
Tensor cacheAppend(Tensor &cache, int64_t position, const Tensor &update, bool ring);
/// Throws an Error naming the kernel if a Halide kernel returned non-zero.
void checkKernel(int result, const char *kernel);

/// Per-kernel time (`--profile`). The host program brackets each kernel call:
/// `t0 = profileStart()` (0 when profiling is off) before it and
/// `profileEnd(symbol, function, t0)` after it, which adds the call's time to
/// the kernel's row; off, both cost a branch.
struct KernelProfile {
  static void enable(bool enabled);
  static bool enabled();
  /// Calls from now on count under this name ("prompt", "decode"; "run" at first).
  static void setPhase(const char *name);
  static double start();
  static void end(const char *symbol, const char *function, double start);
  /// The tables on stderr, one per phase: kernels by total time, then kinds.
  static void print();

private:
  static void printPhase(const std::string &name);
};

/// Loads the weights named by `desc.params` from `path`, checking each key,
/// shape and dtype; throws Error on any mismatch.
std::vector<Tensor> loadParams(const ModelDesc &desc, const std::string &path);

/// The executable's main: the run contract's command line.
int runMain(int argc, char **argv, const ModelDesc &desc, const Entries &entries);

/// A library (--emit=lib): its one model and entry points, defined by the
/// host program, for the C API (CApi.h).
const ModelDesc &libraryModel();
Entries libraryEntries();
/// Sizes the kernels' thread pool: `n` > 0, else XFC_NUM_THREADS, else every core.
void setKernelThreads(int n);
/// setKernelThreads(0) unless the size was set already (the C API's models).
void ensureKernelThreads();

} // namespace xfrt

#endif // XF_CODEGEN_RUNTIME_RUNTIME_H
