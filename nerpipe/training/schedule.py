"""How long a run trains, when it looks at the dev data, and its learning rate (no torch).

Counted in epochs, a schedule tuned on CoNLL-2003 (about 220 optimizer steps an epoch)
starves small data: 1,500 sentences make 24 steps an epoch, so 30 epochs are 720
steps and dev F1 is still rising when they run out. So the schedule counts *rounds*:
a round is one epoch when an epoch has at least ``eval_steps`` steps, otherwise the
fewest whole epochs that do. Dev evaluation, patience and learning-rate decay count
rounds, and the default cap of 30 epochs rises to cover ``min_steps`` steps (an
``epochs`` the user gives is the cap as it stands). On data of ``eval_steps`` or more
steps an epoch a round is an epoch and 30 epochs make at least ``min_steps`` steps at
the defaults, so nothing changes there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .config import DEFAULT_EPOCHS, TrainConfig


@dataclass(frozen=True)
class Schedule:
    steps_per_epoch: int  # optimizer steps of one epoch (on each process)
    epochs_per_round: int  # a round ends with a dev evaluation
    max_epochs: int  # the cap; its last round may be shorter

    @classmethod
    def plan(cls, config: TrainConfig, steps_per_epoch: int) -> Schedule:
        if steps_per_epoch < 1:
            raise ValueError(f"expected steps_per_epoch >= 1, got {steps_per_epoch}")
        per_round = max(1, math.ceil(config.eval_steps / steps_per_epoch))
        if config.epochs is not None:  # asked for: the cap as it stands
            cap = config.epochs
        else:
            cap = max(DEFAULT_EPOCHS, math.ceil(config.min_steps / steps_per_epoch))
        return cls(steps_per_epoch, per_round, cap)

    @property
    def max_steps(self) -> int:
        return self.max_epochs * self.steps_per_epoch

    def round_of(self, epoch: int) -> int:
        """The round (from 1) that epoch ``epoch`` (from 1) belongs to."""
        return (epoch - 1) // self.epochs_per_round + 1

    def round_epochs(self, round_: int) -> range:
        """The epochs of a round, the last one cut at the cap."""
        first = (round_ - 1) * self.epochs_per_round + 1
        return range(first, min(first + self.epochs_per_round, self.max_epochs + 1))

    def lr(self, config: TrainConfig, epoch: int) -> float:
        """The learning rate of every step of ``epoch``: lr / (1 + lr_decay * r), r the round from 0."""
        return config.lr / (1 + config.lr_decay * (self.round_of(epoch) - 1))

    def describe(self, dev: bool = True) -> str:
        rounds = "no dev data" if not dev else "dev after every epoch" if self.epochs_per_round == 1 else "dev once, at the end" if (
            self.epochs_per_round >= self.max_epochs) else (
            f"dev every {self.epochs_per_round} epochs ({counted(self.epochs_per_round * self.steps_per_epoch, 'step')})")
        return (f"{counted(self.steps_per_epoch, 'step')} an epoch; at most {counted(self.max_epochs, 'epoch')} "
                f"({counted(self.max_steps, 'step')}); {rounds}")


def counted(n: int, noun: str) -> str:
    """``1 step``, ``1,000 steps``."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")
