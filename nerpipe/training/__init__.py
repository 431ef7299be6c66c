"""Training a tagger, in parts that each do one thing:

config.py       TrainConfig, the frozen record of a run's options and their defaults (no torch)
corpus.py       reading gold sentences and checking them before the first step (no torch)
schedule.py     rounds: when to evaluate, the learning rate, the epoch cap (no torch)
reporter.py     Reporter, the callbacks the command line draws progress with (no torch)
result.py       TrainResult, and reading a checkpoint's training summary (no torch)
distributed.py  this process's rank under torchrun
setup.py        the model and vocabulary a run starts from: new, or grown from --init-model
batches.py      the training data as ids, shuffled into batches (a function of seed and epoch)
state.py        Progress (where a run stands) and the OUTPUT.state file --resume reads
meter.py        LossMeter: the loss read from the device each step on a CPU, every 50 off it
trainer.py      Trainer: steps, rounds, dev evaluation, the loop that keeps the best model
run.py          train(), the entry point

Only the config is imported here; the rest on first use, so the command line can
read the defaults quickly and without importing torch.
"""

from __future__ import annotations

from ..lazy import lazy_names
from .config import DEFAULTS, TrainConfig

_LAZY = {
    "Corpus": "corpus",
    "GoldSentence": "corpus",
    "check_data": "corpus",
    "fingerprint": "corpus",
    "labels_of": "corpus",
    "read_corpus": "corpus",
    "Reporter": "reporter",
    "TrainResult": "result",
    "best_of": "result",
    "Schedule": "schedule",
    "train": "run",
    "Trainer": "trainer",
    "make_optimizer": "trainer",
    "TRAIN_SCHEME": "trainer",
    "STATE_FORMAT": "state",
    "Progress": "state",
    "TrainingBatches": "batches",
    "Distributed": "distributed",
    "start_distributed": "distributed",
}

__all__ = ["DEFAULTS", "STATE_FORMAT", "TRAIN_SCHEME", "Corpus", "Distributed", "GoldSentence", "Progress", "Reporter",
           "Schedule", "TrainConfig", "TrainResult", "Trainer", "TrainingBatches", "best_of", "check_data", "fingerprint",
           "labels_of", "make_optimizer",
           "read_corpus", "start_distributed", "train"]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())
