"""``redact``: the input text with its entities blacked out (no torch).

Each entity is replaced by its label in brackets (``[PER]``), or with a ``redact_char``
by that character repeated to the entity's length, so offsets and layout hold. Plain
text comes back byte for byte but for the entities: line ends, blank lines and a
byte-order mark as they were. Other records (JSONL, doccano, CoNLL sentences, whose text
is their tokens joined by spaces) give their text, a line each.
"""

from __future__ import annotations

from .conll import GAP
from .doc import annotation_spans
from .jsonl import as_doc
from .writer import Writer


class RedactWriter(Writer):
    def __init__(self, char: str | None = None):
        if char is not None and len(char) != 1:
            raise ValueError(f"expected one character to redact with, got {char!r}")
        self.char = char

    def write(self, item, annotations) -> str:
        doc = as_doc(item)
        if doc is None:
            return item.text if item.kind == GAP else ""  # CoNLL's blank, comment and -DOCSTART- lines hold no text
        spans = doc.spans or [] if annotations is None else annotation_spans(doc, annotations)[0]
        out, cursor = [], 0
        for first, end, label in spans:
            start, stop = doc.tokens[first][0], doc.tokens[end - 1][1]
            out += [doc.text[cursor:start], self.char * (stop - start) if self.char else f"[{label}]"]
            cursor = stop
        out.append(doc.text[cursor:])
        text = "".join(out)
        if doc.before is None:
            return text + "\n"
        return doc.before + text  # plain text: what came before it (line ends, blank lines), as it was
