"""Training and tagging speed on the CPU (one thread) and on a GPU (``--device cuda``), in one run.

    python benchmarks/bench_device.py [--data DIR] [--sentences 4000] [--epochs 3] [--batch-size 64]

On the same data, for the CPU with one torch thread and, where torch sees one, for CUDA:

* training: ``nerpipe train`` on the first ``--sentences`` sentences of CoNLL-2003
  train.txt for ``--epochs`` epochs (GloVe vectors, early stopping off), dev on valid.txt;
  tokens/s are the log's mean over the epochs after the first (warm-up excluded), and
  the dev F1 of the model kept shows the device learns the same (within seed noise);
* tagging: the model trained on that device tags test.txt (repeated ``--repeat`` times)
  in one process after a warm-up batch; tokens/s exclude loading and start-up.

It prints each figure beside the CPU's and the ratio. Targets (issue 22): training at
least 5x and tagging at least 10x one CPU thread on a GPU, with the same dev F1.
Without CUDA it prints the CPU rows and says the GPU rows are still to measure.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def blocks(path: Path) -> list[str]:
    return [b for b in path.read_text(encoding="utf-8").split("\n\n") if b.strip() and not b.startswith("-DOCSTART-")]


def train(device: str, train_file: str, dev_file: str, out: Path, epochs: int, batch_size: int) -> dict:
    log = out.with_suffix(".log.jsonl")
    subprocess.run([sys.executable, "-m", "nerpipe", "train", train_file, "--dev", dev_file, "-o", str(out),
                    "--device", device, "--threads", "1", "--epochs", str(epochs), "--min-steps", "0", "--eval-steps", "0",
                    "--patience", str(epochs), "--embeddings", "glove-6b-50d", "--batch-size", str(batch_size),
                    "--log", str(log), "-q"], check=True)
    rounds = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    rounds = [r for r in rounds if r.get("tokens_per_s")]
    later = rounds[1:] or rounds
    return {"tokens_per_s": sum(r["tokens_per_s"] for r in later) / len(later),
            "dev_f1": max(r.get("dev_f1", 0) for r in rounds) if rounds else float("nan")}


def tag_speed(device: str, model: Path, sentences: list[list[str]]) -> float:
    code = f"""
import sys, time, json, torch
torch.set_num_threads(1)
from nerpipe.checkpoints import load_model
tagger = load_model({str(model)!r}, {device!r})
sentences = json.load(sys.stdin)
tagger.predict(sentences[:512])
if {device!r}.startswith("cuda"): torch.cuda.synchronize()
started = time.perf_counter()
tagger.predict(sentences)
if {device!r}.startswith("cuda"): torch.cuda.synchronize()
print(sum(map(len, sentences)) / (time.perf_counter() - started))
"""
    out = subprocess.run([sys.executable, "-c", code], input=json.dumps(sentences), capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "conll2003")
    parser.add_argument("--sentences", type=int, default=4000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import torch

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    test = [[line.split()[0] for line in b.splitlines()] for b in blocks(args.data / "test.txt")] * args.repeat
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        train_file = Path(tmp) / "train.txt"
        train_file.write_text("\n\n".join(blocks(args.data / "train.txt")[: args.sentences]) + "\n", encoding="utf-8")
        for device in devices:
            model = Path(tmp) / f"{device}.pt"
            began = time.perf_counter()
            trained = train(device, str(train_file), str(args.data / "valid.txt"), model, args.epochs, args.batch_size)
            rows[device] = {**trained, "tag_tokens_per_s": tag_speed(device, model, test),
                            "wall_s": round(time.perf_counter() - began, 1)}
    cpu = rows["cpu"]
    print(f"CoNLL-2003: {args.sentences} training sentences x {args.epochs} epochs (batch {args.batch_size}); "
          f"tagging test.txt x {args.repeat} ({sum(map(len, test)):,} tokens)\n")
    print("| device | training tokens/s | x CPU | dev F1 | tagging tokens/s | x CPU |")
    print("|---|---|---|---|---|---|")
    for device, r in rows.items():
        print(f"| {device} | {r['tokens_per_s']:,.0f} | {r['tokens_per_s'] / cpu['tokens_per_s']:.1f}x | "
              f"{r['dev_f1']:.2f} | {r['tag_tokens_per_s']:,.0f} | {r['tag_tokens_per_s'] / cpu['tag_tokens_per_s']:.1f}x |")
    if "cuda" not in rows:
        print("\nno CUDA device here: the GPU rows (targets: training 5x, tagging 10x one CPU thread) are still to measure")


if __name__ == "__main__":
    main()
