"""conlleval F1 of a model on CoNLL-2003 in four casings: as written, lower, upper, headline.

    python benchmarks/bench_casing.py [--model MODEL.pt ...] [--splits valid test] [--data DIR]

Each split is tagged four times, the token column changed and nothing else (gold tags
and sentence boundaries as they are): as written, every token lower-cased, every token
upper-cased, and the first letter of every token upper-cased (headline style). Several
--model options give one table with a row per model and split, so an old and a new
model are compared in one run. Without --model: the embedded model. Each model reads every
sentence alone ("sentence") and in the light of its document ("document", the default of
`nerpipe tag`: see nerpipe/context.py); and each way with a caseless document (all lower,
all upper, every word capitalised) read both lower- and upper-cased, its two readings'
scores averaged ("caseless both", the default: Tagger.read_caseless) or read as it is
written ("as is").
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "conll2003"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", help="model file (repeatable; default: the embedded model)")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--splits", nargs="+", default=["valid", "test"], choices=["train", "valid", "test"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    paths = {split: args.data / f"{split}.txt" for split in args.splits}
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        sys.exit(f"no CoNLL-2003 data: {', '.join(missing)}")

    from nerpipe.checkpoints import load_model
    from nerpipe.formats import read_conll
    from nerpipe.recase import CASE_VARIANTS, recase
    from nerpipe.scoring import score_pairs

    torch.set_num_threads(args.threads)
    corpora = {split: documents(read_conll([str(p)])) for split, p in paths.items()}
    variants = list(CASE_VARIANTS)
    print(f"{'model':32s} {'reads':9s} {'caseless':8s} {'split':6s} " + " ".join(f"{v:>7s}" for v in variants)
          + f" {'mean':>7s} {'seconds':>8s}")
    for model_path in args.model or [None]:
        name = model_path or "(embedded)"
        for reads, both in (("sentence", False), ("sentence", True), ("document", False), ("document", True)):
            loaded = load_model(model_path, args.device, context=reads == "document")
            loaded.read_caseless = both
            for split, docs in corpora.items():
                started = time.perf_counter()
                f1s = []
                gold = [s.tags for doc in docs for s in doc]
                for variant in variants:
                    tokens = [[recase(s.tokens, variant) for s in doc] for doc in docs]
                    predicted = [p.tags for doc in loaded.predict_documents(tokens) for p in doc]
                    f1s.append(100 * score_pairs(zip(gold, predicted)).overall.f1)
                seconds = time.perf_counter() - started
                print(f"{name[-32:]:32s} {reads:9s} {'both' if both else 'as is':8s} {split:6s} " + " ".join(f"{f:7.2f}" for f in f1s)
                      + f" {sum(f1s) / len(f1s):7.2f} {seconds:8.1f}", flush=True)


def documents(items) -> list[list]:
    """The sentences of a CoNLL stream by document (-DOCSTART- lines)."""
    from nerpipe.formats import Marker, Sentence

    out: list[list] = [[]]
    for item in items:
        if isinstance(item, Marker) and item.kind == "docstart" and out[-1]:
            out.append([])
        elif isinstance(item, Sentence):
            out[-1].append(item)
    return [doc for doc in out if doc]


if __name__ == "__main__":
    main()
