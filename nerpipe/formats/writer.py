"""What every output format's writer does (no torch).

A writer turns records into text, a record at a time, so output streams:

- ``write(item, annotations)``: one record (a CoNLL sentence or marker line, or a
  :class:`~nerpipe.formats.doc.Doc`) with one ``Annotation`` per sentence, or None
  for the record's own gold spans (``convert``).
- ``close()``: the end of one input; what the writer still holds for it.
- ``header()`` and ``footer()``: once per output, before the first record and after
  the last ``close()`` (an HTML page's head and end, a TSV header line). They are
  asked of one writer; with ``tag --workers`` the records are written by other
  writers in other processes, so they may only depend on the options.
- ``wants_scores``: whether the annotations should carry scores (they cost time).
"""

from __future__ import annotations

SCORE_DECIMALS = 4  # a score as JSONL and TSV write it; --min-score compares scores as written


class Writer:
    wants_scores = False

    def write(self, item, annotations) -> str:
        raise NotImplementedError

    def close(self) -> str:
        return ""

    def header(self) -> str:
        return ""

    def footer(self) -> str:
        return ""
