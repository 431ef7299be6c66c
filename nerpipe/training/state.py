"""Where a run stands (epochs and steps run, the best dev F1 so far, the rounds since, the
history), and the ``OUTPUT.state`` file a ``--resume`` continues from."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..checkpoints import atomic_save, safe_load
from ..errors import NerpipeError
from .config import TrainConfig
from .distributed import Distributed
from .reporter import Reporter

STATE_FORMAT = "nerpipe-train-state"
_INPUT_NAMES = {"train": "training sentences", "dev": "dev sentences", "init_model": "--init-model file"}
# options a resumed run may change: it may run longer, or be more patient
RESUMABLE_CHANGES = ("epochs", "min_steps", "patience")


@dataclass
class Progress:
    epoch: int = 0  # epochs run
    steps: int = 0  # optimizer steps (on each process)
    best_f1: float = -1.0  # dev F1 in percent, rounded as every report shows it (-1: none yet)
    best_epoch: int = 0  # 0 with --init-model: the starting model, unbeaten
    bad_rounds: int = 0  # rounds since the best one
    history: list[dict] = field(default_factory=list)  # an entry per round (what --log writes): loss, speed, dev figures, "best"

    def best_record(self) -> dict:
        return next((h for h in self.history if h["epoch"] == self.best_epoch), {})

    def count(self, entry: dict, f1: float | None) -> bool:
        """Add a round's ``entry`` whose dev F1 (percent, None without dev data) is
        ``f1``; True when it is the best so far (without dev: every round is)."""
        improved = f1 is None or f1 > self.best_f1
        if improved:
            self.best_f1 = -1.0 if f1 is None else f1
            self.best_epoch, self.bad_rounds = entry["epoch"], 0
        else:
            self.bad_rounds += 1
        entry["best"] = improved
        self.history.append(entry)
        return improved


def resumable_config(config: TrainConfig) -> str:
    """The options a resumed run must share."""
    return json.dumps({k: v for k, v in config.to_dict().items() if k not in RESUMABLE_CHANGES}, sort_keys=True)


def save_state(path: Path, progress: Progress, config: TrainConfig, inputs: dict, model: torch.nn.Module,
               optimizer: torch.optim.Optimizer, average) -> None:
    atomic_save({
        "format": STATE_FORMAT,
        "config": resumable_config(config),
        "inputs": json.dumps(inputs, sort_keys=True),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "average": average.state_dict() if average is not None else {},
        "epoch": progress.epoch,
        "steps": progress.steps,
        "best_dev_f1": progress.best_f1,
        "best_epoch": progress.best_epoch,
        "bad_rounds": progress.bad_rounds,
        "history": json.dumps(progress.history),
        "threads": torch.get_num_threads(),  # on the CPU the sums' order, so the model, depends on it
    }, path)


def load_state(path: Path, config: TrainConfig, inputs: dict, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
               average, dist: Distributed, reporter: Reporter) -> Progress:
    """Restore ``model``, ``optimizer`` and ``average`` from ``path`` and return where the
    run stood; refuse a state of other options or other data (``inputs``: digests)."""
    state, error = None, None
    if dist.main:
        try:
            if not path.exists():
                raise NerpipeError("nothing to resume: no training state file (it is written after each round and "
                                   "removed when a run ends, unless --keep-state)", str(path))
            state = safe_load(path, "cpu", STATE_FORMAT)
        except NerpipeError as err:
            error = err
    # rank 0's file, so nodes need no shared disk; its error too, so no rank waits for the others
    state, error = dist.broadcast((state, error))
    if error is not None:
        raise error
    if "bad_rounds" not in state or "crf.transitions" in state["model"]:
        raise NerpipeError("cannot resume: this training state was written by an older nerpipe; "
                           "train again without --resume", str(path))
    if state["config"] != resumable_config(config):
        before, now = json.loads(state["config"]), json.loads(resumable_config(config))
        differ = [f"{name} {before.get(name)!r} then, {now.get(name)!r} now" for name in sorted(set(before) | set(now))
                  if before.get(name) != now.get(name)]
        casings = {"case_variants", "case_mix"}
        hint = ("; the --init-model's casings now carry over unless given (pass the casings the run had, e.g. "
                "--case-variants none)") if {n.split()[0] for n in differ} <= casings and config.init_model else ""
        raise NerpipeError("cannot resume: the options differ from the interrupted run's (" + "; ".join(differ[:4])
                           + (", ..." if len(differ) > 4 else "") + f"); pass the same ones{hint}", str(path))
    saved = json.loads(state.get("inputs", "{}"))
    changed = [_INPUT_NAMES[kind] for kind in inputs if kind in saved and saved[kind] != inputs[kind]]
    if dist.sum(float(bool(changed)))[0] and not changed:  # each rank read its own copy of the files
        changed = ["another rank's data or --init-model file"]
    if changed:
        raise NerpipeError(f"cannot resume: these differ from the interrupted run's: {', '.join(changed)} (content "
                           "or order); pass the same files, or train again without --resume", str(path))
    if "inputs" not in state:
        reporter.message(f"{path}: this training state does not record its data; resuming on trust")
    if state.get("threads") not in (None, torch.get_num_threads()):
        reporter.warning(f"{path}: the interrupted run had {state['threads']} torch thread(s), this one "
                         f"{torch.get_num_threads()} (--threads): the model will not be bit for bit an uninterrupted "
                         "run's, on the CPU the sums' order depends on the thread count")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])  # moves its tensors to the parameters' device
    if average is not None:
        average.load_state_dict(state["average"])
    if "best_dev_f1" in state:
        best = float(state["best_dev_f1"])
    else:  # written before F1 had one unit: a fraction
        best = round(100 * float(state["best_f1"]), 2) if float(state["best_f1"]) >= 0 else -1.0
    return Progress(int(state["epoch"]), int(state["steps"]), best, int(state["best_epoch"]), int(state["bad_rounds"]),
                    json.loads(state["history"]))
