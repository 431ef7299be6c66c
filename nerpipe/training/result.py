"""What a finished run reports, and how a checkpoint's training summary is read (no torch)."""

from __future__ import annotations

from dataclasses import dataclass

STOPPED_BY_PATIENCE = "patience"  # dev F1 stopped improving for --patience rounds
STOPPED_AT_CAP = "max-epochs"  # the epoch cap (raised by --min-steps on small data), with or without dev
# what a model written at a new best says while its run goes on; the run's end replaces it, so a
# model file that keeps it comes from a run that was interrupted (--resume continues it) or is still going
STOPPED_UNFINISHED = "unfinished"


@dataclass(frozen=True)
class TrainResult:
    epochs: int  # epochs run, counting those before a --resume
    steps: int  # optimizer steps (on each process)
    max_epochs: int  # the cap the schedule set
    best_epoch: int  # the epoch whose model was kept (without dev: the last; 0: the --init-model one, unbeaten)
    best_dev_f1: float | None  # percent, None without dev data
    best: dict  # the kept epoch's entry (loss, speed, dev scores)
    output: str
    rank: int
    world: int
    stopped: str  # STOPPED_BY_PATIENCE or STOPPED_AT_CAP
    still_improving: bool  # stopped at the cap with the last of two or more evaluations the best so far
    evaluations: int = 0  # dev evaluations (the --init-model's, before the first step, counts)

    def summary(self) -> str:
        f1 = f", dev F1 {self.best_dev_f1:.2f}" if self.best_dev_f1 is not None else ""
        if self.best_epoch == 0:
            return f"kept the starting model{f1} (epochs run: {self.epochs}); model written to {self.output}"
        return f"best epoch {self.best_epoch} of {self.epochs}{f1}; model written to {self.output}"

    def advice(self) -> str | None:
        """A warning when the run may have stopped too soon, or changed nothing."""
        if self.best_epoch == 0 and self.best_dev_f1 is not None:
            return (f"no round beat the starting model's dev F1 ({self.best_dev_f1:.2f}), so {self.output} holds the "
                    "starting model (which tags as the base model does; labels it adds are untrained); the new data may be too little "
                    "or too unlike the dev data, or a lower --lr may help")
        if self.best_dev_f1 == 0:  # nothing improved: it found no dev entity at any evaluation
            return (f"dev F1 was 0.00 at every evaluation ({self.steps:,} steps): the model found no dev entity; train "
                    "longer (--epochs, --min-steps) or on more data")
        if self.best_dev_f1 is not None and self.evaluations == 1 and self.stopped == STOPPED_AT_CAP:
            return (f"dev F1 was measured once, at the cap (epoch {self.max_epochs}, {self.steps:,} steps), so nothing "
                    "says whether more training would help: a higher --epochs (or a lower --eval-steps) measures it more often")
        if self.still_improving:
            return (f"dev F1 was still improving when the run stopped at its cap, epoch {self.max_epochs} "
                    f"({self.steps:,} steps): a higher --epochs may give a better model")
        return None


def best_of(training: dict) -> tuple[int | None, float | None]:
    """The kept epoch and its dev F1 (None without dev) from a checkpoint's
    ``meta["training"]``. Models trained before these were stored find them in the
    epoch history."""
    if "best_dev_f1" in training:
        return training.get("best_epoch"), training["best_dev_f1"]
    epoch = training.get("best_epoch")
    entry: dict = next((h for h in training.get("history", []) if h.get("epoch") == epoch), {})
    return epoch, entry.get("dev_f1")


def stopped_of(training: dict) -> str | None:
    """Why the run stopped, from a checkpoint's ``meta["training"]``: as recorded; for a
    model written before it was, the cap when its history reaches it, else None (not
    recorded: such files were rewritten only at a new best epoch, so a history that ends
    before the cap may have gone on under patience, or been interrupted)."""
    if "stopped" in training:
        return training["stopped"]
    history, config = training.get("history") or [], training.get("config") or {}
    cap = (training.get("schedule") or {}).get("max_epochs") or config.get("epochs")
    if history and cap is not None and history[-1].get("epoch", 0) >= cap:
        return STOPPED_AT_CAP
    return None
