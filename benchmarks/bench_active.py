"""Simulated annotation on WikiANN English: does `nerpipe select` choose better than chance?

    python benchmarks/bench_active.py [--sizes 100 200 400 800 1600] [--seeds 1 2] [--starts default scratch]
                                      [--strategies entropy random] [--select-labels LIST] [--label TEXT]
                                      [--out DIR] [--plot PNG]
                                      [-- TRAIN OPTIONS]
    python benchmarks/bench_active.py --merge DIR/curves.json ... [--plot PNG]
    python benchmarks/bench_active.py --refit DIR/sets/*.conll [--out DIR] [-- TRAIN OPTIONS]

WikiANN's train.txt (the ``en:`` prefix stripped) is the pool and its gold tags the
annotator. For each start (the embedded model fine-tuned with ``--init-model default``,
or a new model with GloVe vectors) and seed:

1. the first batch (the first size) is a random sample of the pool (the seed's);
2. a model is trained on what is annotated so far (`nerpipe train`, defaults, one
   thread, early stopping on the first 1,000 sentences of WikiANN's dev.txt) and
   scored (conlleval) on the same 1,000 dev sentences, MISC predictions counted as O
   (WikiANN has no MISC);
3. `nerpipe select` (the strategy; ``--exclude`` what is annotated) chooses the next
   sentences up to the next size, with the model just trained; their gold tags are added;
   for ``random`` the choice is `select --strategy random` with the seed.

It prints the learning curves as a table (mean over seeds, and each seed) and writes
them to ``--out``/curves.json and a PNG plot (``--plot``, with matplotlib if it is
installed). The target: uncertainty sampling reaches random's dev F1 at the largest size
with at most half as many sentences. Trainings run one after another with --threads 1.
``--label`` names this run's curves (a strategy's with other ``--sizes``, say: "total-entropy,
rounds of 100"); ``--merge`` reports and plots the curves of several runs together (runs
side by side on two processes, or a schedule against another's random curve), each
strategy against random on the seeds both have.

``--save-sets`` keeps what is annotated at each size in ``--out``/sets/ (CoNLL, one file
per start, strategy, seed and size); with ``--sets-only`` (random only: its choice does
not depend on a model) nothing is trained, only the sets written. ``--refit`` trains a
model on each saved set with other training options (say, nerpipe's defaults instead of
the shortened trainings of a curve) and reports its dev F1, so that the last points of
two strategies can be compared under full-length training without a curve of them.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIKIANN = ROOT.parent / "shared" / "data" / "wikiann-en"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_adapt import f1, nerpipe, sentences, write  # noqa: E402  (the same conventions as bench_adapt)

TRAIN_ARGS: list[str] = []  # extra `nerpipe train` options (after --)
SELECT_ARGS: list[str] = []  # extra `nerpipe select` options (--select-labels)


def train(train_file: str, dev_file: str, out: str, start: str) -> None:
    extra = ["--init-model", "default"] if start == "default" else ["--embeddings", "glove-6b-50d"]
    nerpipe("train", train_file, "--dev", dev_file, "-o", out, "--threads", "1", *extra, *TRAIN_ARGS)


def choose(model: str, pool_file: str, annotated_file: str, n: int, strategy: str, seed: int) -> list[str]:
    """The gold blocks of the ``n`` pool sentences ``nerpipe select`` chooses (with the
    embedded model when ``model`` is empty)."""
    out = nerpipe("select", "-n", str(n), "--strategy", strategy, "--seed", str(seed), "--threads", "1",
                  *(["--model", model] if model else []), "--exclude", annotated_file, "-f", "jsonl", *SELECT_ARGS, pool_file)
    return ["".join(json.loads(line)["conll"]["lines"]).rstrip("\n") for line in out.splitlines()]


def curve(pool: list[str], dev_file: str, sizes: list[int], start: str, strategy: str, seed: int, tmp: Path,
          first: dict[int, tuple[str, float]], sets: Path | None = None, label: str = "",
          train_models: bool = True) -> list[dict]:
    """Dev F1 at each size for one start, strategy and seed. ``first``: the models of the
    shared random first batch, by seed (trained once for both strategies). ``sets``: a
    folder to keep each size's annotated sentences in (named by start, strategy and
    ``label``, seed and size); without ``train_models`` (random only) nothing is trained
    or scored, only the sets chosen."""
    annotated = random.Random(seed).sample(pool, sizes[0])
    pool_file = write(tmp / "pool.conll", pool)
    points = []
    for k, size in enumerate(sizes):
        assert len(annotated) == size, (len(annotated), size)
        annotated_file = write(tmp / f"annotated-{start}-{strategy}-{seed}-{size}.conll", annotated)
        model = str(tmp / f"model-{start}-{strategy}-{seed}-{size}.pt")
        if sets is not None:
            write(sets / f"{start}-{strategy}{_slug(label)}-{seed}-{size}.conll", annotated)
        began = time.time()
        if not train_models:
            model, score = "", float("nan")
        elif k == 0 and seed in first:
            model, score = first[seed]
        else:
            train(annotated_file, dev_file, model, start)
            score = f1(model, dev_file, drop_misc=True)
            if k == 0:
                first[seed] = (model, score)
        points.append({"size": size, "f1": score, "seconds": round(time.time() - began, 1)})
        print(f"  {start:8} {strategy:8} seed {seed}  {size:5} sentences  dev F1 {score:6.2f}", flush=True)
        if k + 1 < len(sizes):
            annotated += choose(model, pool_file, annotated_file, sizes[k + 1] - size, strategy, seed)
    return points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 400, 800, 1600])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--starts", nargs="+", default=["default", "scratch"], choices=["default", "scratch"])
    parser.add_argument("--strategies", nargs="+", default=["entropy", "random"],
                        choices=["entropy", "total-entropy", "diverse-entropy", "bald", "sequence", "random"])
    parser.add_argument("--dev-sentences", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=Path("active-runs"))
    parser.add_argument("--plot", type=Path, default=None, help="write the curves as a PNG here (needs matplotlib)")
    parser.add_argument("--label", default="", help="added to this run's strategy names (say, ', rounds of 100')")
    parser.add_argument("--select-labels", metavar="LIST",
                        help="`nerpipe select --labels LIST` (say PER,ORG,LOC: the types WikiANN annotates)")
    parser.add_argument("--merge", type=Path, nargs="+", help="report (and plot) these curves.json files together")
    parser.add_argument("--save-sets", action="store_true", help="keep each size's annotated sentences in --out/sets/")
    parser.add_argument("--sets-only", action="store_true", help="with --save-sets, random only: write the sets, train nothing")
    parser.add_argument("--refit", type=Path, nargs="+", metavar="SET",
                        help="train on each of these saved sets (with the options after --) and report dev F1")
    parser.add_argument("train_args", nargs="*", help="extra `nerpipe train` options (after --), for every training")
    args = parser.parse_args()
    if args.refit and (args.merge or args.save_sets):
        parser.error("--refit trains on saved sets: not with --merge or --save-sets")
    if args.merge:
        merged: dict = {}
        for path in args.merge:
            for start, by_name in json.loads(path.read_text()).items():
                for name, runs in by_name.items():
                    merged.setdefault(start, {}).setdefault(name, {}).update({int(seed): run for seed, run in runs.items()})
                    if len({tuple(p["size"] for p in run) for run in merged[start][name].values()}) > 1:
                        sys.exit(f"{path}: {start} {name}: runs of other --sizes under one name (give them a --label)")
        report(merged)
        if args.plot is not None:
            plot(merged, args.plot)
        return
    if args.sets_only and (not args.save_sets or set(args.strategies) != {"random"} or len(args.starts) != 1):
        parser.error("--sets-only needs --save-sets, --strategies random (only random chooses without a model) "
                     "and one --starts (random's sets are the same for both)")
    TRAIN_ARGS[:] = args.train_args
    SELECT_ARGS[:] = ["--labels", args.select_labels] if args.select_labels else []
    args.out.mkdir(parents=True, exist_ok=True)
    if args.refit:
        refit(args.refit, args.dev_sentences, args.out)
        return
    pool = sentences(WIKIANN / "train.txt")
    sets = args.out / "sets" if args.save_sets else None
    if sets is not None:
        sets.mkdir(exist_ok=True)
    results: dict[str, dict[str, dict[int, list[dict]]]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        dev_file = write(tmp / "dev.conll", sentences(WIKIANN / "dev.txt")[: args.dev_sentences])
        for start in args.starts:
            first: dict[int, tuple[str, float]] = {}
            for strategy in args.strategies:
                for seed in args.seeds:
                    points = curve(pool, dev_file, args.sizes, start, strategy, seed, tmp, first, sets, args.label,
                                   train_models=not args.sets_only)
                    if args.sets_only:
                        continue
                    results.setdefault(start, {}).setdefault(strategy + args.label, {})[seed] = points
                    (args.out / "curves.json").write_text(json.dumps(results, indent=1))
    if args.sets_only:
        print(f"sets: {sets}")
        return
    report(results)
    if args.plot is not None:
        plot(results, args.plot)


def _slug(label: str) -> str:
    """``label`` for a file name: ", rounds of 100" -> "-rounds-of-100"."""
    return "".join("-" + word for word in re.findall(r"[A-Za-z0-9]+", label))


def refit(set_files: list[Path], dev_sentences: int, out: Path) -> None:
    """Train on each saved set (TRAIN_ARGS; from the start its name begins with) and report
    its dev F1, kept in out/refit.json (a set trained again with the same options replaces
    its entry)."""
    for path in set_files:
        if path.name.split("-")[0] not in ("default", "scratch"):
            sys.exit(f"{path}: not a set of --save-sets (its name begins with default- or scratch-)")
    results_file = out / "refit.json"
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        dev_file = write(tmp / "dev.conll", sentences(WIKIANN / "dev.txt")[:dev_sentences])
        for path in set_files:
            began = time.time()
            start = path.name.split("-")[0]
            train(str(path), dev_file, str(tmp / "model.pt"), start)
            score = f1(str(tmp / "model.pt"), dev_file, drop_misc=True)
            # read just before writing: a refit beside this one into the same --out may have added its own
            results = json.loads(results_file.read_text()) if results_file.exists() else []
            results = [r for r in results if (r["set"], r["train_args"]) != (path.name, TRAIN_ARGS)]
            results.append({"set": path.name, "start": start, "train_args": list(TRAIN_ARGS), "f1": score,
                            "seconds": round(time.time() - began, 1)})
            results_file.write_text(json.dumps(results, indent=1))
            print(f"  {path.name:40} {' '.join(TRAIN_ARGS) or '(defaults)':30} dev F1 {score:6.2f}", flush=True)


def mean_curve(runs: dict[int, list[dict]]) -> list[float]:
    return [sum(run[k]["f1"] for run in runs.values()) / len(runs) for k in range(len(next(iter(runs.values()))))]


def report(results: dict) -> None:
    """Each curve's mean F1 per size (each seed's in brackets), and where it reaches random's
    F1 at random's largest size, both on the seeds the two have in common."""
    print("\nWikiANN dev (first 1,000 sentences), conlleval F1, mean over seeds (each seed in brackets)\n")
    for start, by_name in results.items():
        sizes = sorted({p["size"] for runs in by_name.values() for run in runs.values() for p in run})
        print("| start | strategy | " + " | ".join(str(s) for s in sizes) + " |")
        print("|---|---|" + "---|" * len(sizes))
        for name, runs in by_name.items():
            means = dict(zip((p["size"] for p in next(iter(runs.values()))), mean_curve(runs)))
            cells = [f"{means[size]:.2f} ({' / '.join(format(_at(run, size), '.1f') for run in runs.values())})"
                     if size in means else "" for size in sizes]
            print(f"| {start} | {name} | " + " | ".join(cells) + " |")
        randoms = by_name.get("random", {})
        for name, runs in by_name.items():
            seeds = sorted(set(runs) & set(randoms))
            if name == "random" or not seeds:
                continue
            largest = randoms[seeds[0]][-1]["size"]
            target = sum(randoms[seed][-1]["f1"] for seed in seeds) / len(seeds)
            curve = mean_curve({seed: runs[seed] for seed in seeds})
            reached = next((p["size"] for p, value in zip(runs[seeds[0]], curve) if value >= target), None)
            print(f"{start}: {name} reaches random's {largest}-sentence F1 ({target:.2f}, seeds "
                  f"{', '.join(map(str, seeds))}) with " + (f"{reached} sentences" if reached else "none of the sizes tried"))


def _at(run: list[dict], size: int) -> float:
    return next(p["f1"] for p in run if p["size"] == size)


def plot(results: dict, path: Path) -> None:
    import importlib

    try:  # not a dependency of nerpipe (nor of its tests): imported by name
        importlib.import_module("matplotlib").use("Agg")
        plt = importlib.import_module("matplotlib.pyplot")
    except ImportError:
        print("(no matplotlib: pip install matplotlib for the plot)")
        return
    figure, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 4), squeeze=False)
    for ax, (start, by_strategy) in zip(axes[0], results.items()):
        ticks: set[int] = set()
        for strategy, runs in by_strategy.items():
            sizes = [p["size"] for p in next(iter(runs.values()))]
            ticks.update(sizes)
            ax.plot(sizes, mean_curve(runs), marker="o", label=f"{strategy} ({len(runs)} seed{'s' if len(runs) > 1 else ''})")
        ax.set_xscale("log", base=2)
        shown = sorted(t for t in ticks if t & (t - 1) == 0 or (t % 100 == 0 and (t // 100) & (t // 100 - 1) == 0))
        ax.set_xticks(shown, [str(s) for s in shown])
        ax.set_xlabel("annotated sentences")
        ax.set_ylabel("WikiANN dev F1")
        ax.set_title("from the embedded model" if start == "default" else "from scratch (GloVe)")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize="small")  # the curves rise to the upper right
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    print(f"plot: {path}")


if __name__ == "__main__":
    main()
