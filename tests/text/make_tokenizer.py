#!/usr/bin/python3
"""Writes a tokenizer.json made from a fixed text: byte-level BPE trained by
tests/text/bpe_reference.py, or (--kind wordpiece) a BERT WordPiece vocabulary
made by tests/text/wordpiece_reference.py, or (--kind unigram) a Unigram model
trained by SentencePiece (tests/text/sentencepiece_reference.py), or (--kind spbpe)
a SentencePiece BPE model with byte fallback in LLaMA-2's layout.

  make_tokenizer.py --out DIR/tokenizer.json [--kind bpe|wordpiece] [--merges 300]
  prints the vocabulary size
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe_reference  # noqa: E402
import sentencepiece_reference  # noqa: E402
import wordpiece_reference  # noqa: E402

TEXT = """
A compiler for Transformer models takes a model described in its own dialect, optimises it
with graph passes, and compiles it into a standalone executable. The executable reads the
weights, runs the prompt, and writes what it generated. It's the tool we'd reach for first:
they're fast, we've measured them, and you'll see the numbers in the tables. Numbers like 12,
128, 2048 and 3.5 appear here too; so do naïve cafés, Ünïcödé and déjà vu.
Hello world! Hello again, world. The world is quick and the fox is brown.
""" * 3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--merges", type=int, default=300)
    ap.add_argument("--kind", choices=["bpe", "wordpiece", "unigram", "spbpe"], default="bpe")
    a = ap.parse_args()
    if a.kind == "spbpe":
        j, _ = sentencepiece_reference.make_bpe(TEXT)
    elif a.kind == "unigram":
        j, _ = sentencepiece_reference.make(TEXT)
    elif a.kind == "wordpiece":
        j = wordpiece_reference.make(TEXT + " 中文字符 ελληνικα compiling compilers recompile")
    else:
        j = bpe_reference.train(TEXT, a.merges, added=["<|endoftext|>"])
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(j, f, ensure_ascii=False, indent=1)
    print(len(j["model"]["vocab"]))


if __name__ == "__main__":
    main()
