//===- Device.h - private: the device copy of tensor storage ----*- C++ -*-===//
//
// A GPU build's tensors keep their storage on the host and on the device
// (Halide's device API: CUDA or OpenCL). Validity is tracked per storage,
// not per Halide buffer, because the host program passes many views of one
// storage (KV-cache prefixes, slices of a fused projection) to kernels.
//
//===----------------------------------------------------------------------===//

#ifndef XF_CODEGEN_RUNTIME_DEVICE_H
#define XF_CODEGEN_RUNTIME_DEVICE_H

#include "HalideRuntime.h"

#include <cstdint>
#include <memory>

namespace xfrt {

/// One storage's device copy: `base` is the storage as a 1-D buffer of its
/// elements. The host copy is current when `hostValid`, the device copy when
/// `deviceValid` (both right after a transfer).
struct DeviceMirror {
  halide_buffer_t base{};
  halide_dimension_t dim{};
  bool hostValid = true, deviceValid = false;
  ~DeviceMirror();
  /// Brings the device's contents back if the host copy is stale.
  void toHost();
  /// Allocates the device copy if needed and uploads if it is stale.
  void toDevice();
};

/// The device handle of a view that starts `offset` elements into its
/// storage (Halide's device crop of the 1-D base); released with the view.
struct DeviceCrop {
  std::shared_ptr<DeviceMirror> owner;
  halide_buffer_t buf{};
  halide_dimension_t dim{};
  ~DeviceCrop();
};

/// The device copy of a new storage, or null when no device is in use.
std::shared_ptr<DeviceMirror> makeDeviceMirror(void *host, int64_t numel, bool isInt);

} // namespace xfrt

#endif // XF_CODEGEN_RUNTIME_DEVICE_H
