"""Minimal hand-written reader/writer for the safetensors file format.

Used by xfc's end-to-end tests to create GPT-2 checkpoints and to read them
back for the PyTorch reference, without depending on the `safetensors` package.

File layout (https://github.com/huggingface/safetensors, "Format" section):

    [8 bytes]  N, unsigned 64-bit little-endian: length of the JSON header
    [N bytes]  UTF-8 JSON object:
                 {"__metadata__": {"format": "pt"},            (optional)
                  "<name>": {"dtype": "F32", "shape": [..],
                             "data_offsets": [begin, end]}, ...}
               padded at the end with ASCII spaces so that N % 8 == 0
    [rest]     the tensor data buffer; data_offsets are byte offsets into it
               (relative to the first byte after the header), little-endian,
               row-major (C order), no gaps between tensors.

This writer lays tensors out in the buffer in name order (sorted).
Supported dtypes: F32, F16 (IEEE half) and BF16 (upper 16 bits of the
float32 pattern, rounded to nearest, ties to even).
"""

import json
import struct

import numpy as np
import torch

_ITEMSIZE = {"F32": 4, "F16": 2, "BF16": 2}


def _to_f32_numpy(value):
    """Any tensor-like -> C-contiguous little-endian float32 numpy array."""
    if isinstance(value, torch.Tensor):
        value = value.detach().to(device="cpu", dtype=torch.float32).numpy()
    # (np.ascontiguousarray would turn a 0-d scalar into shape [1])
    return np.array(value, dtype="<f4", order="C", copy=True)


def f32_to_bf16_bits(a):
    """float32 array -> uint16 array of bfloat16 bit patterns (round to nearest even).

    NaNs stay NaN (quiet bit forced so that truncation cannot turn them into inf).
    """
    a = np.array(a, dtype="<f4", order="C", copy=True)
    u = a.view("<u4").astype(np.uint64)  # 64-bit so the rounding add cannot overflow
    rounding_bias = np.uint64(0x7FFF) + ((u >> np.uint64(16)) & np.uint64(1))
    out = ((u + rounding_bias) >> np.uint64(16)).astype("<u2")
    nan = np.isnan(a)
    if nan.any():
        out[nan] = ((u[nan] >> np.uint64(16)) | np.uint64(0x0040)).astype("<u2")
    return out


def bf16_bits_to_f32(bits):
    """uint16 array of bfloat16 bit patterns -> float32 array (exact)."""
    bits = np.asarray(bits, dtype="<u2")
    return (bits.astype("<u4") << np.uint32(16)).view("<f4")


def _encode(array_f32, dtype):
    if dtype == "F32":
        return array_f32.astype("<f4").tobytes()
    if dtype == "F16":
        with np.errstate(over="ignore"):  # |x| > 65504 becomes inf, as IEEE says
            return array_f32.astype("<f2").tobytes()  # numpy rounds to nearest even
    if dtype == "BF16":
        return f32_to_bf16_bits(array_f32).tobytes()
    raise ValueError(f"unsupported safetensors dtype {dtype!r} (want F32, F16 or BF16)")


def write_safetensors(path, tensors, dtype="F32", metadata=None):
    """Write `tensors` (name -> numpy array or torch tensor) to `path`.

    Every tensor is stored with the same `dtype` ('F32', 'F16' or 'BF16').
    `metadata` is the `__metadata__` string->string map; defaults to
    {"format": "pt"} like HF's save_pretrained; pass {} to omit it.
    """
    if dtype not in _ITEMSIZE:
        raise ValueError(f"unsupported safetensors dtype {dtype!r} (want F32, F16 or BF16)")
    if metadata is None:
        metadata = {"format": "pt"}

    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        if name == "__metadata__":
            raise ValueError("'__metadata__' is reserved and cannot be a tensor name")
        arr = _to_f32_numpy(tensors[name])
        blob = _encode(arr, dtype)
        assert len(blob) == arr.size * _ITEMSIZE[dtype]
        header[name] = {
            "dtype": dtype,
            "shape": [int(d) for d in arr.shape],
            "data_offsets": [offset, offset + len(blob)],
        }
        blobs.append(blob)
        offset += len(blob)

    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for blob in blobs:
            f.write(blob)


def read_safetensors_header(path):
    """Return (header dict, data buffer start offset in the file)."""
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise ValueError(f"{path}: too short for a safetensors file")
        (n,) = struct.unpack("<Q", raw)
        header_bytes = f.read(n)
        if len(header_bytes) != n:
            raise ValueError(f"{path}: header length {n} runs past end of file")
    header = json.loads(header_bytes.decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError(f"{path}: header is not a JSON object")
    return header, 8 + n


def read_safetensors(path):
    """Read every tensor of `path` as a float32 torch.Tensor (name -> tensor).

    Accepts F32, F16 and BF16 tensors; `__metadata__` is skipped.
    """
    header, data_start = read_safetensors_header(path)
    with open(path, "rb") as f:
        f.seek(data_start)
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = info["dtype"]
        shape = [int(d) for d in info["shape"]]
        begin, end = (int(x) for x in info["data_offsets"])
        if dtype not in _ITEMSIZE:
            raise ValueError(f"{path}: tensor {name!r} has unsupported dtype {dtype}")
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if end - begin != count * _ITEMSIZE[dtype] or end > len(data) or begin < 0:
            raise ValueError(f"{path}: tensor {name!r} has bad data_offsets {[begin, end]}")
        chunk = data[begin:end]
        if dtype == "F32":
            arr = np.frombuffer(chunk, dtype="<f4")
        elif dtype == "F16":
            arr = np.frombuffer(chunk, dtype="<f2").astype(np.float32)
        else:
            arr = bf16_bits_to_f32(np.frombuffer(chunk, dtype="<u2"))
        out[name] = torch.from_numpy(np.array(arr, dtype=np.float32).reshape(tuple(shape)))
    return out
