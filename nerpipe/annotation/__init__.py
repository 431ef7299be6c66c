"""``nerpipe annotate``: correct pre-annotated records in a local web page (no torch here).

:mod:`.session` keeps the decisions and the file they go to; :mod:`.server` serves the
page (``page.html``) and its small API on 127.0.0.1. :func:`prepare` reads the input
and says which records still need the model's predictions as pre-annotations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..errors import NerpipeError
from ..formats import Doc, ReadOptions, align_spans, read_records
from .server import AnnotationServer
from .session import ANSWERS, Session


def prepare(path: str, input_format: str = "auto", read: ReadOptions | None = None) -> list[Doc]:
    """The records of ``path`` as Docs, each with the spans to start from: a model's
    (``predicted_spans``, as ``tag`` writes them beside gold ones), else the record's own;
    ``spans`` None where there are neither (the model is to pre-annotate those)."""
    _, records, _ = read_records(path, input_format, read or ReadOptions())
    docs = []
    for record in records:
        doc = record.as_doc()
        if doc is None:
            continue
        predicted = doc.record.get("predicted_spans") if isinstance(doc.record, dict) else None
        if isinstance(predicted, list):
            try:
                chars = [(s["start"], s["end"], s["label"]) for s in predicted]
            except (KeyError, TypeError):
                raise NerpipeError('"predicted_spans" must be objects with "start", "end" and "label"', doc.path,
                                   doc.line) from None
            doc = replace(doc, spans=tuple(sorted(align_spans(doc.text, doc.tokens, chars, "expand", doc.path, doc.line))))
        docs.append(doc)
    if not docs:
        raise NerpipeError("no records to annotate", path)
    return docs


def labels_of(docs: Sequence[Doc]) -> list[str]:
    return sorted({label for doc in docs for *_, label in doc.spans or ()})


def labels_chosen_for(docs: Sequence[Doc]) -> list[str] | None:
    """The types ``nerpipe select --labels`` chose these records for (``meta.labels``),
    where every record names the same ones; else None."""
    named = set()
    for doc in docs:
        meta = doc.record.get("meta") if isinstance(doc.record, dict) else None
        labels = meta.get("labels") if isinstance(meta, dict) else None
        if not (isinstance(labels, list) and labels and all(isinstance(x, str) and x for x in labels)):
            return None
        named.add(tuple(labels))
    return list(named.pop()) if len(named) == 1 else None


__all__ = ["ANSWERS", "AnnotationServer", "Session", "labels_chosen_for", "labels_of", "prepare"]
