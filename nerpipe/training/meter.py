"""The training loss as the host sees it, read from the device as seldom as it may be.

Reading a value computed on a GPU (``float(loss)``, ``.item()``, ``.tolist()``) makes
the host wait until the device has done everything queued before it. Read after each
step, the host can never queue the next step while the device runs this one, and a
small model (a few milliseconds of kernels per step) then waits on every launch. On the
CPU there is nothing to wait for, and the loss is read after each step as it always was.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ..errors import NerpipeError

READ_EVERY = 50  # steps between reads off the CPU: the progress bar's loss is at most this old


class LossMeter:
    """Sums each step's loss (weighted by its sentences) and reads it to the host every
    ``every`` steps (1: each step, as the CPU does) and at :meth:`read`.

    ``total`` is the weighted sum read so far, ``latest`` the last step's loss as of the
    last read. A loss that is not finite raises :class:`~nerpipe.errors.NerpipeError` at the
    read that sees it (at most ``every`` steps late: the run stops all the same).
    """

    def __init__(self, every: int = 1, where: str = ""):
        if every < 1:
            raise ValueError(f"every must be at least 1, got {every}")
        self.every, self.where = every, where
        self.total, self.latest, self.reads = 0.0, math.nan, 0
        self._pending: Tensor | None = None
        self._last: Tensor | None = None
        self._steps = 0

    @classmethod
    def for_device(cls, device: torch.device, where: str = "") -> LossMeter:
        return cls(1 if device.type == "cpu" else READ_EVERY, where)

    def add(self, loss: Tensor, examples: int) -> None:
        """One step's mean loss over ``examples`` sentences."""
        self._steps += 1
        if self.every == 1:  # the host waits here anyway (or, on a CPU, never): read it now
            self._check(float(loss.detach()))
            self.total += self.latest * examples
            return
        weighted = loss.detach() * examples
        self._pending = weighted if self._pending is None else self._pending + weighted
        self._last = loss.detach()
        if self._steps % self.every == 0:
            self.read()

    def read(self) -> float:
        """Bring what is pending to the host (one wait for the device); the latest loss."""
        if self._pending is not None:
            assert self._last is not None
            total, latest = torch.stack([self._pending.float(), self._last.float()]).tolist()
            self._pending = self._last = None
            if not math.isfinite(total):
                latest = latest if not math.isfinite(latest) else total
            self._check(latest)
            self.total += total
        return self.latest

    def _check(self, value: float) -> None:
        self.reads += 1
        if not math.isfinite(value):
            raise NerpipeError(f"training diverged (loss {value}){self.where}; try a lower --lr")
        self.latest = value
