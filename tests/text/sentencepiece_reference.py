#!/usr/bin/python3
"""Unigram (SentencePiece) reference for xfc's tokenizer tests: Debian's python3-sentencepiece.

make(text, byte_fallback) trains a small Unigram model with SentencePiece itself (identity
normalisation, so no Precompiled charsmap is needed) and returns it as a Hugging Face
tokenizer.json dict (T5's layout: Metaspace pre-tokenizer, "$A </s>" template) together
with the SentencePiece processor, whose encode() is the reference.
"""

import io

import sentencepiece as spm


def make(text, vocab_size=360, byte_fallback=True):
    model = io.BytesIO()
    lines = [line for line in text.split("\n") if line.strip()]
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=model, vocab_size=vocab_size, model_type="unigram",
        normalization_rule_name="identity", byte_fallback=byte_fallback, character_coverage=1.0,
        pad_id=0, eos_id=1, unk_id=2, bos_id=-1, hard_vocab_limit=False, minloglevel=2)
    sp = spm.SentencePieceProcessor(model_proto=model.getvalue())
    vocab = [[sp.id_to_piece(i), 0.0 if sp.is_control(i) or sp.is_unknown(i) else sp.get_score(i)]
             for i in range(sp.get_piece_size())]
    specials = [i for i in range(sp.get_piece_size()) if sp.is_control(i) or sp.is_unknown(i)]
    j = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": sp.id_to_piece(i), "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True} for i in specials],
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "WhitespaceSplit"},
            {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}]},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [],
            "special_tokens": {"</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}},
        },
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": 2, "vocab": vocab, "byte_fallback": byte_fallback},
    }
    return j, sp


class Reference:
    """encode() as a T5 tokenizer.json does: SentencePiece's ids, then </s>."""

    def __init__(self, sp):
        self.sp = sp

    def encode(self, text):
        return self.sp.encode(text) + [1]

    def decode(self, ids):
        """The bytes of the pieces (<0xXX> pieces as their byte; invalid UTF-8 kept as it
        is, where SentencePiece's str decode would write U+FFFD), U+2581 as a space, the
        leading space dropped."""
        out = b""
        for i in ids:
            if self.sp.is_control(i) or self.sp.is_unknown(i):
                continue
            p = self.sp.id_to_piece(i)
            out += bytes([int(p[3:5], 16)]) if self.sp.is_byte(i) else p.replace("\u2581", " ").encode("utf-8")
        return out[1:] if out.startswith(b" ") else out


def make_bpe(text, vocab_size=360):
    """A SentencePiece BPE model with byte fallback, as a LLaMA-2 style tokenizer.json
    (no pre-tokenizer; normalizer Prepend U+2581 + Replace space; merges listed in the
    order of the merged piece's score, as Hugging Face's converter lists them; "<s> $A"),
    and the SentencePiece processor."""
    model = io.BytesIO()
    lines = [line for line in text.split("\n") if line.strip()]
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=model, vocab_size=vocab_size, model_type="bpe",
        normalization_rule_name="identity", remove_extra_whitespaces=False, byte_fallback=True,
        character_coverage=1.0, unk_id=0, bos_id=1, eos_id=2, pad_id=-1, hard_vocab_limit=False,
        minloglevel=2)
    sp = spm.SentencePieceProcessor(model_proto=model.getvalue())
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    merges = []
    for piece, pid in sorted(vocab.items(), key=lambda kv: kv[1]):
        if sp.is_control(pid) or sp.is_unknown(pid) or sp.is_byte(pid):
            continue
        splits = [(piece[:k], piece[k:]) for k in range(1, len(piece))
                  if piece[:k] in vocab and piece[k:] in vocab]
        for a, b in sorted(splits, key=lambda ab: (vocab[ab[0]], vocab[ab[1]])):
            merges.append(a + " " + b)
    specials = [i for i in range(sp.get_piece_size()) if sp.is_control(i) or sp.is_unknown(i)]
    j = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": sp.id_to_piece(i), "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True} for i in specials],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"}, {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}},
        },
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "}, {"type": "ByteFallback"},
            {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True,
                  "vocab": vocab, "merges": merges},
    }
    return j, sp


class BosReference(Reference):
    """encode() as a LLaMA-2 tokenizer.json does: <s>, then SentencePiece's ids."""

    def encode(self, text):
        return [1] + self.sp.encode(text)
