"""Thread defaults under load: tagging and training with one thread and with one per core,
on an idle machine and with cores kept busy by other processes.

    python benchmarks/bench_threads.py [--busy 0 1] [--repeat 3] [--data DIR]

For each load (0 busy cores, then N processes spinning on the CPU), in one run:
  * `nerpipe tag test.txt` as a whole process (start-up included), with --threads 1,
    with --threads <cores> (torch's own default), and with --workers <cores>;
  * one training epoch of `nerpipe train` over the first 2,000 sentences of train.txt
    (no vectors, no dev), with --threads 1 and --threads <cores>.
Each figure is the median of --repeat runs, in seconds; the same run prints them all, so
they compare with each other (the machine is shared: a figure alone means little).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "conll2003"
SPIN = "while True: pass"


def seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def first_sentences(path: Path, n: int) -> str:
    blocks = path.read_text(encoding="utf-8").split("\n\n")
    return "\n\n".join(blocks[:n]) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--busy", type=int, nargs="+", default=[0, 1], help="busy processes to run beside (each a load)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    test = args.data / "test.txt"
    if not test.exists():
        sys.exit(f"no CoNLL-2003 data in {args.data}")
    cores = os.cpu_count() or 1
    nerpipe = [sys.executable, "-m", "nerpipe"]
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "train2000.txt"
        small.write_text(first_sentences(args.data / "train.txt", 2000), encoding="utf-8")
        cases = {
            "tag --threads 1": [*nerpipe, "tag", "--threads", "1", str(test)],
            f"tag --threads {cores}": [*nerpipe, "tag", "--threads", str(cores), str(test)],
            f"tag --workers {cores}": [*nerpipe, "tag", "--workers", str(cores), str(test)],
            "train 1 epoch --threads 1": [*nerpipe, "train", str(small), "-o", f"{tmp}/m.pt", "--epochs", "1",
                                          "--embeddings", "none", "--threads", "1"],
            f"train 1 epoch --threads {cores}": [*nerpipe, "train", str(small), "-o", f"{tmp}/m.pt", "--epochs", "1",
                                                 "--embeddings", "none", "--threads", str(cores)],
        }
        print(f"{'case':<28}" + "".join(f"{f'{b} busy':>10}" for b in args.busy), flush=True)
        results: dict[str, list[float]] = {name: [] for name in cases}
        for busy in args.busy:
            spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(busy)]
            try:
                for name, command in cases.items():
                    results[name].append(statistics.median(seconds(command) for _ in range(args.repeat)))
            finally:
                for p in spinners:
                    p.kill()
                    p.wait()
        for name, values in results.items():
            print(f"{name:<28}" + "".join(f"{v:>10.2f}" for v in values), flush=True)


if __name__ == "__main__":
    main()
