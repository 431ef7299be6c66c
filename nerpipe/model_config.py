"""The model's hyperparameters, a frozen record (no torch).

Kept apart from :mod:`nerpipe.model` so the command line can take its option
defaults from here without importing torch; ``nerpipe.model`` re-exports it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


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

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
