"""A record as a person reads it: its text, where it came from, and its entities as
character spans (no torch). The ``pretty``, ``html`` and ``tsv`` writers draw from here.

A CoNLL sentence reads as its tokens joined by single spaces (as in JSONL output);
offsets are characters into that text, ``end`` exclusive. Annotations of None
(``convert``) mean the record's own gold spans.
"""

from __future__ import annotations

from dataclasses import dataclass

from .doc import Doc, annotation_sources, annotation_spans


@dataclass(frozen=True)
class Entity:
    start: int  # character offsets into the record's text, end exclusive
    end: int
    label: str
    score: float | None  # None when not known (gold spans)
    line: int  # the input line where the entity starts
    source: str | None = None  # "model", "pattern" (or "pattern:ID"); None when not said


@dataclass(frozen=True)
class RecordView:
    text: str
    path: str
    line: int  # the input line where the record starts
    entities: tuple[Entity, ...]


def item_to_view(item, annotations) -> RecordView | None:
    """The view of a record with its annotations (one per sentence, or None for its gold
    spans); None for a CoNLL marker line, which holds no text."""
    doc = item.as_doc()
    if doc is None:
        return None
    token_line = item.token_input_lines()
    spans, scores = _spans(doc, annotations)
    sources = annotation_sources(annotations) if annotations is not None else [None] * len(spans)
    entities = tuple(Entity(doc.tokens[s][0], doc.tokens[e - 1][1], label, score, token_line[s], source)
                     for (s, e, label), score, source in zip(spans, scores, sources))
    return RecordView(doc.text, doc.path, doc.line, entities)


def _spans(doc: Doc, annotations) -> tuple[list[tuple[int, int, str]], list[float | None]]:
    """Record-level token spans and a score each (None where unknown)."""
    if annotations is None:
        spans = list(doc.spans or [])
        return spans, [None] * len(spans)
    return annotation_spans(doc, annotations)
