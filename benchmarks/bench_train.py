"""Training speed and accuracy on CoNLL-2003, one figure per line.

    python benchmarks/bench_train.py                  # epoch timings + bare step + 3 fresh seeds
    python benchmarks/bench_train.py --runs runs      # the same, seeds from scripts/train-default-model
    python benchmarks/bench_train.py --seeds          # timings only (about a minute)

Measures, in one run on this machine:
  * seconds for one training epoch over train.txt at 1 and at 2 threads (tokens/s);
  * the bare BiLSTM-CRF step (forward + backward + optimiser on random ids of the same
    batch shapes, same threads), so the rest of the pipeline shows as a ratio;
  * peak memory of this process, which loaded GloVe and trained like `nerpipe train`;
  * for each seed, a full `nerpipe train` run (2 threads, early stopping on valid.txt):
    epochs, minutes to the best dev F1, best dev F1, conlleval test F1. With --runs, the
    runs are those scripts/train-default-model left in that folder (their epoch logs
    and models) instead of new ones.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "conll2003"
TRAIN_ARGS = ["--embeddings", "glove-6b-50d", "--epochs", "30", "--patience", "5"]  # as scripts/train-default-model
PREFIX = "en-conll2003-seed"


def epoch_timings(data: Path) -> None:
    from nerpipe.model import make_batch
    from nerpipe.training import Reporter, TrainConfig, Trainer, make_optimizer, read_corpus

    config = TrainConfig(embeddings="glove-6b-50d")
    corpus = read_corpus([str(data / "train.txt")], config, "training")
    trainer = Trainer(config, corpus, None, torch.device("cpu"), Reporter())
    trainer.train_epoch(1)  # warm caches (char ids, allocator) once
    for threads in (1, 2):
        torch.set_num_threads(threads)
        _, tokens, seconds = trainer.train_epoch(2)
        print(f"epoch_seconds_{threads}_thread {seconds:.2f}")
        print(f"train_tokens_per_s_{threads}_thread {tokens / seconds:.0f}")

        # the bare step: same model and batch shapes, random ids, no data pipeline
        model = trainer.model
        optimizer = make_optimizer(config, [p for p in model.parameters() if p.requires_grad])
        gen = torch.Generator().manual_seed(0)
        shapes = []
        for batch_examples in trainer.data.batches(3)[:150]:  # (sentence, casing variant) pairs
            batch = make_batch([corpus.sentences[i].tokens for i, _ in batch_examples], trainer.vocab)
            shapes.append(batch)
        bare_tokens, started = 0, time.perf_counter()
        for batch in shapes:
            batch.words = torch.randint(2, trainer.vocab.n_train_words, batch.words.shape, generator=gen) * batch.mask
            batch.chars = torch.randint(2, len(trainer.vocab.chars), batch.chars.shape, generator=gen)
            tags = torch.randint(0, len(trainer.vocab.tags), batch.words.shape, generator=gen)
            loss = model.loss(batch, tags)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            bare_tokens += int(batch.lengths.sum())
        bare = bare_tokens / (time.perf_counter() - started)
        print(f"bare_step_tokens_per_s_{threads}_thread {bare:.0f}")
        print(f"pipeline_over_bare_{threads}_thread {tokens / seconds / bare:.2f}")


def full_run(data: Path, seed: int, workdir: Path, existing: bool = False) -> dict:
    model, log = workdir / f"{PREFIX}{seed}.pt", workdir / f"{PREFIX}{seed}.log"
    if not existing:
        cmd = [sys.executable, "-m", "nerpipe", "train", str(data / "train.txt"), "--dev", str(data / "valid.txt"),
               "-o", str(model), "--seed", str(seed), "--threads", "2", "--log", str(log), *TRAIN_ARGS]
        subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
    history = [json.loads(line) for line in log.read_text().splitlines()]
    info = json.loads(subprocess.run([sys.executable, "-m", "nerpipe", "info", "--format", "json", str(model)],
                                     check=True, capture_output=True).stdout)["training"]
    best = next(h for h in history if h["epoch"] == info["best_epoch"])
    tagged = subprocess.run([sys.executable, "-m", "nerpipe", "tag", "-m", str(model), str(data / "test.txt")],
                            check=True, capture_output=True).stdout
    score = json.loads(subprocess.run([sys.executable, "-m", "nerpipe", "score", "--format", "json"], input=tagged,
                                      check=True, capture_output=True).stdout)
    return {"seed": seed, "epochs": history[-1]["epoch"], "best_epoch": best["epoch"], "minutes_to_best": best["elapsed_s"] / 60,
            "minutes_total": history[-1]["elapsed_s"] / 60, "best_dev_f1": info["best_dev_f1"], "test_f1": 100 * score["f1"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3])
    parser.add_argument("--no-timings", action="store_true")
    parser.add_argument("--runs", type=Path, help="read the seeds' runs from this folder instead of training")
    args = parser.parse_args()
    if not (args.data / "train.txt").exists():
        sys.exit(f"no CoNLL-2003 data in {args.data}")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads available")
    if not args.no_timings:
        epoch_timings(args.data)
        print(f"peak_rss_mb_training {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            run = full_run(args.data, seed, args.runs or Path(tmp), existing=args.runs is not None)
            runs.append(run)
            print("run " + " ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in run.items()), flush=True)
    if runs:
        for key in ("best_dev_f1", "test_f1", "minutes_to_best", "minutes_total"):
            values = [r[key] for r in runs]
            spread = f" (min {min(values):.2f}, max {max(values):.2f})" if len(values) > 1 else ""
            print(f"mean_{key} {statistics.mean(values):.2f}{spread}")


if __name__ == "__main__":
    main()
