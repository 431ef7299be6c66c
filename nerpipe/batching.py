"""Batches: token lists to padded id tensors, and the character-feature cache of tagging.

Everything here is shaped for :class:`~nerpipe.model.BiLSTMCRF`: batch-first tensors,
one character row per distinct token of a batch (or of the cache), and the sentence
lengths on the CPU for packing.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .lexicon import Lexicon
from .vocab import CASINGS, Vocab, sentence_casings


@dataclass
class Batch:
    """Padded ids of a list of sentences (batch-first).

    words, casings: (batch, seq_len) long; mask: (batch, seq_len) bool;
    chars: (n_unique, word_len) long, one row per distinct token of the batch;
    char_index: (batch, seq_len) long, the row of ``chars`` for each token;
    lengths: (batch,) long, on the CPU (packing wants it there);
    lexicon: (batch, seq_len) long, each token's lexicon bits (zeros without a lexicon).
    """

    words: Tensor
    casings: Tensor
    chars: Tensor
    char_index: Tensor
    mask: Tensor
    lengths: Tensor
    lexicon: Tensor

    def to(self, device: torch.device) -> Batch:
        return Batch(*(t if name == "lengths" else t.to(device, non_blocking=True) for name, t in self.__dict__.items()))


def make_batch(sentences: Sequence[Sequence[str]], vocab: Vocab, word_ids: Sequence[np.ndarray] | None = None,
               casing_ids: Sequence[np.ndarray] | None = None, cache: CharFeatureCache | None = None,
               lexicon_bits: Sequence[np.ndarray] | None = None, lexicon: Lexicon | None = None) -> Batch:
    """Encode token lists (each non-empty); ``word_ids``, ``casing_ids`` and ``lexicon_bits``
    may be passed precomputed, else the bits come from ``lexicon`` (none without one).

    With a ``cache``, ``char_index`` points into the cache's rows and ``chars`` holds
    only the tokens it has not seen yet (their rows are reserved in the cache here).
    """
    n = len(sentences)
    lengths = np.fromiter((len(s) for s in sentences), dtype=np.int64, count=n)
    seq_len = int(lengths.max())
    mask = np.arange(seq_len)[None, :] < lengths[:, None]
    total = int(lengths.sum())
    # the one pass over every token: its place among the batch's distinct tokens (row-major,
    # the order of mask's True cells); all else is done per distinct token, or by numpy
    distinct: dict[str, int] = {}
    place = np.fromiter((distinct.setdefault(t, len(distinct)) for s in sentences for t in s), dtype=np.int64, count=total)
    rows: dict[str, int] = {} if cache is None else cache.rows
    first_new = len(rows)
    row_of = np.fromiter((rows.setdefault(t, len(rows)) for t in distinct), dtype=np.int64, count=len(distinct))
    unique = list(itertools.islice(rows, first_new, None))  # dicts keep insertion order
    words = np.zeros((n, seq_len), dtype=np.int64)
    casings = np.zeros((n, seq_len), dtype=np.int64)
    char_index = np.zeros((n, seq_len), dtype=np.int64)
    char_index[mask] = row_of[place]
    encode = vocab.encode
    if word_ids is None:
        codes = list(map(encode, distinct))
        words[mask] = np.fromiter((c[0] for c in codes), dtype=np.int64, count=len(codes))[place]
        casings[mask] = np.fromiter((c[1] for c in codes), dtype=np.int64, count=len(codes))[place]
        if vocab.sentence_case:
            bits = np.fromiter((c[3] for c in codes), dtype=np.int64, count=len(codes))[place]
            casings += len(CASINGS) * sentence_casings(bits, lengths)[:, None] * mask
    else:
        words[mask] = np.concatenate(word_ids)
        casings[mask] = np.concatenate(casing_ids) if casing_ids is not None else np.concatenate(
            [vocab.casing_ids(s) for s in sentences])
    bits = np.zeros((n, seq_len), dtype=np.int64)
    if lexicon_bits is not None:
        bits[mask] = np.concatenate(lexicon_bits)
    elif lexicon is not None:
        bits[mask] = np.concatenate([lexicon.match(s) for s in sentences])
    char_rows = [encode(t)[2] for t in unique]
    chars = np.zeros((len(char_rows), max(map(len, char_rows), default=1)), dtype=np.int64)
    for r, ids in enumerate(char_rows):
        chars[r, : len(ids)] = ids
    return Batch(*(torch.from_numpy(a) for a in (words, casings, chars, char_index, mask, lengths, bits)))


class CharFeatureCache:
    """Character-CNN features of the tokens seen so far, for tagging (never training).

    A token's character feature depends on its spelling alone, and text repeats its
    tokens (CoNLL-2003 test.txt: about 9,500 distinct among 46,000), so each is computed
    once. Holds at most ``capacity`` tokens, then starts afresh, so memory stays bounded.
    """

    def __init__(self, capacity: int = 100_000):
        self.capacity = capacity
        self.rows: dict[str, int] = {}
        self.table: Tensor | None = None  # (allocated rows, filters); the first len(rows) are filled
        self.filled = 0

    def make_room(self, tokens: int) -> None:
        if len(self.rows) + tokens > self.capacity:
            self.clear()

    def clear(self) -> None:
        """Forget every token (also after a batch that failed between reserving rows and filling them)."""
        self.rows.clear()
        self.filled = 0

    def extend(self, features: Tensor) -> Tensor:
        """Store the features of the rows ``make_batch`` reserved; return the filled table."""
        needed = self.filled + features.shape[0]
        if self.table is None or self.table.shape[0] < needed or self.table.device != features.device:
            grown = features.new_empty((max(needed, 2 * (0 if self.table is None else self.table.shape[0]), 1024), features.shape[1]))
            if self.table is not None and self.filled:
                grown[: self.filled] = self.table[: self.filled]
            self.table = grown
        self.table[self.filled : needed] = features
        self.filled = needed
        return self.table[:needed]
