"""Tagging on Spark (local mode) beside `nerpipe tag --workers 2`, on the same lines, in one run.

    python benchmarks/bench_spark.py [--data DIR] [--repeat 6 [30 ...]] [--rounds 2]

The input is CoNLL-2003 test.txt, each sentence one line (its tokens joined by spaces),
repeated ``--repeat`` times (several counts: a table for each, so that what each
process's start-up costs shows: ``RDD.pipe`` starts a ``nerpipe`` per partition). Measured, each ``--rounds`` times (the best kept), with
the wall time of the job (Spark's JVM started beforehand, the model loaded by each
worker inside the job, as a real job does):

* ``RDD.pipe``: ``rdd.pipe("nerpipe tag -i lines -f jsonl")`` on ``local[1]`` and ``local[2]``,
  as many partitions as cores;
* ``mapInPandas``: ``df.mapInPandas(nerpipe.spark.tagger("text"), schema)`` likewise;
* ``nerpipe tag -i lines -f jsonl --workers 2`` on the same lines, the whole process.

Targets (issue 22): ``local[2]`` at least 1.7x ``local[1]``, and at least 0.8x ``--workers 2``.
Needs pyspark, pandas and a Java runtime (``pip install -e '.[spark]'``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lines_of(path: Path, repeat: int) -> list[str]:
    out, current = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        cols = line.split()
        if not cols:
            if current:
                out.append(" ".join(current))
            current = []
        elif cols[0] != "-DOCSTART-":
            current.append(cols[0])
    if current:
        out.append(" ".join(current))
    return out * repeat


def count_tokens(lines: list[str]) -> int:
    from nerpipe.tokenize import tokenize

    return sum(len(tokenize(line)) for line in lines)


def spark_rounds(lines: list[str], cores: int, rounds: int) -> dict[str, float]:
    from pyspark.sql import SparkSession

    from nerpipe.spark import ENTITIES_SCHEMA, tagger

    spark = (SparkSession.builder.master(f"local[{cores}]").config("spark.ui.enabled", "false")
             .config("spark.python.worker.reuse", "true").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    best = {"pipe": float("inf"), "pandas": float("inf")}
    try:
        command = f"{sys.executable} -m nerpipe tag -i lines -f jsonl -q --threads 1"
        for _ in range(rounds):
            rdd = spark.sparkContext.parallelize(lines, cores)
            started = time.perf_counter()
            n = rdd.pipe(command, checkCode=True).count()
            best["pipe"] = min(best["pipe"], time.perf_counter() - started)
            assert n == len(lines), (n, len(lines))
            df = spark.createDataFrame([(line,) for line in lines], "text string").repartition(cores).cache()
            df.count()
            started = time.perf_counter()
            n = df.mapInPandas(tagger("text"), schema=f"text string, {ENTITIES_SCHEMA}").count()
            best["pandas"] = min(best["pandas"], time.perf_counter() - started)
            assert n == len(lines)
    finally:
        spark.stop()
    return best


def workers(lines: list[str], rounds: int) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))
        f.flush()
        best = float("inf")
        for _ in range(rounds):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "nerpipe", "tag", "-i", "lines", "-f", "jsonl", "-q", "--workers", "2",
                            f.name], check=True, stdout=subprocess.DEVNULL)
            best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "conll2003")
    parser.add_argument("--repeat", type=int, nargs="+", default=[6])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    for repeat in args.repeat:
        lines = lines_of(args.data / "test.txt", repeat)
        tokens = count_tokens(lines)
        one, two = spark_rounds(lines, 1, args.rounds), spark_rounds(lines, 2, args.rounds)
        both = workers(lines, args.rounds)
        print(f"\n{len(lines):,} lines, {tokens:,} tokens (CoNLL-2003 test.txt x {repeat}); best of {args.rounds}\n")
        print("| route | local[1] tokens/s | local[2] tokens/s | local[2] / local[1] | local[2] / --workers 2 |")
        print("|---|---|---|---|---|")
        for name, label in (("pipe", "RDD.pipe(nerpipe tag)"), ("pandas", "mapInPandas(nerpipe.spark)")):
            print(f"| {label} | {tokens / one[name]:,.0f} | {tokens / two[name]:,.0f} | {one[name] / two[name]:.2f}x | "
                  f"{both / two[name]:.2f}x |", flush=True)
        print(f"| nerpipe tag --workers 2 | | {tokens / both:,.0f} | | 1.00x |", flush=True)


if __name__ == "__main__":
    main()
