"""Writes a damaged copy of a safetensors file, for the bad-weights tests.

Usage: damage_safetensors.py IN OUT truncate|corrupt-header|empty
       damage_safetensors.py IN OUT dtype NAME DTYPE   (same byte size)
       damage_safetensors.py IN OUT drop NAME
"""
import json
import struct
import sys

src, dst, how = sys.argv[1:4]
data = open(src, "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header, body = json.loads(data[8:8 + n]), data[8 + n:]


def rewrite(h):
    text = json.dumps(h).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + body


if how == "truncate":
    out = data[: len(data) // 2]
elif how == "corrupt-header":
    out = bytearray(data)
    out[8:12] = b"#!@$"
elif how == "empty":
    out = b""
elif how == "dtype":
    header[sys.argv[4]]["dtype"] = sys.argv[5]
    out = rewrite(header)
elif how == "drop":
    del header[sys.argv[4]]
    out = rewrite(header)
else:
    sys.exit("unknown damage " + how)
open(dst, "wb").write(out)
