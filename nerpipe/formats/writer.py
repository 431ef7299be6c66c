"""What every output format's writer does (no torch).

A writer turns records into text, a record at a time, so output streams:

- ``write(item, annotations)``: one record (a CoNLL sentence or marker line, or a
  :class:`~nerpipe.formats.doc.Doc`) with one ``Annotation`` per sentence, or None
  for the record's own gold spans (``convert``).
- ``close()``: the end of one input; what the writer still holds for it.
- ``header()`` and ``footer()``: once per output, before the first record and after
  the last ``close()`` (an HTML page's head and end, a TSV header line). They are
  asked of one writer; with ``tag --workers`` the records are written by other
  writers in other processes, so they may only depend on the options and on what
  ``observe(item)`` was told of each record.
- ``wants_scores``: whether the annotations should carry scores (they cost time).
- ``holds_unannotated``: whether a record that is not annotated can be written as such.
- ``separator``: what goes between two records' text, never before the first or after
  the last (a JSON array's comma). It is placed by a :class:`Joiner` that sees the
  whole output, since with ``tag --workers`` no writer does.
"""

from __future__ import annotations

from collections.abc import Iterable

SCORE_DECIMALS = 4  # a score as JSONL and TSV write it; --min-score compares scores as written


class Writer:
    wants_scores = False
    separator = ""
    # whether a record without annotations (a task nobody labelled, a .txt without its .ann)
    # can be written as such; where it cannot, convert leaves it out rather than write it
    # as gold without entities
    holds_unannotated = True
    blocks = False  # records are blocks of lines that a blank line ends (CoNLL, CoNLL-U)

    def write(self, item, annotations) -> str:
        raise NotImplementedError

    def close(self) -> str:
        return ""

    def continues(self) -> None:
        """Told that this writer's output follows records another writer wrote (``tag
        --workers``: a block after the first of its input, which ends with a sentence)."""

    def observe(self, item) -> None:
        """Told of each record written, also where another process writes it (``tag
        --workers``), for a footer that depends on the records (Label Studio's config)."""

    def header(self) -> str:
        return ""

    def footer(self) -> str:
        return ""


class Joiner:
    """Joins the pieces of one output (records' text, ``close()``'s) with a writer's
    ``separator`` between every two that are not empty."""

    def __init__(self, separator: str = ""):
        self.separator = separator
        self.started = False
        self.tail = ""  # the output's last two characters

    def __call__(self, pieces: Iterable[str]) -> str:
        out = []
        for piece in pieces:
            if not piece:
                continue
            if self.started:
                out.append(self.separator)
            out.append(piece)
            self.started = True
        text = "".join(out)
        self.tail = (self.tail + text[-2:])[-2:]  # (not a copy of the whole block)
        return text

    def next_input(self, blocks: bool) -> str:
        """What goes before the next input file's output, so that its first line is not
        joined to the last of a file that did not end in a line break, nor (``blocks``:
        CoNLL's sentences, separated by blank lines) its first sentence to the last of a
        file that did not end in a blank line. Nothing after a file that ended so."""
        if not self.tail:
            return ""
        needed = "" if self.tail.endswith("\n") else "\n"
        if blocks and not (self.tail + needed).endswith("\n\n"):
            needed += "\n"
        self.tail = (self.tail + needed)[-2:]
        return needed
