"""``tsv``: one entity per line under a header line, for ``cut``, ``sort | uniq -c`` and
spreadsheets (no torch).

Columns, tab-separated:

- ``source``: the input's name (``<stdin>`` for standard input);
- ``line``: the input line where the entity starts (for CoNLL, its first token's line);
- ``start``, ``end``: character offsets into the record's text, ``end`` exclusive, as in
  JSONL output (a CoNLL sentence's text is its tokens joined by single spaces);
- ``label``: the entity type;
- ``score``: the confidence with four decimals, empty when not known (``convert``);
- ``text``: the entity as it stands in the text;
- ``by``: what found it: ``model``, or ``pattern`` (``pattern:ID`` for a pattern with an
  id) under ``tag --patterns``; empty for gold spans (``convert``).

In ``source`` and ``text`` a backslash, tab, line feed and carriage return are
written ``\\\\``, ``\\t``, ``\\n`` and ``\\r``, so every entity stays one line of eight fields.
"""

from __future__ import annotations

from .view import item_to_view
from .writer import SCORE_DECIMALS, Writer

COLUMNS = ("source", "line", "start", "end", "label", "score", "text", "by")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def escape_field(text: str) -> str:
    return text.translate(_ESCAPES)


class TsvWriter(Writer):
    wants_scores = True

    def header(self) -> str:
        return "\t".join(COLUMNS) + "\n"

    def write(self, item, annotations) -> str:
        view = item_to_view(item, annotations)
        if view is None:
            return ""
        source = escape_field(view.path)
        return "".join(
            f"{source}\t{e.line}\t{e.start}\t{e.end}\t{escape_field(e.label)}\t"
            f"{'' if e.score is None else f'{e.score:.{SCORE_DECIMALS}f}'}\t{escape_field(view.text[e.start:e.end])}\t"
            f"{escape_field(e.source or ('model' if e.score is not None else ''))}\n"
            for e in view.entities)
