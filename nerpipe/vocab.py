"""Vocabularies and the encoding of tokens into ids (no torch).

Words are looked up lower-cased, then with digits turned to 0, then as UNK; the
case comes back to the model through a small casing feature. Word ids put the
training words first (``0..n_train_words-1``, with PAD=0 and UNK=1) and the
pretrained-only words after them, so the model can tell which words it may adapt.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .tokenize import BREAK, FORMATTING

PAD, UNK = "<pad>", "<unk>"
MAX_WORD_CHARS = 30  # longer tokens feed their first 15 and last 15 characters to the char CNN

CASINGS = ["pad", "lower", "upper", "title", "mixed", "numeric", "has_digit", "other"]
_DIGIT = re.compile(r"\d")
# (not the zero-width (non-)joiners: in Persian and Indic scripts they change the word, and
# word vectors spell words with them)
_INVISIBLE = re.compile(f"[{FORMATTING}{BREAK}]")
_LETTER = re.compile(r"[^\W\d_]")


def composed(word: str) -> str:
    """``word`` in Unicode's composed form (NFC) and without the invisible characters of web
    and PDF text (soft hyphens, zero-width spaces, word joiners, direction marks), as every
    id of it is read: ``Zürich`` typed as ``u`` and a combining diaeresis (as macOS and
    some PDF tools write it), or ``Mer\u00adkel`` with a soft hyphen, is the same word as
    the plain one, in training and in tagging alike (the text and its offsets stay as
    given; a token of invisible characters alone stays as it is)."""
    if word.isascii():
        return word
    return unicodedata.normalize("NFC", _INVISIBLE.sub("", word) or word)


def casing(word: str) -> int:
    """The casing class of ``word`` (an index into :data:`CASINGS`)."""
    word = composed(word)
    if word.isdigit():
        return 5
    if any(c.isdigit() for c in word):
        return 6
    if word.islower():
        return 1
    if word.isupper():
        return 2
    if word[:1].isupper() and word[1:].islower():
        return 3
    if any(c.isalpha() for c in word):
        return 4
    return 7


SENTENCE_CASES = ["mixed", "lower", "upper", "title"]


def sentence_casing(tokens: Sequence[str]) -> int:
    """How a whole sentence is cased (an index into :data:`SENTENCE_CASES`): no capital
    at all (chat), every letter a capital (a shouted headline), every word capitalised
    (a title-case headline), or mixed (the case of running text, which says something).
    A word is a token holding a letter."""
    tokens = [composed(t) for t in tokens]
    text = "".join(tokens)
    if _LETTER.search(text) is None:
        return 0
    if text == text.lower():
        return 1
    if text == text.upper():
        return 2
    words = 0
    for t in tokens:  # running text fails this on its first lower-case word
        if _LETTER.search(t) is None:
            continue
        if not t[0].isupper():
            return 0
        words += 1
    return 3 if words > 1 else 0


# what a token says of its sentence's casing (sentence_casings reads a sentence from its tokens' bits)
HAS_LETTER, NOT_LOWER, NOT_UPPER, NOT_CAPITALISED = 1, 2, 4, 8


def casing_bits(word: str) -> int:
    """The :func:`sentence_casing` facts of one token, as bits: it holds a letter; lower-casing
    or upper-casing changes it; it holds a letter but does not begin with a capital."""
    word = composed(word)
    letter = _LETTER.search(word) is not None
    return (HAS_LETTER * letter | NOT_LOWER * (word != word.lower()) | NOT_UPPER * (word != word.upper())
            | NOT_CAPITALISED * (letter and not word[0].isupper()))


def sentence_casings(bits: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """:func:`sentence_casing` of many sentences at once: ``bits`` (every token's
    :func:`casing_bits`, the sentences one after another), ``lengths`` (each sentence's
    tokens, each at least one) -> each sentence's index into :data:`SENTENCE_CASES`.

    The same as reading each sentence's text: lower- or upper-casing changes a text
    exactly where it changes one of its tokens (the one rule that looks beyond a letter,
    Greek final sigma, only ever changes a capital sigma)."""
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    seen = np.bitwise_or.reduceat(bits, starts)
    words = np.add.reduceat(bits & HAS_LETTER, starts)
    title = np.where(((seen & NOT_CAPITALISED) == 0) & (words > 1), 3, 0)
    return np.where((seen & HAS_LETTER) == 0, 0,
                    np.where((seen & NOT_LOWER) == 0, 1, np.where((seen & NOT_UPPER) == 0, 2, title)))


def word_keys(word: str) -> tuple[str, str]:
    """The keys a word is looked up by, in order: lower-cased, then digits as 0 (both composed)."""
    lower = composed(word).lower()
    return lower, _DIGIT.sub("0", lower)


def clip_chars(word: str) -> str:
    if len(word) <= MAX_WORD_CHARS:
        return word
    half = MAX_WORD_CHARS // 2
    return word[:half] + word[-half:]


@dataclass
class Vocab:
    """Word, character and tag inventories; lists of strings, so checkpoints stay plain."""

    words: list[str]
    n_train_words: int
    chars: list[str]
    tags: list[str]
    lower_chars: bool = False  # the character CNN sees lower-cased spelling; case reaches the model only as the casing feature
    sentence_case: bool = False  # the casing feature also says how the whole sentence is cased
    word_index: dict[str, int] = field(init=False, repr=False)
    char_index: dict[str, int] = field(init=False, repr=False)
    tag_index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.word_index = {w: i for i, w in enumerate(self.words)}
        self.char_index = {c: i for i, c in enumerate(self.chars)}
        self.tag_index = {t: i for i, t in enumerate(self.tags)}
        self._cache: dict[str, tuple[int, int, list[int], int]] = {}

    @classmethod
    def build(
        cls,
        sentences: Iterable[Sequence[str]],
        tags: Sequence[str],
        pretrained: Sequence[str] = (),
        keep_pretrained: int = 0,
        lower_chars: bool = False,
        sentence_case: bool = False,
        char_variants: Sequence[Callable[[str], str]] = (),
    ) -> tuple[Vocab, Counter]:
        """Build from training sentences; keep the first ``keep_pretrained`` pretrained words.

        A training word is stored under the key by which it finds a pretrained vector
        (its lower-cased form, else its digits-as-0 form). Returns the vocab and the
        key counts (for singleton replacement). ``char_variants`` are spellings the
        training will also show the model (casing variants): their characters join the
        character inventory, the words' counts stay those of the data as written.
        """
        pretrained = [w for w in pretrained if "\n" not in w]  # words are stored newline-joined
        known = set(pretrained)
        counts: Counter = Counter()
        char_counts: Counter = Counter()
        for tokens in sentences:
            for tok in map(composed, tokens):
                lower, norm = word_keys(tok)
                counts[lower if lower in known or lower == norm else norm] += 1
                spelt = clip_chars(tok.lower() if lower_chars else tok)
                char_counts.update(spelt)
                for change in char_variants:
                    other = change(tok)
                    char_counts.update(c for c in clip_chars(other.lower() if lower_chars else other) if c not in char_counts)
        train_words = [PAD, UNK] + sorted(counts, key=lambda w: (-counts[w], w))
        seen = set(train_words)
        extra = [w for w in list(pretrained)[:keep_pretrained] if w not in seen]
        chars = [PAD, UNK] + sorted(char_counts, key=lambda c: (-char_counts[c], c))
        return cls(train_words + extra, len(train_words), chars, list(tags), lower_chars=lower_chars,
                   sentence_case=sentence_case), counts

    def encode(self, word: str) -> tuple[int, int, list[int], int]:
        """``(word id, casing class, character ids, casing bits)`` of a token, cached (at most
        200,000 tokens); the bits (:func:`casing_bits`) are what it says of its sentence's casing.
        Each is read from the token's :func:`composed` form."""
        cached = self._cache.get(word)
        if cached is None:
            cached = (self.word_id(word), casing(word), self.char_ids(word), casing_bits(word))
            if len(self._cache) < 200_000:
                self._cache[word] = cached
        return cached

    def casing_ids(self, tokens: Sequence[str]) -> list[int]:
        """The casing feature of each token: its casing class, and with ``sentence_case``
        the sentence's casing too (``class + len(CASINGS) * sentence case``)."""
        shift = self.casing_shift(tokens)
        return [casing(t) + shift for t in tokens]

    def casing_shift(self, tokens: Sequence[str]) -> int:
        """What the sentence's casing adds to each token's casing class (0 without ``sentence_case``)."""
        return len(CASINGS) * sentence_casing(tokens) if self.sentence_case else 0

    def word_id(self, word: str) -> int:
        lower, norm = word_keys(word)
        found = self.word_index.get(lower)
        return self.word_index.get(norm, 1) if found is None else found

    def char_ids(self, word: str) -> list[int]:
        word = composed(word)
        return [self.char_index.get(c, 1) for c in clip_chars(word.lower() if self.lower_chars else word)]

    def to_dict(self) -> dict:
        # one compressed, newline-joined string: torch's weights-only unpickler is slow on
        # 400,000 small strings, and the words compress to a third
        packed = zlib.compress("\n".join(self.words).encode("utf-8"), 6)
        out = {"words_zlib": packed, "n_train_words": self.n_train_words, "chars": self.chars, "tags": self.tags}
        if self.lower_chars:
            out["lower_chars"] = True
        if self.sentence_case:
            out["sentence_case"] = True
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Vocab:
        words = zlib.decompress(data["words_zlib"]).decode("utf-8").split("\n")
        return cls(words, int(data["n_train_words"]), list(data["chars"]), list(data["tags"]),
                   bool(data.get("lower_chars", False)), bool(data.get("sentence_case", False)))
