"""Patterns in the decoder: what 100,000 of them cost, and what they do to F1.

    python benchmarks/bench_patterns.py [--data DIR] [--patterns 100000]

In one run, with one torch thread, on CoNLL-2003 test.txt (or generated sentences
without the data):
  * loading a file of N patterns (phrases, LOWER token patterns, and a few hundred
    regular-expression and shape patterns, which cannot be looked up by hash);
  * matching alone: tokens/s of ``Patterns.match`` over every sentence;
  * tagging with the embedded model without patterns, with 10 and with N, tokens/s
    (model load excluded), and with ``prefer="model"`` (two decodes where a match falls);
  * F1 on test.txt without patterns and with a gazetteer of train.txt's entities that
    only ever had one type there (a user's list of names they know): forced, and
    with the model preferred where it is confident. (The gazetteer comes from train.txt;
    nothing is chosen on test.txt: this shows the cost of forcing a list blindly.)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nerpipe  # noqa: E402
from nerpipe.formats import ReadOptions, read_records, sentences_of  # noqa: E402
from nerpipe.patterns import Patterns  # noqa: E402
from nerpipe.schemes import tags_to_spans  # noqa: E402
from nerpipe.scoring import score_pairs  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "conll2003"


def conll(path: Path) -> tuple[list[list[str]], list[list[str]]]:
    _, items, _ = read_records(str(path), "conll", ReadOptions())
    words, tags = [], []
    for item in items:
        for sentence in sentences_of(item):
            if sentence:
                words.append(list(sentence))
                tags.append(list(item.tags))
    return words, tags


def synthetic_patterns(n: int, seed: int = 0) -> list[dict]:
    """N patterns: 70% phrases, 29% LOWER token patterns, the rest regular expressions and shapes."""
    rng = random.Random(seed)
    syllables = "ka lo mi ne ra to su vi de an or el ba co gu".split()

    def name() -> str:
        return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).capitalize()

    out = []
    for k in range(n):
        label = rng.choice(["ORG", "PER", "LOC", "MISC", "PRODUCT"])
        words = [name() for _ in range(rng.randint(1, 4))]
        if k % 300 == 0:
            out.append({"label": label, "pattern": [{"TEXT": {"REGEX": f"^{words[0][:3]}\\w*\\d$"}}]})
        elif k % 301 == 0:
            out.append({"label": label, "pattern": [{"LOWER": words[0].lower()}, {"SHAPE": "dddd"}]})
        elif k % 10 < 3:
            out.append({"label": label, "pattern": [{"LOWER": w.lower()} for w in words]})
        else:
            out.append({"label": label, "pattern": " ".join(words)})
    return out


def gazetteer(words: list[list[str]], tags: list[list[str]]) -> list[dict]:
    """Phrases of train.txt's entities that had one type only there."""
    seen: dict[str, set[str]] = defaultdict(set)
    for w, t in zip(words, tags):
        for s, e, label in tags_to_spans(t):
            seen[" ".join(w[s:e])].add(label)
    return [{"label": next(iter(labels)), "pattern": phrase} for phrase, labels in sorted(seen.items()) if len(labels) == 1]


def tokens_per_s(tagger, sentences, repeats: int = 3) -> float:
    n = sum(map(len, sentences))
    best = min(_timed(lambda: tagger.predict(sentences)) for _ in range(repeats))
    return n / best


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def f1(tagger, words, gold) -> float:
    predicted = [p.tags for p in tagger.predict(words)]
    return score_pairs(zip(gold, predicted)).overall.f1 * 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--patterns", type=int, default=100_000)
    args = parser.parse_args()
    torch.set_num_threads(1)

    have_data = (args.data / "test.txt").exists()
    if have_data:
        words, gold = conll(args.data / "test.txt")
    else:
        rng = random.Random(1)
        words = [[rng.choice("the a Kalomi said Neravi in of Tosu . , Acme".split()) for _ in range(rng.randint(3, 30))]
                 for _ in range(3000)]
        gold = []
    n_tokens = sum(map(len, words))
    print(f"input: {'CoNLL-2003 test.txt' if have_data else 'generated sentences'}, {len(words):,} sentences, {n_tokens:,} tokens")

    many = synthetic_patterns(args.patterns)
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for p in many:
            f.write(json.dumps(p) + "\n")
    started = time.perf_counter()
    compiled = Patterns.load(f.name)
    print(f"load {len(compiled):,} patterns: {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    matches = sum(len(compiled.match(s)) for s in words)
    print(f"match alone: {n_tokens / (time.perf_counter() - started):,.0f} tokens/s ({matches:,} matches)")

    base = nerpipe.load_model()
    ten = nerpipe.load_model(patterns=many[:10])
    full = nerpipe.load_model(patterns=compiled)
    model_first = nerpipe.load_model(patterns=compiled, prefer="model")
    tokens_per_s(base, words[:500], 1)  # warm up
    rates = {"no patterns": tokens_per_s(base, words), "10 patterns": tokens_per_s(ten, words),
             f"{len(compiled):,} patterns": tokens_per_s(full, words),
             f"{len(compiled):,} patterns, prefer model": tokens_per_s(model_first, words)}
    reference = rates["no patterns"]
    for name, rate in rates.items():
        print(f"tag, {name}: {rate:,.0f} tokens/s ({rate / reference:.2f}x no patterns)")

    if have_data and (args.data / "train.txt").exists():
        names = gazetteer(*conll(args.data / "train.txt"))
        print(f"F1 on test.txt, no patterns: {f1(base, words, gold):.2f}")
        for prefer in ("pattern", "model"):
            tagger = nerpipe.load_model(patterns=names, prefer=prefer)
            print(f"F1 on test.txt, {len(names):,} train.txt names as patterns, prefer {prefer}: {f1(tagger, words, gold):.2f}")


if __name__ == "__main__":
    main()
