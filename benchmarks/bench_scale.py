"""Scaling out on this machine, one figure per line.

    python benchmarks/bench_scale.py [--model MODEL.pt] [--copies 10]

Training: one epoch over CoNLL-2003 train.txt (GloVe 50-d, defaults otherwise) as one
process with 1 and 2 threads, and as two torchrun processes (gloo) with one thread
each. Tagging: test.txt repeated --copies times, CoNLL in and out, with one process
(1 and 2 threads), `nerpipe tag --workers 2`, and GNU parallel
(`parallel --pipe --keep-order -j 2`), each checked to give identical output.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "conll2003"
PY = sys.executable


def epoch_seconds(cmd: list[str], log: Path, env: dict | None = None) -> float:
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL, env=env)
    return json.loads(log.read_text().splitlines()[0])["epoch_s"]


def timed_output(cmd: str) -> tuple[float, str]:
    started = time.perf_counter()
    out = subprocess.run(cmd, shell=True, check=True, capture_output=True, executable="/bin/bash").stdout
    return time.perf_counter() - started, hashlib.sha256(out).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    if not (args.data / "train.txt").exists():
        sys.exit(f"no CoNLL-2003 data in {args.data}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if not args.skip_training:
            train = [str(args.data / "train.txt"), "--embeddings", "glove-6b-50d", "--epochs", "1", "-o", str(tmp / "m.pt")]
            for threads in (1, 2):
                command = [PY, "-m", "nerpipe", "train", *train, "--threads", str(threads), "--log-file", str(tmp / "l")]
                s = epoch_seconds(command, tmp / "l")
                print(f"train_epoch_seconds_1_process_{threads}_threads {s:.2f}")
            env = dict(os.environ, OMP_NUM_THREADS="1")
            s = epoch_seconds([PY, "-m", "torch.distributed.run", "--nproc-per-node", "2", "-m", "nerpipe", "train", *train,
                               "--log-file", str(tmp / "l")], tmp / "l", env)
            print(f"train_epoch_seconds_2_processes_torchrun {s:.2f}")

        big = tmp / "big.conll"
        text = (args.data / "test.txt").read_text(encoding="utf-8").rstrip("\n") + "\n\n"  # it lacks a final newline
        big.write_text(text * args.copies, encoding="utf-8")
        tokens = sum(1 for line in text.splitlines() if line.strip() and not line.startswith("-DOCSTART-")) * args.copies
        model = f"-m {args.model}" if args.model else ""
        nerpipe = f"{PY} -m nerpipe tag {model} -i conll"
        runs = {
            "1_process_1_thread": f"{nerpipe} --threads 1 {big}",
            "1_process_2_threads": f"{nerpipe} --threads 2 {big}",
            "workers_2": f"{nerpipe} --workers 2 {big}",
        }
        if shutil.which("parallel"):
            runs["gnu_parallel_2_jobs"] = (f"parallel --pipe --keep-order --recend '\\n\\n' --block 2M -j 2 "
                                           f"{nerpipe} --threads 1 < {big}")
        reference = None
        for name, cmd in runs.items():
            seconds, digest = timed_output(cmd)
            reference = reference or digest
            same = "same output" if digest == reference else "OUTPUT DIFFERS"
            print(f"tag_tokens_per_s_{name} {tokens / seconds:.0f}  ({seconds:.1f} s, {same})")


if __name__ == "__main__":
    main()
