//===- Device.cpp - tensors with a device copy (GPU builds) -----*- C++ -*-===//
//
// useDevice loads the driver (libcuda.so.1 or libOpenCL.so.1) into the
// process, where Halide's runtime finds its entry points, and from then on
// every tensor's storage has a device copy. Kernels get the device copy
// (made current first); host reads bring newer device contents back; host
// writes mark the device copy stale. Copies between views (KV-cache appends,
// contiguous copies of strided views) stay on the device.
//
//===----------------------------------------------------------------------===//

#include "codegen/runtime/Device.h"
#include "codegen/runtime/Runtime.h"

#include <cstring>
#include <string>

#include <dlfcn.h>

namespace xfrt {

namespace {
const halide_device_interface_t *gDevice = nullptr;
DeviceTraffic gTraffic;

int64_t bytesOf(const halide_buffer_t &b) { return (int64_t)b.dim[0].extent * b.type.bytes(); }

void check(int rc, const char *what) {
  if (rc != 0)
    throw Error(std::string("device: ") + what + " failed (Halide error " + std::to_string(rc) +
                ")");
}

halide_type_t elementType(bool isInt) {
  return isInt ? halide_type_t(halide_type_int, 64) : halide_type_t(halide_type_float, 32);
}
} // namespace

DeviceMirror::~DeviceMirror() {
  if (base.device)
    halide_device_free(nullptr, &base);
}

void DeviceMirror::toHost() {
  if (hostValid)
    return;
  base.flags = halide_buffer_flag_device_dirty;
  check(halide_copy_to_host(nullptr, &base), "copying a tensor to the host");
  hostValid = true;
  gTraffic.downloads++;
  gTraffic.downloadBytes += bytesOf(base);
}

void DeviceMirror::toDevice() {
  if (deviceValid)
    return;
  if (!base.device)
    check(halide_device_malloc(nullptr, &base, gDevice), "allocating device memory");
  base.flags = halide_buffer_flag_host_dirty;
  check(halide_copy_to_device(nullptr, &base, gDevice), "copying a tensor to the device");
  base.flags = 0;
  deviceValid = true;
  gTraffic.uploads++;
  gTraffic.uploadBytes += bytesOf(base);
}

DeviceCrop::~DeviceCrop() {
  if (buf.device)
    halide_device_release_crop(nullptr, &buf);
}

std::shared_ptr<DeviceMirror> makeDeviceMirror(void *host, int64_t numel, bool isInt) {
  if (!gDevice)
    return nullptr;
  auto m = std::make_shared<DeviceMirror>();
  m->dim = halide_dimension_t{0, (int32_t)std::max<int64_t>(numel, 1), 1, 0};
  m->base.host = static_cast<uint8_t *>(host);
  m->base.type = elementType(isInt);
  m->base.dimensions = 1;
  m->base.dim = &m->dim;
  return m;
}

void useDevice(const ModelDesc &desc) {
  if (!desc.deviceApi || gDevice)
    return;
  bool cuda = std::strcmp(desc.deviceApi, "cuda") == 0;
  const char *lib = cuda ? "libcuda.so.1" : "libOpenCL.so.1";
  // RTLD_GLOBAL: Halide's runtime looks its entry points up in the process.
  if (!dlopen(lib, RTLD_NOW | RTLD_GLOBAL))
    throw Error(std::string("this executable runs its kernels on ") +
                (cuda ? "an NVIDIA GPU (CUDA)" : "an OpenCL device") + ", and " + lib +
                (cuda ? " (the NVIDIA driver)" : " (an OpenCL ICD loader)") +
                " cannot be loaded: " + dlerror());
  gDevice = desc.deviceInterface();
  // One small allocation and transfer: fails here, with Halide's message
  // above ours, when no device answers.
  try {
    Tensor probe = Tensor::f32({1});
    probe.hb();
  } catch (const Error &e) {
    gDevice = nullptr;
    throw Error(std::string("no usable ") + (cuda ? "CUDA" : "OpenCL") + " device (" + e.what() +
                ")");
  }
}

bool deviceInUse() { return gDevice != nullptr; }

DeviceTraffic deviceTraffic() { return gTraffic; }

float *Tensor::f32data() const {
  if (mirror_) {
    mirror_->toHost();
    mirror_->deviceValid = false;
  }
  return static_cast<float *>(data_);
}

int64_t *Tensor::i64data() const {
  if (mirror_) {
    mirror_->toHost();
    mirror_->deviceValid = false;
  }
  return static_cast<int64_t *>(data_);
}

const float *Tensor::f32read() const {
  if (mirror_)
    mirror_->toHost();
  return static_cast<const float *>(data_);
}

void Tensor::attachDevice() {
  mirror_->toDevice();
  mirror_->hostValid = false; // the kernel this buffer goes to may write it
  int64_t offset = (static_cast<char *>(data_) - reinterpret_cast<char *>(mirror_->base.host)) /
                   (int64_t)elemSize();
  if (offset == 0) {
    buf_.device = mirror_->base.device;
  } else {
    if (!crop_) {
      int64_t span = 1;
      for (int i = 0; i < rank(); ++i)
        span += (shape_[i] - 1) * strides_[i];
      auto c = std::make_shared<DeviceCrop>();
      c->owner = mirror_;
      c->dim = halide_dimension_t{(int32_t)offset, (int32_t)std::max<int64_t>(span, 1), 1, 0};
      c->buf = mirror_->base;
      c->buf.dim = &c->dim;
      c->buf.device = 0;
      c->buf.device_interface = nullptr;
      c->buf.host = static_cast<uint8_t *>(data_);
      c->buf.flags = 0;
      check(halide_device_crop(nullptr, &mirror_->base, &c->buf), "viewing part of a tensor");
      crop_ = std::move(c);
    }
    buf_.device = crop_->buf.device;
  }
  buf_.device_interface = gDevice;
  buf_.flags = 0;
}

void Tensor::copyFrom(const Tensor &src) {
  if (src.shape() != shape_ || src.isInt() != isInt_)
    throw Error("internal: copying a tensor into a view of another shape");
  if (numel() == 0)
    return;
  Tensor from = src;
  if (!mirror_ || !from.mirror_) { // on the host
    size_t elem = elemSize();
    int64_t n = numel(), r = rank();
    char *dst = reinterpret_cast<char *>(isInt_ ? (void *)i64data() : (void *)f32data());
    const char *srcData = reinterpret_cast<const char *>(
        isInt_ ? (const void *)from.i64data() : (const void *)from.f32read());
    std::vector<int64_t> idx(r, 0);
    for (int64_t k = 0; k < n; ++k) {
      int64_t so = 0, dO = 0;
      for (int64_t d = 0; d < r; ++d) {
        so += idx[d] * from.strides_[d];
        dO += idx[d] * strides_[d];
      }
      std::memcpy(dst + dO * elem, srcData + so * elem, elem);
      for (int64_t d = r - 1; d >= 0 && ++idx[d] == shape_[d]; --d)
        idx[d] = 0;
    }
    return;
  }
  halide_buffer_t *s = from.hb();
  s->flags = halide_buffer_flag_device_dirty; // read the device copy
  halide_buffer_t *d = hb();
  check(halide_buffer_copy(nullptr, s, gDevice, d), "copying between tensors on the device");
}

} // namespace xfrt
