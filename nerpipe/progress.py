"""How progress shows on stderr: `nerpipe train`'s rich bar on a terminal (a line per
round otherwise), and `nerpipe tag`'s count of tokens on a terminal (nothing otherwise)."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator

from .console import console
from .training.reporter import Reporter
from .training.schedule import counted


def _round_line(r: dict) -> str:
    dev = f"  dev P {r['dev_precision']:.2f} R {r['dev_recall']:.2f} F1 {r['dev_f1']:.2f}" if "dev_f1" in r else ""
    if "dev_f1_by_case" in r:
        dev += " (" + " ".join(f"{case} {f1:.2f}" for case, f1 in r["dev_f1_by_case"].items()) + ")"
    steps = f"  {counted(r['steps'], 'step')}" if "steps" in r else ""
    best = "  *" if r.get("best") else ""
    return (f"epoch {r['epoch']:>3}  loss {r['loss']:.4f}{dev}  {r['tokens_per_s']:,} tokens/s{steps}"
            f"  elapsed {r['elapsed_s']:.0f}s{best}")


class PlainReporter(Reporter):
    """A line per round and messages on ``stream``; with ``quiet``, warnings only."""

    def __init__(self, stream=None, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.quiet = quiet

    def end_round(self, entry: dict) -> None:
        if not self.quiet:
            print(_round_line(entry), file=self.stream, flush=True)

    def message(self, text: str) -> None:
        if not self.quiet:
            print(f"nerpipe: {text}", file=self.stream, flush=True)

    def warning(self, text: str) -> None:
        print(f"nerpipe: warning: {text}", file=self.stream, flush=True)


class RichReporter(Reporter):
    def __init__(self):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = console(stderr=True)
        self.progress = Progress(TextColumn("epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("loss {task.fields[loss]:.3f}"), TimeElapsedColumn(),
                                 console=self.console, transient=True)
        self.task = None

    def start_round(self, first_epoch: int, last_epoch: int, max_epochs: int, steps: int) -> None:
        self.progress.start()
        epochs = f"{first_epoch}" if first_epoch == last_epoch else f"{first_epoch}-{last_epoch}"
        self.task = self.progress.add_task("train", total=steps, epoch=f"{epochs}/{max_epochs}", loss=0.0)

    def advance(self, loss: float) -> None:
        if loss == loss:  # NaN: not read from the device yet (see training.meter)
            self.progress.update(self.task, advance=1, loss=loss)
        else:
            self.progress.update(self.task, advance=1)

    def end_round(self, entry: dict) -> None:
        self.progress.remove_task(self.task)
        self.progress.stop()
        self.console.print(_round_line(entry), markup=False)

    def message(self, text: str) -> None:
        self.console.print(f"nerpipe: {text}", markup=False)

    def warning(self, text: str) -> None:
        self.progress.stop()
        self.console.print(f"nerpipe: warning: {text}", markup=False)

    def close(self) -> None:
        self.progress.stop()


@contextlib.contextmanager
def tag_progress(show: bool) -> Iterator[Callable[[int], None] | None]:
    """While tagging, when ``show``: a line on stderr with the tokens tagged so far and
    tokens per second, redrawn at most four times a second and gone at the end. Yields
    the function to tell each block's tokens to (None when not shown). Lines written
    to stderr meanwhile (``-v``, ``--on-error skip``) appear above it."""
    if not show:
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(SpinnerColumn(), TextColumn("tagging: {task.completed:,.0f} tokens, {task.fields[rate]} tokens/s"),
                        TimeElapsedColumn(), console=console(stderr=True), transient=True, refresh_per_second=4,
                        redirect_stdout=False)  # standard output is the data: never through rich
    task = progress.add_task("tag", total=None, rate="-")
    start = time.monotonic()

    def advance(tokens: int) -> None:
        done = progress.tasks[0].completed + tokens
        progress.update(task, completed=done, rate=f"{done / max(time.monotonic() - start, 1e-9):,.0f}")

    with progress:
        yield advance
