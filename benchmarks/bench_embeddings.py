"""What `train --embeddings auto` (the default) gives, beside the other choices, on small data.

    python benchmarks/bench_embeddings.py [--sizes 500] [--corpora conll wikiann cipher] [--choices auto none glove-6b-50d]

For each corpus, the first N sentences of its training file train a model with
`nerpipe train`'s defaults (--threads 1), once per --embeddings choice, with early
stopping on the first 1,000 sentences of its dev file; each line gives the choice
`auto` made, the best dev F1 (conlleval) and the wall time:

  * conll: CoNLL-2003 train.txt / valid.txt (English news);
  * wikiann: WikiANN English train.txt / dev.txt, the ``en:`` prefix stripped (English Wikipedia);
  * cipher: CoNLL-2003 with every letter put through one fixed substitution, a made-up
    language with the same entities and none of English's words (a stand-in for
    non-English data: GloVe's English vectors know almost none of its words).

Dev files only: no test file is read.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
CORPORA = {
    "conll": (SHARED / "conll2003" / "train.txt", SHARED / "conll2003" / "valid.txt"),
    "wikiann": (SHARED / "wikiann-en" / "train.txt", SHARED / "wikiann-en" / "dev.txt"),
    "cipher": (SHARED / "conll2003" / "train.txt", SHARED / "conll2003" / "valid.txt"),
}


def sentences(path: Path, n: int, cipher: dict | None = None) -> list[str]:
    """The first ``n`` sentences of ``path`` as CoNLL blocks (token and tag), without
    -DOCSTART- lines or the ``en:`` prefix; tokens through ``cipher`` when given."""
    blocks, current = [], []
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.strip() and not line.startswith("-DOCSTART-"):
            columns = line.split()
            token = columns[0][3:] if columns[0].startswith("en:") else columns[0]
            current.append(f"{token.translate(cipher) if cipher else token} {columns[-1]}")
        elif current:
            blocks.append("\n".join(current))
            current = []
            if len(blocks) == n:
                break
    return blocks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500])
    parser.add_argument("--corpora", nargs="+", choices=sorted(CORPORA), default=["conll", "wikiann", "cipher"])
    parser.add_argument("--choices", nargs="+", default=["auto", "none", "glove-6b-50d"])
    parser.add_argument("--dev-size", type=int, default=1000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    args = parser.parse_args()
    letters = list(string.ascii_lowercase)
    shuffled = letters[:]
    random.Random(0).shuffle(shuffled)
    cipher = str.maketrans("".join(letters + [c.upper() for c in letters]),
                           "".join(shuffled + [c.upper() for c in shuffled]))
    print("corpus sentences seed embeddings auto_chose dev_f1 seconds")
    with tempfile.TemporaryDirectory() as tmp:
        for corpus in args.corpora:
            train_path, dev_path = CORPORA[corpus]
            if not train_path.exists():
                sys.exit(f"no {corpus} data in {train_path.parent}")
            table = cipher if corpus == "cipher" else None
            dev = Path(tmp) / f"{corpus}-dev.conll"
            dev.write_text("\n\n".join(sentences(dev_path, args.dev_size, table)) + "\n", encoding="utf-8")
            for n in args.sizes:
                train = Path(tmp) / f"{corpus}-{n}.conll"
                train.write_text("\n\n".join(sentences(train_path, n, table)) + "\n", encoding="utf-8")
                for seed, choice in ((seed, choice) for seed in args.seeds for choice in args.choices):
                    out = Path(tmp) / "m.pt"
                    started = time.perf_counter()
                    run = subprocess.run([sys.executable, "-m", "nerpipe", "train", str(train), "--dev", str(dev), "-o",
                                          str(out), "--embeddings", choice, "--threads", "1", "--seed", str(seed)],
                                         capture_output=True, text=True, check=True)
                    seconds = time.perf_counter() - started
                    chose = "-"
                    if choice == "auto":
                        chose = "glove-6b-50d" if "loading embeddings glove-6b-50d" in run.stderr else "none"
                        why = re.search(r"\((auto: [^)]*)", run.stderr)
                        print(f"# {corpus} {n} seed {seed}: {why.group(1) if why else ''}", flush=True)
                    info = json.loads(subprocess.run([sys.executable, "-m", "nerpipe", "info", "--format", "json", str(out)],
                                                     capture_output=True, text=True, check=True).stdout)
                    print(f"{corpus} {n} {seed} {choice} {chose} {info['training']['best_dev_f1']:.2f} {seconds:.0f}", flush=True)


if __name__ == "__main__":
    main()
