"""A gazetteer built from the training data: which token sequences were entities, of which types.

The model gets, for every token, one bit per (type, position) for each lexicon entry
that covers it: B, I, E or S of an entry of type X. Matching is case-insensitive and
exact on token boundaries; overlapping entries all set their bits, so the model
decides. A lexicon from the training data only is the legitimate kind (never one built
from evaluation data).

Training uses cross-fold lexicons (:func:`cross_fold_features`): the features of a
training sentence come from the entities of the *other* folds, so the model learns
how far a match can be trusted on text it has not seen, which is the situation at
tagging time.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence

import numpy as np

from .schemes import tags_to_spans
from .vocab import composed

MAX_ENTRY_TOKENS = 8
POSITIONS = 4  # B, I, E, S


class Lexicon:
    """Entity strings (lower-cased token tuples) and the types each was seen as."""

    def __init__(self, types: Sequence[str], entries: dict[tuple[str, ...], int] | None = None):
        self.types = list(types)
        self.entries: dict[tuple[str, ...], int] = {}  # key -> bit mask over types
        self.prefixes: set[tuple[str, ...]] = set()
        self.starts: set[str] = set()  # first tokens of entries: most tokens start none
        for key, mask in (entries or {}).items():
            self.add(key, mask)

    @property
    def features(self) -> int:
        """Feature bits per token."""
        return len(self.types) * POSITIONS

    def add(self, key: tuple[str, ...], mask: int) -> None:
        if not key or len(key) > MAX_ENTRY_TOKENS:
            return
        self.entries[key] = self.entries.get(key, 0) | mask
        self.starts.add(key[0])
        for k in range(1, len(key)):
            self.prefixes.add(key[:k])

    @classmethod
    def build(cls, sentences: Iterable[tuple[Sequence[str], Sequence[str]]], types: Sequence[str]) -> Lexicon:
        """From (tokens, tags) pairs in any BIO-style scheme."""
        lexicon = cls(types)
        bit = {t: 1 << k for k, t in enumerate(lexicon.types)}
        for tokens, tags in sentences:
            for start, end, label in tags_to_spans(tags):
                if label in bit:
                    lexicon.add(tuple(composed(t).lower() for t in tokens[start:end]), bit[label])
        return lexicon

    def match(self, tokens: Sequence[str]) -> np.ndarray:
        """One int64 bit mask per token: bit ``type * 4 + position`` (B=0, I=1, E=2, S=3)."""
        n = len(tokens)
        out = np.zeros(n, dtype=np.int64)
        lowered = [composed(t).lower() for t in tokens]  # (as the vocabulary reads words: NFC)
        entries, prefixes, starts = self.entries, self.prefixes, self.starts
        for i in range(n):
            if lowered[i] not in starts:
                continue
            key: tuple[str, ...] = ()
            for j in range(i, min(n, i + MAX_ENTRY_TOKENS)):
                key = (*key, lowered[j])
                mask = entries.get(key)
                if mask:
                    self._mark(out, i, j + 1, mask)
                if key not in prefixes:
                    break
        return out

    def _mark(self, out: np.ndarray, start: int, end: int, mask: int) -> None:
        for k in range(len(self.types)):
            if mask >> k & 1:
                base = k * POSITIONS
                if end - start == 1:
                    out[start] |= 1 << (base + 3)
                    continue
                out[start] |= 1 << base
                for p in range(start + 1, end - 1):
                    out[p] |= 1 << (base + 1)
                out[end - 1] |= 1 << (base + 2)

    def to_dict(self) -> dict:
        # tokens never hold a tab or a newline (the CoNLL reader splits on them)
        text = "\n".join(f"{mask}\t" + "\t".join(key) for key, mask in self.entries.items())
        return {"types": self.types, "entries_zlib": zlib.compress(text.encode("utf-8"), 6)}

    @classmethod
    def from_dict(cls, data: dict) -> Lexicon:
        text = zlib.decompress(data["entries_zlib"]).decode("utf-8")
        entries = {}
        for line in text.split("\n") if text else []:
            mask, *key = line.split("\t")
            entries[tuple(key)] = int(mask)
        return cls(data["types"], entries)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Lexicon) and self.types == other.types and self.entries == other.entries

    def __len__(self) -> int:
        return len(self.entries)


def cross_fold_features(sentences: Sequence[tuple[Sequence[str], Sequence[str]]], types: Sequence[str],
                        folds: int = 5) -> list[np.ndarray]:
    """Lexicon bits of each training sentence from a lexicon of the other folds' entities.

    Folds are contiguous runs of sentences, so a document (and the entities it repeats)
    stays within one fold as far as possible.
    """
    n = len(sentences)
    fold_of = [i * folds // max(n, 1) for i in range(n)]
    out: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * n
    for k in range(folds):
        lexicon = Lexicon.build((s for s, f in zip(sentences, fold_of) if f != k), types)
        for i in range(n):
            if fold_of[i] == k:
                out[i] = lexicon.match(sentences[i][0])
    return out
