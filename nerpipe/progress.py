"""How `nerpipe train` shows progress on stderr: a rich bar on a terminal, a line per round otherwise."""

from __future__ import annotations

import sys

from .training.reporter import Reporter


def _round_line(r: dict) -> str:
    dev = f"  dev P {r['dev_precision']:.2f} R {r['dev_recall']:.2f} F1 {r['dev_f1']:.2f}" if "dev_f1" in r else ""
    if "dev_f1_by_case" in r:
        dev += " (" + " ".join(f"{case} {f1:.2f}" for case, f1 in r["dev_f1_by_case"].items()) + ")"
    steps = f"  {r['steps']:,} steps" if "steps" in r else ""
    best = "  *" if r.get("best") else ""
    return (f"epoch {r['epoch']:>3}  loss {r['loss']:.4f}{dev}  {r['tokens_per_s']:,} tokens/s{steps}"
            f"  elapsed {r['elapsed_s']:.0f}s{best}")


class PlainReporter(Reporter):
    """A line per round and messages on ``stream``; with ``quiet``, warnings only."""

    def __init__(self, stream=None, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.quiet = quiet

    def end_round(self, record: dict) -> None:
        if not self.quiet:
            print(_round_line(record), file=self.stream, flush=True)

    def message(self, text: str) -> None:
        if not self.quiet:
            print(f"nerpipe: {text}", file=self.stream, flush=True)

    def warning(self, text: str) -> None:
        print(f"nerpipe: warning: {text}", file=self.stream, flush=True)


class RichReporter(Reporter):
    def __init__(self):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = Console(stderr=True)
        self.progress = Progress(TextColumn("epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("loss {task.fields[loss]:.3f}"), TimeElapsedColumn(),
                                 console=self.console, transient=True)
        self.task = None

    def start_round(self, first_epoch: int, last_epoch: int, max_epochs: int, steps: int) -> None:
        self.progress.start()
        epochs = f"{first_epoch}" if first_epoch == last_epoch else f"{first_epoch}-{last_epoch}"
        self.task = self.progress.add_task("train", total=steps, epoch=f"{epochs}/{max_epochs}", loss=0.0)

    def advance(self, loss: float) -> None:
        self.progress.update(self.task, advance=1, loss=loss)

    def end_round(self, record: dict) -> None:
        self.progress.remove_task(self.task)
        self.progress.stop()
        self.console.print(_round_line(record), markup=False)

    def message(self, text: str) -> None:
        self.console.print(f"nerpipe: {text}", markup=False)

    def warning(self, text: str) -> None:
        self.progress.stop()
        self.console.print(f"nerpipe: warning: {text}", markup=False)

    def close(self) -> None:
        self.progress.stop()
