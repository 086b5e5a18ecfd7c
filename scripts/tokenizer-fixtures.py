#!/usr/bin/env python3
"""Regenerates Tests/TokenizerTests/Fixtures/LlamaCppTokenizations.swift: token ids that llama.cpp's
llama-tokenize (build 0c1e570, the same build as shared/refs/llamacpp) gives the test model for extra
strings. Usage: scripts/tokenizer-fixtures.py [path/to/llama-tokenize] (default ~/.cache/baton-llamacpp/bin)."""
import os, random, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "models/SmolLM2-135M-Instruct.Q4_1.gguf")
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.cache/baton-llamacpp/bin/llama-tokenize")
OUT = os.path.join(ROOT, "Tests/TokenizerTests/Fixtures/LlamaCppTokenizations.swift")

# (text, parse_special)
CASES = [
    ("Hello world", True),
    ("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", True),
    ("<|im_start|>user\nHi<|im_end|>", False),
    ("special <|endoftext|> in the middle<|im_end|>", True),
    ("<|im_start|><|im_start|><|im_end", True),
    ("I'm sure you're right, they've said we'll go; I'd say he's done. DON'T SHOUT'S 'tis", True),
    ("12345 67.89 3,141,592 0x1F 2024-01-01", True),
    ("mixed\u0661\u0662\u0663 digits \u00bd \u00b2 \u216b", True),
    ("   leading spaces and trailing   ", True),
    ("a  b   c    d\t\te", True),
    ("tabs\tand\nnewlines\n\n\nmore\r\nwindows\r\n", True),
    (" ", True),
    ("\n", True),
    ("\u00a0non-breaking\u2003em space\u3000ideographic", True),
    ("zero\u200bwidth joiner\u200d", True),
    ("emoji \U0001F600\U0001F44D\U0001F3FD family \U0001F468\u200d\U0001F469\u200d\U0001F467 flag \U0001F1EB\U0001F1F7", True),
    ("\u4e2d\u6587\u5b57\u7b26\u6d4b\u8bd5\uff0c\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3001\ud55c\uad6d\uc5b4", True),
    ("\u00dcn\u00efc\u00f6d\u00e9 \u00e0ccents, \u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac, \u0440\u0443\u0441\u0441\u043a\u0438\u0439, \u05e2\u05d1\u05e8\u05d9\u05ea, \u0627\u0644\u0639\u0631\u0628\u064a\u0629", True),
    ("e\u0301a\u0308 combining", True),
    ("def f(x):\n    return x**2  # comment\n\n\tpass", True),
    ("https://example.com/path?q=1&r=two#frag", True),
    ("@user #hashtag $100 50% a+b=c <tag> {json: [1, 2]} ~~~ ... !!!", True),
    ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", True),
    ("\u0000\u0001\u007f\u0080\uffff \U0010ffff", True),
    # Bytes 04 06 13 14 16 1D C0 C1 F1 F2 F5-FF have no token in this vocabulary: llama.cpp drops them.
    ("a\U00040000b\U000fffffc\U000bffffd", True),
    ("\u0004x\u0006y\u0013\u0014\u0016\u001dz", True),
]

# Seeded random mixtures of the pieces tokenizers get wrong (contractions, digit runs, whitespace kinds,
# special-token fragments, scripts, combining marks, emoji) plus random code points.
PIECES = ["the", "The", " quick", "DON'T", "don't", "'s", "'S", "'ll", "'re", "I'm", "we've", "x'd", "'", "''",
          "123", "4", "007", "3.14", "1,000", "\u00bd", "\u00b2", "\u0661\u0662", "\u216b",
          " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n ", "\u00a0", "\u3000", "\u2028", "\u200b", "\u0085",
          "!", "?!", "...", "(", ")", "[]", "{}", "<", ">", "<|", "|>", "#", "$", "%", "&&", "**", "->", "//", "`", "~", "^", "_",
          "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<file_sep>", "<repo_name>", "<|im_", "im_end|>",
          "\u00e9", "e\u0301", "\u00df", "\u03a9", "\u041c\u043e\u0441\u043a\u0432\u0430", "\u05e2\u05d1",
          "\u0939\u093f\u0928\u094d\u0926\u0940", "\u0e44\u0e17\u0e22", "\u65e5\u672c", "\u6771\u4eac",
          "\ud55c\uad6d", "\u30fc", "\u3001", "\U0001F600", "\U0001F44D\U0001F3FD", "\u2764\ufe0f",
          "def", "self.x", "http://a.b/c?d=e", "foo_bar", "camelCase", "ALLCAPS", "x1y2", "v2.0"]


def random_cases(count, seed=1234):
    rng = random.Random(seed)

    def scalar():
        while True:
            c = rng.randrange(0, 0x110000)
            if not 0xD800 <= c <= 0xDFFF:
                return chr(c)

    cases = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randrange(0, 25)):
            r = rng.random()
            parts.append(rng.choice(PIECES) if r < 0.8 else scalar() if r < 0.9 else chr(rng.randrange(0x20, 0x7F)))
        cases.append(("".join(parts), rng.random() < 0.8))
    return cases


def swift_literal(s):
    out = []
    for ch in s:
        c = ord(ch)
        if ch == "\\": out.append("\\\\")
        elif ch == '"': out.append('\\"')
        elif 0x20 <= c < 0x7f: out.append(ch)
        else: out.append("\\u{%X}" % c)
    return '"' + "".join(out) + '"'


def tokenize(text, parse_special):
    args = [BIN, "-m", MODEL, "--stdin", "--no-escape", "--ids", "--log-disable"]
    if not parse_special:
        args.append("--no-parse-special")
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.dirname(BIN))
    res = subprocess.run(args, input=text.encode("utf-8"), capture_output=True, env=env, check=True)
    line = res.stdout.decode().strip().splitlines()[-1]
    assert line.startswith("[") and line.endswith("]"), line
    return [int(x) for x in line[1:-1].split(",") if x.strip()]


lines = [
    "// Generated by scripts/tokenizer-fixtures.py: each text fed (as exact UTF-8 bytes on stdin) to",
    "// `llama-tokenize -m SmolLM2-135M-Instruct.Q4_1.gguf --stdin --no-escape --ids --log-disable [--no-parse-special]`",
    "// from llama.cpp build 0c1e570 (the build that produced shared/refs/llamacpp). Do not edit by hand.",
    "",
    "struct LlamaCppTokenization: Sendable, CustomStringConvertible {",
    "    let text: String",
    "    let parseSpecial: Bool",
    "    let ids: [Int32]",
    "    var description: String { \"\\(text.debugDescription) parseSpecial=\\(parseSpecial)\" }",
    "}",
    "",
    "let llamaCppTokenizations: [LlamaCppTokenization] = [",
]
for text, parse_special in CASES + random_cases(60):
    ids = tokenize(text, parse_special)
    lines.append("    LlamaCppTokenization(text: %s, parseSpecial: %s," % (swift_literal(text), "true" if parse_special else "false"))
    lines.append("                         ids: [%s])," % ", ".join(map(str, ids)))
lines.append("]")
open(OUT, "w").write("\n".join(lines) + "\n")
print("wrote", OUT)
