#!/usr/bin/python3
"""A small, independent WordPiece (BERT) reference, for xfc's tokenizer tests.

BERT's BasicTokenizer and WordpieceTokenizer as the BERT paper's code describes them,
written here from that description with Python's unicodedata (real NFD and categories):
clean text, CJK ideographs spaced, lowercase, accents stripped (NFD, Mn dropped), split on
whitespace and punctuation, then the longest vocabulary prefix first ("##" after the
first piece); a word that cannot be covered is [UNK]. Added tokens in the text are kept
whole. [CLS] ... [SEP] around it.

Library use:  tok = load("tokenizer.json"); tok.encode(text) -> ids
              make(text) -> a tokenizer.json dict whose vocabulary covers text's words
"""

import collections
import json
import re
import unicodedata

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def basic(text):
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or (unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\t\n\r"):
            continue
        out.append(" " if ch.isspace() else ch)
    text = "".join(out).lower()
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    words = []
    for w in text.split():
        cur = ""
        for ch in w:
            if _is_punct(ch) or _is_cjk(ord(ch)):
                if cur:
                    words.append(cur)
                words.append(ch)
                cur = ""
            else:
                cur += ch
        if cur:
            words.append(cur)
    return words


class Tokenizer:
    def __init__(self, j):
        self.vocab = j["model"]["vocab"]
        self.unk = self.vocab[j["model"]["unk_token"]]
        self.added = {t["content"]: t["id"] for t in j.get("added_tokens", [])}

    def wordpiece(self, w):
        if len(w) > 100:
            return [self.unk]
        pieces, start = [], 0
        while start < len(w):
            end = len(w)
            while end > start:
                p = ("##" if start else "") + w[start:end]
                if p in self.vocab:
                    pieces.append(self.vocab[p])
                    break
                end -= 1
            if end == start:
                return [self.unk]
            start = end
        return pieces

    def encode(self, text):
        # Added tokens ([MASK], [SEP], ...) in the text are matched first, as Hugging Face's
        # tokenizers do; the text between them is tokenized.
        ids = [self.vocab["[CLS]"]]
        pattern = "(" + "|".join(re.escape(c) for c in sorted(self.added, key=len, reverse=True)) + ")"
        for k, part in enumerate(re.split(pattern, text) if self.added else [text]):
            if k % 2 == 1:
                ids.append(self.added[part])
                continue
            for w in basic(part):
                ids.extend(self.wordpiece(w))
        return ids + [self.vocab["[SEP]"]]


def load(path):
    with open(path, encoding="utf-8") as f:
        return Tokenizer(json.load(f))


def make(text, words=60):
    """A BERT-style tokenizer.json: specials, every character alone and as ##c, the most
    frequent words of `text`, and a few of their halves as ##-pieces."""
    vocab = {s: i for i, s in enumerate(SPECIALS)}
    counts = collections.Counter(basic(text))

    def add(tok):
        if tok not in vocab:
            vocab[tok] = len(vocab)

    for w in sorted(counts):
        for ch in w:
            add(ch)
            add("##" + ch)
    for w, _ in counts.most_common(words):
        add(w)
        if len(w) > 5:
            add(w[:3])
            add("##" + w[3:])
    special = [{"id": vocab[s], "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": False, "special": True} for s in SPECIALS]
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": special,
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [],
            "special_tokens": {s: {"id": s, "ids": [vocab[s]], "tokens": [s]} for s in ("[CLS]", "[SEP]")},
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab},
    }
