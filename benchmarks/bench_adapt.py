"""Adapting the embedded model to another domain (WikiANN English) with a few sentences.

    python benchmarks/bench_adapt.py [--sizes 500 2000] [--split dev|test] [--runs DIR] [--reuse] [-- TRAIN OPTIONS]

For each size N, the first N sentences of WikiANN's train.txt (the ``en:`` prefix
stripped, as its README says) train two models with `nerpipe train`'s defaults, early
stopping on the first 1,000 sentences of WikiANN's dev.txt:

  * scratch: a new model with GloVe 6B 50-d vectors (`--embeddings glove-6b-50d`);
  * adapted: the embedded model as the start (`--init-model default`).

Each, and the embedded model untouched, is then scored (conlleval) on WikiANN
``--split`` (dev.txt to choose options, test.txt only to report) with MISC predictions
counted as O (WikiANN has no MISC), and on CoNLL-2003 valid.txt, to show what adapting
costs on the original domain. Extra `nerpipe train` options go after ``--``.
Trainings run one after another with --threads 1.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def sentences(path: Path) -> list[str]:
    """Blank-line separated blocks of ``path`` with the ``en:`` prefix of each token removed."""
    blocks, current = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            current.append(line[3:] if line.startswith("en:") else line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    return blocks


def write(path: Path, blocks: list[str]) -> str:
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return str(path)


def nerpipe(*args: str) -> str:
    """``nerpipe ARGS``'s standard output; its error message, if it fails, in the exception."""
    done = subprocess.run([sys.executable, "-m", "nerpipe", *args], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"nerpipe {' '.join(args)}: exit {done.returncode}: {done.stderr.strip()[-2000:]}")
    return done.stdout


def f1(model: str | None, data: str, drop_misc: bool) -> float:
    """conlleval F1 of ``model`` on ``data`` (MISC predictions as O when ``drop_misc``)."""
    tagged = nerpipe("tag", "--threads", "1", "-f", "conll", *(["--model", model] if model else []), data)
    if drop_misc:
        tagged = re.sub(r"[BI]-MISC$", "O", tagged, flags=re.MULTILINE)
    score = subprocess.run([sys.executable, "-m", "nerpipe", "score", "--format", "json"], input=tagged, check=True,
                           capture_output=True, text=True).stdout
    return 100 * json.loads(score)["f1"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--split", choices=["dev", "test"], default="dev", help="WikiANN split to score on")
    parser.add_argument("--runs", type=Path, help="keep data and models here (default: a temporary folder)")
    parser.add_argument("--only", choices=["scratch", "adapted"], help="train only this kind")
    parser.add_argument("--reuse", action="store_true", help="score the models already in --runs instead of training them "
                                                             "(e.g. on test.txt after choosing on dev.txt)")
    parser.add_argument("train_args", nargs="*", help="extra `nerpipe train` options (after --)")
    args = parser.parse_args()
    wiki, conll = SHARED / "wikiann-en", SHARED / "conll2003"
    if not (wiki / "train.txt").exists() or not (conll / "valid.txt").exists():
        sys.exit(f"needs {wiki} and {conll}")
    work = args.runs or Path(tempfile.mkdtemp(prefix="bench_adapt."))
    work.mkdir(parents=True, exist_ok=True)
    train = sentences(wiki / "train.txt")
    dev = write(work / "dev1000.txt", sentences(wiki / "dev.txt")[:1000])
    evaluation = write(work / f"wiki-{args.split}.txt", sentences(wiki / f"{args.split}.txt"))
    conll_valid = str(conll / "valid.txt")

    print(f"{'model':<28} {'sentences':>9} {'train s':>8} {'epochs':>6} {'wiki ' + args.split:>10} {'conll valid':>11}", flush=True)
    print(f"{'embedded, untouched':<28} {0:>9} {'':>8} {'':>6} {f1(None, evaluation, True):>10.2f} "
          f"{f1(None, conll_valid, False):>11.2f}", flush=True)
    kinds = {"scratch": ["--embeddings", "glove-6b-50d"], "adapted": ["--init-model", "default"]}
    for n in args.sizes:
        data = write(work / f"train{n}.txt", train[:n])
        for kind, options in kinds.items():
            if args.only and kind != args.only:
                continue
            model = work / f"{kind}{n}.pt"
            seconds = "-"
            if not (args.reuse and model.exists()):
                started = time.perf_counter()
                nerpipe("train", data, "--dev", dev, "-o", str(model), "--threads", "1", *options, *args.train_args)
                seconds = f"{time.perf_counter() - started:.0f}"
            info = json.loads(nerpipe("info", "--format", "json", str(model)))["training"]
            print(f"{kind:<28} {n:>9} {seconds:>8} {info['epochs_run']:>6} {f1(str(model), evaluation, True):>10.2f} "
                  f"{f1(str(model), conll_valid, False):>11.2f}", flush=True)


if __name__ == "__main__":
    main()
