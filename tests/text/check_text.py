#!/usr/bin/python3
"""Checks xfc's byte-level BPE tokenizer and --prompt against tests/text/bpe_reference.py.

  check_text.py tokenizer --tokenize BIN/xfc-tokenize --json tokenizer.json
      every string of STRINGS encodes to the reference's ids and decodes back
  check_text.py prompt --exe MODEL.exe --model DIR --prompt TEXT --max-new-tokens N
      the executable's printed continuation is the reference tokenizer's decoding of the
      PyTorch reference's greedy tokens after the reference encoding of TEXT
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import bpe_reference  # noqa: E402
import sentencepiece_reference  # noqa: E402
import wordpiece_reference  # noqa: E402
from make_tokenizer import TEXT  # noqa: E402

STRINGS = [
    "Hello world",
    "The quick brown fox jumps over the lazy dog.",
    "I'm sure they'll say it's what we've done, and you'd agree we're right.",
    "  two  spaces,   three   spaces, trailing   ",
    "tabs\tand\nnew\n\nlines\r\n and a space before\n",
    "numbers 1234567 and 3.14159, 2nd place, ½ and ²",
    "naïve café, Ünïcödé déjà vu, ÆØÅ æøå ß",
    "Ελληνικά και Русский текст",
    "中文字符和日本語のテキスト",
    "dashes — and “quotes” … and ellipses",
    "emoji 🙂🚀 between words",
    "<|endoftext|>a special token<|endoftext|> in the middle",
    "!!!???... ;;; ((brackets)) [x] {y}",
    "x",
    " ",
    "'s'S'tt'reveal 'll",
]


WORDPIECE_STRINGS = [
    "Hello world",
    "The quick brown fox jumps over the lazy dog.",
    "HELLO World, it's a compiler!",
    "naïve café, Ünïcödé déjà vu, ÀÉÎÕÜ àéîõü ñ ç ÿ",
    "  spaces\tand\nnewlines\r\n ",
    "compilers compiled compiling recompile",
    "中文字符 mixed with words",
    "dashes — and “quotes” … and ellipses; (brackets) [x] {y}",
    "a [MASK] token and [SEP] inside",
    "emoji 🙂 and unknownwordzzz",
    "ελληνικα lowercase",
    "soft\u00adhyphen zero\u200bwidth control\x07char",
    "x" * 120,
    "",
]

UNIGRAM_STRINGS = [
    "Hello world",
    "The quick brown fox jumps over the lazy dog.",
    "  two  spaces,   three   spaces, trailing   ",
    # (no tabs or newlines: T5's nmt_nfkc normaliser makes them spaces, as xfc's whitespace
    # split does, while this identity-normalised SentencePiece model keeps them as characters)
    "naïve cafés, Ünïcödé déjà vu",
    "中文字符 and emoji 🙂 by bytes",
    "compilers compiled compiling recompile",
    "x",
    "",
]


def tokenizer(args):
    if args.kind in ("unigram", "spbpe"):
        # The same model again (SentencePiece's training is deterministic): the reference
        # is SentencePiece's own encoder.
        make = sentencepiece_reference.make if args.kind == "unigram" else sentencepiece_reference.make_bpe
        j, sp = make(TEXT)
        with open(args.json, encoding="utf-8") as f:
            if json.load(f) != json.loads(json.dumps(j)):
                sys.exit(f"{args.json} is not the tokenizer SentencePiece trains from the test text")
        ref = (sentencepiece_reference.Reference if args.kind == "unigram"
               else sentencepiece_reference.BosReference)(sp)
        vocab, strings = len(j["model"]["vocab"]), UNIGRAM_STRINGS
    elif args.kind == "wordpiece":
        ref = wordpiece_reference.load(args.json)
        vocab, strings = len(ref.vocab), WORDPIECE_STRINGS
    else:
        ref = bpe_reference.load(args.json)
        vocab, strings = len(ref.vocab), STRINGS
    failures = 0
    for s in strings:
        want = ref.encode(s)
        got = json.loads(subprocess.run([args.tokenize, args.json, "--vocab-size", str(vocab), "--text", s],
                                        check=True, capture_output=True).stdout)
        back = subprocess.run([args.tokenize, args.json, "--vocab-size", str(vocab), "--decode",
                               ",".join(map(str, got))], check=True, capture_output=True).stdout
        expect_back = ref.decode(want) if args.kind != "wordpiece" else back
        status = "ok" if got == want and back == expect_back else "MISMATCH"
        if status != "ok":
            failures += 1
            print(f"{status}: {s!r}\n  xfc:       {got}\n  reference: {want}\n  decoded: {back!r} vs {expect_back!r}",
                  file=sys.stderr)
        else:
            print(f"ok ({len(got)} tokens): {s!r}", file=sys.stderr)
    if failures:
        sys.exit(f"{failures} of {len(strings)} strings differ")


def prompt(args):
    import gpt2_reference
    ref = bpe_reference.load(os.path.join(args.model, "tokenizer.json"))
    ids = ref.encode(args.prompt)
    m = gpt2_reference.load(args.model)
    new = gpt2_reference.greedy(m, ids, args.max_new_tokens, [])
    want = ref.decode(new) + b"\n"
    got = subprocess.run([args.exe, "--prompt", args.prompt, "--max-new-tokens", str(args.max_new_tokens)],
                         check=True, capture_output=True).stdout
    print(f"prompt {args.prompt!r} = {ids}\n  reference tokens {new}\n  xfc printed {got!r}", file=sys.stderr)
    if got != want:
        sys.exit(f"the executable printed {got!r}, the reference continuation is {want!r}")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tokenizer")
    t.add_argument("--tokenize", required=True)
    t.add_argument("--json", required=True)
    t.add_argument("--kind", choices=["bpe", "wordpiece", "unigram", "spbpe"], default="bpe")
    p = sub.add_parser("prompt")
    p.add_argument("--exe", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--prompt", required=True)
    p.add_argument("--max-new-tokens", type=int, default=8)
    a = ap.parse_args()
    {"tokenizer": tokenizer, "prompt": prompt}[a.cmd](a)


if __name__ == "__main__":
    main()
