"""Run one benchmark on an earlier revision and on this tree, alternately, and compare.

    python benchmarks/compare_revisions.py 92a8432 bench_train.py --seeds --data ../shared/data/conll2003
    python benchmarks/compare_revisions.py --rounds 3 92a8432 bench_tag.py --data ../shared/data/conll2003

The benchmark scripts print one `name value` figure per line; this runs BENCH from a
detached git worktree of REVISION (its own copy of the script and the package) and from
this tree, in turns (base, this, this, base, base, this, ...: neither side always goes
first) so that the machine's load falls on both alike, and prints each figure's median for both, with this tree's ratio to the base.
A figure only one side prints is listed without a ratio. The worktree is removed at the
end unless --keep is given. REVISION may also be a folder holding a checkout (say, a
worktree whose old benchmark needed a fix), used as it is. The worktree lies outside this one, so give data paths
(--data) explicitly: a script's default path next to its tree does not exist there.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURE = re.compile(r"^([A-Za-z_][\w.]*)\s+(-?\d+(?:\.\d+)?)(?:\s+\(.*\))?\s*$")  # name value [(comment)]


def run_once(tree: Path, bench: str, args: list[str]) -> dict[str, float]:
    # PYTHONPATH puts the tree's own package ahead of the editable install's path entry
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(tree), os.environ.get("PYTHONPATH")])))
    where = subprocess.run([sys.executable, "-c", "import nerpipe; print(nerpipe.__file__)"], cwd=tree, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    if not where.startswith(str(tree)):
        sys.exit(f"compare_revisions: {tree} imports nerpipe from {where}")
    done = subprocess.run([sys.executable, str(tree / "benchmarks" / bench), *args], cwd=tree, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"compare_revisions: {bench} failed in {tree} (exit {done.returncode}):\n{done.stderr[-2000:]}")
    figures = {}
    for line in done.stdout.splitlines():
        if m := FIGURE.match(line):
            figures[m[1]] = float(m[2])
        elif re.match(r"^[a-z]+_\w+\s+-?\d", line):  # looks like one, but for the tail
            print(f"# not a figure, left out: {line}", file=sys.stderr)
    return figures


def absolute(arg: str) -> str:
    """An argument naming an existing path (alone or as --opt=path), made absolute: the
    benchmark runs in another folder."""
    option, eq, value = arg.partition("=") if arg.startswith("--") else ("", "", arg)
    return option + eq + os.path.abspath(value) if value and os.path.exists(value) else arg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("revision", help="the git revision to compare against (e.g. a commit), or a checkout's folder")
    parser.add_argument("bench", help="a script in benchmarks/, e.g. bench_train.py")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the script's own arguments")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each side (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the worktree of the revision")
    opts = parser.parse_args()

    given = Path(opts.revision).is_dir()
    if given:
        base = Path(opts.revision).resolve()
    else:
        base = Path(tempfile.mkdtemp(prefix="nerpipe-base-")) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(base), opts.revision], check=True)
    runs: dict[str, list[dict[str, float]]] = {"base": [], "this": []}
    try:
        args = [absolute(a) for a in opts.args]
        for round_ in range(1, opts.rounds + 1):
            order = (("base", base), ("this", ROOT))
            for side, tree in order if round_ % 2 else order[::-1]:
                figures = run_once(tree, opts.bench, args)
                runs[side].append(figures)
                print(f"# round {round_} {side}: " + ", ".join(f"{k} {v:g}" for k, v in figures.items()), flush=True)
    finally:
        if not opts.keep and not given:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False)
            shutil.rmtree(base.parent, ignore_errors=True)

    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = " (with uncommitted changes)" if subprocess.run(["git", "-C", str(ROOT), "diff", "--quiet", "HEAD"]).returncode else ""
    print(f"{opts.bench} {' '.join(opts.args)}: median of {opts.rounds} runs each, base {opts.revision}, this {head}{dirty}")
    names = list(dict.fromkeys(k for figures in runs["base"] + runs["this"] for k in figures))
    width = max(map(len, names), default=4)
    print(f"{'figure':<{width}} {'base':>12} {'this':>12} {'this/base':>9}")
    for name in names:
        medians = []
        for side in ("base", "this"):
            values = [figures[name] for figures in runs[side] if name in figures]
            medians.append(statistics.median(values) if values else None)
        cells = [f"{m:12.4g}" if m is not None else f"{'-':>12}" for m in medians]
        ratio = f"{medians[1] / medians[0]:9.3f}" if None not in medians and medians[0] else f"{'':>9}"
        print(f"{name:<{width}} {cells[0]} {cells[1]} {ratio}")


if __name__ == "__main__":
    main()
