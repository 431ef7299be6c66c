"""Training a tagger, in parts that each do one thing:

config.py       TrainConfig, the frozen record of a run's options and their defaults (no torch)
corpus.py       reading gold sentences and checking them before the first step (no torch)
schedule.py     rounds: when to evaluate, the learning rate, the epoch cap (no torch)
reporter.py     Reporter, the callbacks the command line draws progress with (no torch)
result.py       TrainResult, and reading a checkpoint's training summary (no torch)
distributed.py  this process's rank under torchrun
trainer.py      Trainer: model, batches, epochs, evaluation, resumable state, the loop
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
    "STATE_FORMAT": "trainer",
    "Distributed": "distributed",
    "start_distributed": "distributed",
}

__all__ = ["DEFAULTS", "STATE_FORMAT", "TRAIN_SCHEME", "Corpus", "Distributed", "GoldSentence", "Reporter", "Schedule",
           "TrainConfig", "TrainResult", "Trainer", "best_of", "check_data", "fingerprint", "labels_of", "make_optimizer",
           "read_corpus", "start_distributed", "train"]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())
