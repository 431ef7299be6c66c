"""Plain text: paragraphs between blank lines, or one record per line (no torch).

A paragraph's text keeps its inner line ends; ``record["meta"]`` says where it starts
in its input (file, line, character offset). Within a paragraph, line breaks end a
sentence unless the paragraph is hard-wrapped prose (every line but the last at least
:data:`WRAPPED` characters), so a list of names or titles is never glued into one
sentence. The ``lines`` format makes every non-empty line a record of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from ..tokenize import tokenize
from .conll import GAP, Marker
from .doc import Doc, make_doc
from .source import BOM, Unreadable, strip_eol

WRAPPED = 40  # a paragraph whose lines (but the last) are all this long is wrapped prose


def is_list(lines: list[str]) -> bool:
    """Whether a paragraph's ``lines`` (line ends or not) are a list, a line an item (an
    address, names, a title above its text), rather than prose wrapped at a width."""
    return len(lines) > 1 and not all(len(strip_eol(line)[0]) >= WRAPPED for line in lines[:-1])


def parse_paragraphs(numbered: Iterable[tuple[int, str]], name: str) -> Iterator[Doc]:
    """The paragraphs of plain text, a record each."""
    return (item for item in parse_text(numbered, name) if isinstance(item, Doc))


def parse_text(numbered: Iterable[tuple[int, str]], name: str, idle: Callable[[], bool] | None = None) -> Iterator[Doc | Marker]:
    """Paragraphs as records; each keeps the characters before it (``Doc.before``), and
    what follows the last one comes as a ``gap`` :class:`Marker`, so that the input can
    be written back as it was (only ``-f redact`` does). ``idle`` tells when the input
    (a pipe, a terminal) has paused: the paragraph read so far is then a record of its
    own, so that each line typed or streamed is answered at once."""
    offset = 0
    lines: list[str] = []
    gap = ""  # characters since the last paragraph's text: its line end, blank lines
    start_line = start_offset = 0
    for lineno, raw in numbered:
        if isinstance(raw, Unreadable):  # reported already: it ends a paragraph, and is not written back
            if lines:
                doc, gap = _paragraph(lines, name, start_line, start_offset, gap)
                yield doc
                lines = []
            offset += len(raw)
            continue
        if lineno == 1 and raw.startswith(BOM):
            gap, raw = BOM, raw[1:]
        if raw.strip() == "":
            if lines:
                doc, gap = _paragraph(lines, name, start_line, start_offset, gap)
                yield doc
                lines = []
            gap += raw
        else:
            if not lines:
                start_line, start_offset = lineno, offset
            lines.append(raw)
        offset += len(raw)
        if lines and idle is not None and idle():
            doc, gap = _paragraph(lines, name, start_line, start_offset, gap)
            yield doc
            lines = []
    if lines:
        doc, gap = _paragraph(lines, name, start_line, start_offset, gap)
        yield doc
    if gap:
        yield Marker(GAP, gap, name, 0)


def _paragraph(lines: list[str], name: str, line: int, offset: int, before: str = "") -> tuple[Doc, str]:
    """The paragraph's record, and its line end (what starts the next gap)."""
    raw = "".join(lines)
    text = strip_eol(raw)[0]
    record = {"meta": {"file": name, "line": line, "offset": offset}}
    tokens = tokenize(text)
    breaks: list[int] = []
    if is_list(lines):
        # a list: each line starts a sentence
        starts, pos = [], 0
        for l in lines[:-1]:
            pos += len(l)
            starts.append(pos)
        k = 0
        for start in starts:
            while k < len(tokens) and tokens[k][0] < start:
                k += 1
            breaks.append(k)
    return make_doc(text, record, name, line, tokens, breaks=breaks, before=before), raw[len(text):]


def parse_lines(numbered: Iterable[tuple[int, str]], name: str) -> Iterator[Doc]:
    """One record per line (a document, a title, a name), an empty line an empty record,
    so the output lines up with the input (``paste``, Spark's ``RDD.pipe``). A line that
    could not be decoded (reported already, with ``--on-error skip``) is an empty record too."""
    offset = 0
    for lineno, raw in numbered:
        if isinstance(raw, Unreadable):
            yield make_doc("", {"meta": {"file": name, "line": lineno, "offset": offset}}, name, lineno)
            offset += len(raw)
            continue
        if lineno == 1 and raw.startswith(BOM):
            raw = raw[1:]
        text = strip_eol(raw)[0]
        yield make_doc(text, {"meta": {"file": name, "line": lineno, "offset": offset}}, name, lineno)
        offset += len(raw)
