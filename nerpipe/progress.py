"""How `nerpipe train` shows progress on stderr: a rich bar on a terminal, a line per epoch otherwise."""

from __future__ import annotations

import sys

from .training import Reporter


def _epoch_line(r: dict) -> str:
    dev = f"  dev P {r['dev_precision']:.2f} R {r['dev_recall']:.2f} F1 {r['dev_f1']:.2f}" if "dev_f1" in r else ""
    if "dev_f1_by_case" in r:
        dev += " (" + " ".join(f"{case} {f1:.2f}" for case, f1 in r["dev_f1_by_case"].items()) + ")"
    best = "  *" if r.get("best") else ""
    return (f"epoch {r['epoch']:>3}  loss {r['loss']:.4f}{dev}  {r['tokens_per_s']:,} tokens/s"
            f"  elapsed {r['elapsed_s']:.0f}s{best}")


class PlainReporter(Reporter):
    def __init__(self, stream=None):
        self.stream = stream or sys.stderr

    def end_epoch(self, record: dict) -> None:
        print(_epoch_line(record), file=self.stream, flush=True)

    def message(self, text: str) -> None:
        print(f"nerpipe: {text}", file=self.stream, flush=True)


class RichReporter(Reporter):
    def __init__(self):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = Console(stderr=True)
        self.progress = Progress(TextColumn("epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("loss {task.fields[loss]:.3f}"), TimeElapsedColumn(),
                                 console=self.console, transient=True)
        self.task = None

    def start_epoch(self, epoch: int, epochs: int, batches: int) -> None:
        self.progress.start()
        self.task = self.progress.add_task("train", total=batches, epoch=f"{epoch}/{epochs}", loss=0.0)

    def advance(self, loss: float) -> None:
        self.progress.update(self.task, advance=1, loss=loss)

    def end_epoch(self, record: dict) -> None:
        self.progress.remove_task(self.task)
        self.progress.stop()
        self.console.print(_epoch_line(record))

    def message(self, text: str) -> None:
        self.console.print(f"nerpipe: {text}")

    def close(self) -> None:
        self.progress.stop()
