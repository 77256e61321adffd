#!/usr/bin/python3
"""Convert a Hugging Face Llama checkpoint folder into a GGUF v3 file, as llama.cpp would (xfc e2e tests).

Reads DIR/config.json and the weights (model.safetensors, or the shards of
model.safetensors.index.json) as make_llama.py writes them, and writes one
GGUF file without the `gguf` package. Only numpy and torch are needed.

    make_gguf.py --model DIR --out FILE.gguf --type Q4_0 [--dequantized-out DIR2]

File layout (ggml docs/gguf.md), little-endian throughout:
    "GGUF", u32 version 3, u64 tensor count, u64 metadata count,
    metadata: {string key, u32 value type, value}, where a string is
              {u64 length, UTF-8 bytes},
    tensor infos: {string name, u32 n_dims, u64 ne[n_dims] (innermost first,
              so HF [out, in] is ne = [in, out]), u32 ggml type, u64 offset},
    zero padding to general.alignment (32), then the tensor data; every
    offset (relative to the data start) is a multiple of 32.

Metadata (llama.cpp's keys): general.architecture "llama", general.name,
general.alignment 32, general.file_type, general.quantization_version 2;
llama.block_count, context_length, embedding_length, feed_forward_length,
attention.head_count, attention.head_count_kv,
attention.layer_norm_rms_epsilon (f32), rope.freq_base (f32),
rope.dimension_count (= head_dim), vocab_size, and attention.key_length /
value_length when config.json has head_dim; rope.scaling.type / factor
when config.json has rope_scaling (so that readers can be checked to refuse
it); tokenizer.ggml.bos_token_id / eos_token_id when set (a single id).

Tensors, in HF state-dict order, named as llama.cpp names them:
    model.embed_tokens.weight -> token_embd.weight, model.norm.weight ->
    output_norm.weight, lm_head.weight -> output.weight (absent when tied),
    model.layers.N.self_attn.{q,k,v,o}_proj.weight -> blk.N.attn_{q,k,v,output}.weight,
    model.layers.N.mlp.{gate,up,down}_proj.weight -> blk.N.ffn_{gate,up,down}.weight,
    model.layers.N.{input,post_attention}_layernorm.weight -> blk.N.{attn,ffn}_norm.weight.
q_proj and k_proj rows are permuted for llama.cpp's rotary layout exactly as
its converter does:
    W.reshape(n_head, 2, rows // n_head // 2, cols).swapaxes(1, 2).reshape(rows, cols)
with n_head = num_attention_heads for Q and num_key_value_heads for K.

--type applies to every 2-D weight; 1-D norm weights stay F32. Encodings
(blocks of 32 along ne[0], i.e. along each row):
    F32   4-byte floats;  F16  IEEE halves (round to nearest even)
    Q8_0  34 bytes: f16 d = max|x| / 127, then 32 int8 q = roundf(x * (1/d))
          (half away from zero); value = d * q
    Q4_0  18 bytes: f16 d = m / -8 where m is the first element of largest
          magnitude (sign kept), then 16 bytes; with id = 1/d (0 if d == 0),
          q = min(15, trunc(x * id + 8.5)); byte j holds q[j] in its low
          nibble and q[j + 16] in its high nibble; value = d * (q - 8)
All arithmetic is in float32 as in ggml's quantize_row_q8_0_ref /
quantize_row_q4_0_ref (the stored scale is the f16 rounding of the f32 d).

--dequantized-out DIR2 writes DIR2/config.json (a copy) and
DIR2/model.safetensors (F32) holding exactly the values the GGUF encodes,
decoded from the written bytes (f16 scale times quant, as float32) and with
the Q/K permutation undone, so that llama_reference.py can run on what the
GGUF really contains.
"""

import argparse
import json
import os
import shutil
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_reference import load_weights  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402

ALIGNMENT = 32
QK = 32  # elements per Q8_0 / Q4_0 block

# gguf_metadata_value_type
T_U32, T_F32, T_STRING = 4, 6, 8
# ggml_type
GGML_TYPES = {"F32": 0, "F16": 1, "Q4_0": 2, "Q8_0": 8}
# general.file_type (llama_ftype): ALL_F32, MOSTLY_F16, MOSTLY_Q4_0, MOSTLY_Q8_0
FILE_TYPES = {"F32": 0, "F16": 1, "Q4_0": 2, "Q8_0": 7}

LAYER_NAMES = {
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
    "input_layernorm.weight": "attn_norm.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
}
GLOBAL_NAMES = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}


def gguf_name(hf):
    if hf in GLOBAL_NAMES:
        return GLOBAL_NAMES[hf]
    parts = hf.split(".", 3)  # model, layers, N, rest
    if len(parts) == 4 and parts[:2] == ["model", "layers"] and parts[3] in LAYER_NAMES:
        return f"blk.{int(parts[2])}.{LAYER_NAMES[parts[3]]}"
    raise SystemExit(f"make_gguf.py: tensor {hf!r} has no llama GGUF name")


# ---------------------------------------------------------------------------
# Q/K row permutation (llama.cpp's LlamaModel.permute) and its inverse.

def permute(w, n_head):
    rows, cols = w.shape
    return w.reshape(n_head, 2, rows // n_head // 2, cols).swapaxes(1, 2).reshape(rows, cols)


def unpermute(w, n_head):
    rows, cols = w.shape
    return w.reshape(n_head, rows // n_head // 2, 2, cols).swapaxes(1, 2).reshape(rows, cols)


# ---------------------------------------------------------------------------
# Encodings (float32 arithmetic throughout, as ggml's reference code).

def _roundf(a):
    """C roundf: round half away from zero, exactly (no x + 0.5 rounding error)."""
    a = np.asarray(a, dtype=np.float32)
    mag = np.abs(a)
    floored = np.floor(mag)
    up = (mag - floored) >= np.float32(0.5)  # exact: mag - floor(mag) is exact in float32
    return np.copysign(floored + up.astype(np.float32), a)


def _inverse(d):
    with np.errstate(divide="ignore"):
        return np.where(d != 0, np.float32(1.0) / d, np.float32(0.0)).astype(np.float32)


def quantize_q8_0(x):
    """x: float32 [rows, cols] with cols % 32 == 0 -> bytes."""
    blocks = x.astype(np.float32).reshape(-1, QK)
    amax = np.abs(blocks).max(axis=1, keepdims=True)
    d = (amax / np.float32(127)).astype(np.float32)
    q = _roundf(blocks * _inverse(d)).astype(np.int8)
    out = np.empty((blocks.shape[0], 34), dtype=np.uint8)
    out[:, 0:2] = d.astype("<f2").view(np.uint8)
    out[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def quantize_q4_0(x):
    blocks = x.astype(np.float32).reshape(-1, QK)
    idx = np.abs(blocks).argmax(axis=1)[:, None]  # first of the largest magnitudes
    m = np.take_along_axis(blocks, idx, axis=1)
    d = (m / np.float32(-8)).astype(np.float32)
    xi = np.trunc(blocks * _inverse(d) + np.float32(8.5)).astype(np.int32)  # in [0, 16]
    xi = np.minimum(15, xi).astype(np.uint8)
    out = np.empty((blocks.shape[0], 18), dtype=np.uint8)
    out[:, 0:2] = d.astype("<f2").view(np.uint8)
    out[:, 2:] = xi[:, :16] | (xi[:, 16:] << 4)
    return out.tobytes()


def encode(x, ggml_type):
    x = np.ascontiguousarray(x, dtype=np.float32)
    if ggml_type == "F32":
        return x.astype("<f4").tobytes()
    if ggml_type == "F16":
        with np.errstate(over="ignore"):
            return x.astype("<f2").tobytes()
    if x.shape[-1] % QK:
        raise SystemExit(f"make_gguf.py: {ggml_type} needs rows whose length is a multiple of "
                         f"{QK}, got shape {list(x.shape)}")
    return quantize_q8_0(x) if ggml_type == "Q8_0" else quantize_q4_0(x)


def decode(blob, ggml_type, shape):
    """Bytes as written by encode -> float32 array of `shape` (independent of encode)."""
    n = int(np.prod(shape))
    if ggml_type == "F32":
        return np.frombuffer(blob, dtype="<f4").reshape(shape).copy()
    if ggml_type == "F16":
        return np.frombuffer(blob, dtype="<f2").astype(np.float32).reshape(shape)
    size = 34 if ggml_type == "Q8_0" else 18
    raw = np.frombuffer(blob, dtype=np.uint8).reshape(n // QK, size)
    d = raw[:, 0:2].copy().view("<f2").astype(np.float32)  # [blocks, 1]
    if ggml_type == "Q8_0":
        q = raw[:, 2:].view(np.int8).astype(np.float32)
    else:
        lo = (raw[:, 2:] & 0x0F).astype(np.float32) - np.float32(8)
        hi = (raw[:, 2:] >> 4).astype(np.float32) - np.float32(8)
        q = np.concatenate([lo, hi], axis=1)  # elements 0..15, then 16..31
    return (q * d).astype(np.float32).reshape(shape)


# ---------------------------------------------------------------------------
# GGUF writing

def gguf_string(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


class Metadata:
    def __init__(self):
        self.items = []

    def u32(self, key, v):
        if not 0 <= int(v) < 2 ** 32:
            raise SystemExit(f"make_gguf.py: {key} = {v} does not fit u32")
        self.items.append(gguf_string(key) + struct.pack("<I", T_U32) + struct.pack("<I", int(v)))

    def f32(self, key, v):
        self.items.append(gguf_string(key) + struct.pack("<I", T_F32) + struct.pack("<f", float(v)))

    def string(self, key, v):
        self.items.append(gguf_string(key) + struct.pack("<I", T_STRING) + gguf_string(v))


def single_token_id(config, key):
    v = config.get(key)
    if v is None:
        return None
    if isinstance(v, list):
        if len(v) != 1:
            raise SystemExit(f"make_gguf.py: {key} {v} is a list; GGUF holds a single id")
        v = v[0]
    return int(v)


def build_metadata(config, ggml_type, name):
    if config.get("model_type") != "llama":
        raise SystemExit(f"make_gguf.py: model_type {config.get('model_type')!r} is not llama")
    H = int(config["hidden_size"])
    nh = int(config["num_attention_heads"])
    kv = int(config.get("num_key_value_heads") or nh)
    head_dim = int(config.get("head_dim") or H // nh)
    m = Metadata()
    m.string("general.architecture", "llama")
    m.string("general.name", name)
    m.u32("general.alignment", ALIGNMENT)
    m.u32("general.file_type", FILE_TYPES[ggml_type])
    if ggml_type in ("Q8_0", "Q4_0"):
        m.u32("general.quantization_version", 2)
    m.u32("llama.block_count", config["num_hidden_layers"])
    m.u32("llama.context_length", config["max_position_embeddings"])
    m.u32("llama.embedding_length", H)
    m.u32("llama.feed_forward_length", config["intermediate_size"])
    m.u32("llama.attention.head_count", nh)
    m.u32("llama.attention.head_count_kv", kv)
    m.f32("llama.attention.layer_norm_rms_epsilon", config.get("rms_norm_eps", 1e-6))
    m.f32("llama.rope.freq_base", config.get("rope_theta", 10000.0))
    m.u32("llama.rope.dimension_count", head_dim)
    m.u32("llama.vocab_size", config["vocab_size"])
    if config.get("head_dim") is not None:
        m.u32("llama.attention.key_length", head_dim)
        m.u32("llama.attention.value_length", head_dim)
    scaling = config.get("rope_scaling")
    if scaling is not None:  # written as llama.cpp does, for negative tests
        m.string("llama.rope.scaling.type", str(scaling.get("rope_type", scaling.get("type"))))
        if "factor" in scaling:
            m.f32("llama.rope.scaling.factor", scaling["factor"])
    for key in ("bos", "eos"):
        tid = single_token_id(config, f"{key}_token_id")
        if tid is not None:
            m.u32(f"tokenizer.ggml.{key}_token_id", tid)
    return m.items, nh, kv


def convert(model_dir, out_path, ggml_type, dequantized_out=None):
    with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    weights = load_weights(model_dir)
    metadata, nh, kv = build_metadata(config, ggml_type, os.path.basename(os.path.abspath(model_dir)))

    # HF state-dict order: embeddings, layers in order, norm, lm_head.
    def order(name):
        if name == "model.embed_tokens.weight":
            return (0, 0, "")
        if name.startswith("model.layers."):
            return (1, int(name.split(".")[2]), "")
        return (2, 0 if name == "model.norm.weight" else 1, name)

    infos, blobs, dequantized = [], [], {}
    offset = 0
    for hf in sorted(weights, key=order):
        w = weights[hf].to("cpu").float().numpy()
        gname = gguf_name(hf)
        heads = nh if hf.endswith("q_proj.weight") else kv if hf.endswith("k_proj.weight") else 0
        if heads:
            w = permute(w, heads)
        t = ggml_type if w.ndim == 2 else "F32"
        blob = encode(w, t)
        ne = list(reversed(w.shape))  # innermost first
        infos.append(gguf_string(gname) + struct.pack("<I", len(ne)) +
                     b"".join(struct.pack("<Q", d) for d in ne) +
                     struct.pack("<I", GGML_TYPES[t]) + struct.pack("<Q", offset))
        pad = -len(blob) % ALIGNMENT
        blobs.append(blob + b"\0" * pad)
        offset += len(blob) + pad
        if dequantized_out is not None:
            back = decode(blob, t, w.shape)
            dequantized[hf] = unpermute(back, heads) if heads else back

    head = (b"GGUF" + struct.pack("<I", 3) + struct.pack("<Q", len(infos)) +
            struct.pack("<Q", len(metadata)) + b"".join(metadata) + b"".join(infos))
    head += b"\0" * (-len(head) % ALIGNMENT)
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(head)
        for b in blobs:
            f.write(b)
    os.replace(tmp, out_path)

    if dequantized_out is not None:
        os.makedirs(dequantized_out, exist_ok=True)
        shutil.copyfile(os.path.join(model_dir, "config.json"),
                        os.path.join(dequantized_out, "config.json"))
        write_safetensors(os.path.join(dequantized_out, "model.safetensors"), dequantized, "F32")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="HF llama folder (config.json + safetensors)")
    ap.add_argument("--out", required=True, help="GGUF file to write")
    ap.add_argument("--type", choices=sorted(GGML_TYPES), default="F32",
                    help="ggml type of the 2-D weights (norms stay F32)")
    ap.add_argument("--dequantized-out", default=None,
                    help="also write an HF folder with the dequantised, un-permuted weights")
    args = ap.parse_args(argv)
    convert(args.model, args.out, args.type, args.dequantized_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
