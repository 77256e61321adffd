#!/usr/bin/python3
"""A small, independent byte-level BPE (GPT-2) reference, for xfc's tokenizer tests.

GPT-2's algorithm as its encoder.py describes it, written here from that
description: the text is cut at added tokens, split by GPT-2's pattern (with
Debian's python3-regex, whose \\p{L} and \\p{N} are Unicode's), each piece's bytes
mapped to printable characters (bytes_to_unicode), and the lowest-ranked
adjacent pair merged until none is left.

Library use:  tok = load("tokenizer.json"); tok.encode(text) -> ids;
              tok.decode(ids) -> bytes (special added tokens dropped)
Also trains a tokenizer: train(text, merges, added) -> tokenizer.json dict.
"""

import collections
import json

import regex

PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def bytes_to_unicode():
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0x100))
    table, n = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + n)
            n += 1
    return table


B2U = bytes_to_unicode()
U2B = {v: k for k, v in B2U.items()}


def pieces(text):
    return [B2U_map(p) for p in PATTERN.findall(text)]


def B2U_map(piece):
    return "".join(B2U[b] for b in piece.encode("utf-8"))


def bpe(symbols, ranks):
    symbols = list(symbols)
    while len(symbols) > 1:
        pairs = [(ranks.get((a, b), None), i) for i, (a, b) in enumerate(zip(symbols, symbols[1:]))]
        pairs = [(r, i) for r, i in pairs if r is not None]
        if not pairs:
            break
        _, i = min(pairs)
        a, b = symbols[i], symbols[i + 1]
        out, k = [], 0
        while k < len(symbols):
            if k + 1 < len(symbols) and symbols[k] == a and symbols[k + 1] == b:
                out.append(a + b)
                k += 2
            else:
                out.append(symbols[k])
                k += 1
        symbols = out
    return symbols


class Tokenizer:
    def __init__(self, j):
        self.vocab = j["model"]["vocab"]
        merges = [m.split(" ") if isinstance(m, str) else m for m in j["model"]["merges"]]
        self.ranks = {tuple(m): i for i, m in enumerate(merges)}
        self.added = [(t["content"], t["id"], t.get("special", False)) for t in j.get("added_tokens", [])]
        self.inverse = {i: s for s, i in self.vocab.items()}

    def encode(self, text):
        ids = []
        if self.added:
            alternatives = "|".join(regex.escape(c) for c, _, _ in sorted(self.added, key=lambda a: -len(a[0])))
            parts = regex.split("(" + alternatives + ")", text)
        else:
            parts = [text]
        by_content = {c: i for c, i, _ in self.added}
        for k, part in enumerate(parts):
            if k % 2 == 1:
                ids.append(by_content[part])
                continue
            for p in pieces(part):
                ids.extend(self.vocab[s] for s in bpe(p, self.ranks))
        return ids

    def decode(self, ids):
        special = {i for _, i, s in self.added if s}
        added = {i: c for c, i, _ in self.added}
        out = b""
        for i in ids:
            if i in special:
                continue
            if i in added:
                out += added[i].encode("utf-8")
            else:
                out += bytes(U2B[c] for c in self.inverse[i])
        return out


def load(path):
    with open(path, encoding="utf-8") as f:
        return Tokenizer(json.load(f))


def train(text, n_merges, added=()):
    """A tokenizer.json (as a dict) with the 256 byte symbols and n_merges
    merges learned from `text` by pair frequency, as GPT-2's were."""
    words = collections.Counter(tuple(p) for p in pieces(text))
    vocab = {B2U[b]: b for b in range(256)}
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        (a, b), _ = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        merges.append(a + " " + b)
        vocab[a + b] = len(vocab)
        new = collections.Counter()
        for w, c in words.items():
            out, k = [], 0
            while k < len(w):
                if k + 1 < len(w) and w[k] == a and w[k + 1] == b:
                    out.append(a + b)
                    k += 2
                else:
                    out.append(w[k])
                    k += 1
            new[tuple(out)] += c
        words = new
    added_tokens = []
    for content in added:
        added_tokens.append({"id": len(vocab), "content": content, "single_word": False, "lstrip": False,
                             "rstrip": False, "normalized": False, "special": True})
        vocab[content] = len(vocab)
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added_tokens,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": merges},
    }
