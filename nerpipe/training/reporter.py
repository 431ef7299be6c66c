"""What a training run tells the outside world (no torch); the command line draws it."""

from __future__ import annotations


class Reporter:
    """Callbacks of a run; this base ignores them all (tests and library callers).

    A round is the stretch of epochs between two dev evaluations (see schedule.py):
    one epoch on large data, several on small.
    """

    def start_round(self, first_epoch: int, last_epoch: int, max_epochs: int, steps: int) -> None:
        """Epochs ``first_epoch``..``last_epoch`` of at most ``max_epochs`` begin: ``steps`` optimizer steps."""

    def advance(self, loss: float) -> None:
        """One optimizer step done; ``loss``: the latest step loss read from the device (NaN before the first)."""

    def end_round(self, entry: dict) -> None:
        """The round's log entry (what ``--log`` writes): loss, speed, dev figures, ``best``."""

    def message(self, text: str) -> None:
        """Something worth knowing (what was read, the schedule, the outcome)."""

    def warning(self, text: str) -> None:
        """Something the user should act on; shown even when progress is not."""
