"""A record as a person reads it: its text, where it came from, and its entities as
character spans (no torch). The ``pretty``, ``html`` and ``tsv`` writers draw from here.

A CoNLL sentence reads as its tokens joined by single spaces (as in JSONL output);
offsets are characters into that text, ``end`` exclusive. Annotations of None
(``convert``) mean the record's own gold spans.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .conll import Sentence
from .doc import Doc, annotation_spans
from .jsonl import sentence_to_doc


@dataclass(frozen=True)
class Entity:
    start: int  # character offsets into the record's text, end exclusive
    end: int
    label: str
    score: float | None  # None when not known (gold spans)
    line: int  # the input line where the entity starts


@dataclass(frozen=True)
class RecordView:
    text: str
    path: str
    line: int  # the input line where the record starts
    entities: tuple[Entity, ...]


def item_to_view(item, annotations) -> RecordView | None:
    """The view of a record with its annotations (one per sentence, or None for its gold
    spans); None for a CoNLL marker line, which holds no text."""
    if isinstance(item, Sentence):
        doc = sentence_to_doc(item)
        # a CoNLL sentence has a token per input line
        token_line: Sequence[int] = [item.line + i for i in range(len(item.tokens))]
    elif isinstance(item, Doc):
        doc = item
        token_line = _token_lines(doc)
    else:
        return None
    spans, scores = _spans(doc, annotations)
    entities = tuple(Entity(doc.tokens[s][0], doc.tokens[e - 1][1], label, score, token_line[s])
                     for (s, e, label), score in zip(spans, scores))
    return RecordView(doc.text, doc.path, doc.line, entities)


def _spans(doc: Doc, annotations) -> tuple[list[tuple[int, int, str]], list[float | None]]:
    """Record-level token spans and a score each (None where unknown)."""
    if annotations is None:
        spans = list(doc.spans or [])
        return spans, [None] * len(spans)
    return annotation_spans(doc, annotations)


def _token_lines(doc: Doc) -> Sequence[int]:
    """The input line of each token. Plain text keeps its line ends, so a paragraph's
    n-th line is the n-th input line from where it starts; a JSONL record (it has a
    ``text`` field) is one input line, whatever its text holds."""
    if "text" in doc.record or "\n" not in doc.text:
        return [doc.line] * len(doc.tokens)
    lines, line, cursor = [], doc.line, 0
    for start, _ in doc.tokens:
        line += doc.text.count("\n", cursor, start)
        cursor = start
        lines.append(line)
    return lines
