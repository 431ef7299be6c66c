"""The model's hyperparameters, a frozen record (no torch).

Kept apart from :mod:`nerpipe.model` so the command line can take its option
defaults from here without importing torch; ``nerpipe.model`` re-exports it.
"""

from __future__ import annotations

import operator
from dataclasses import asdict, dataclass


def whole_number(name: str, value) -> int:
    """``value`` as an int (a numpy integer too: configs are written as JSON); a TypeError
    naming ``name`` for anything else (a bool, a float, a string)."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{name}: expected a whole number, got {type(value).__name__} {value!r}")
    return operator.index(value)


@dataclass(frozen=True)
class ModelConfig:
    word_dim: int = 50
    char_dim: int = 30
    char_filters: int = 50
    casing_dim: int = 8
    sentence_case: bool = False  # the casing embedding is indexed by token and sentence casing together
    lexicon_features: int = 0  # bits per token from the training-data lexicon (0: none)
    hidden: int = 100
    layers: int = 1
    dropout: float = 0.5
    variational: bool = False  # one dropout mask per sentence, shared by all its positions
    crf: bool = True
    pretrained: bool = False  # word vectors are a frozen table plus a correction
    merged: bool = False  # exported: the correction is folded into the pretrained table

    def __post_init__(self) -> None:
        for name in ("word_dim", "char_dim", "char_filters", "casing_dim", "hidden", "layers", "lexicon_features"):
            value, least = whole_number(name, getattr(self, name)), 0 if name == "lexicon_features" else 1
            if value < least:
                raise ValueError(f"{name}: expected a whole number, at least {least}, got {value}")
            object.__setattr__(self, name, value)
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)) or not 0 <= self.dropout < 1:
            raise ValueError(f"dropout: expected a number >= 0 and < 1, got {self.dropout!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
