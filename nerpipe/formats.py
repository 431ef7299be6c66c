"""Readers and writers: CoNLL column files, JSONL span records, plain text (no torch).

Every reader streams: it takes paths (``-`` is standard input), decodes line by
line so an undecodable byte is reported as ``file:line``, and yields records as
soon as they are complete. Readers never guess in a way that could drop a token.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from .errors import NerpipeError

DOCSTART = "-DOCSTART-"
SEPARATORS = {"auto": None, "tab": "\t", "space": " "}
_SPACES = re.compile(r"[ \t]+")


# --------------------------------------------------------------------------- lines


def display_name(path: str) -> str:
    return "<stdin>" if path == "-" else path


def _open_binary(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as err:
        raise NerpipeError(f"cannot open: {err.strerror}", path) from None


def _decode(raw: bytes, name: str, lineno: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        if lineno == 1 and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            hint = "the file is UTF-16; convert it with: iconv -f UTF-16 -t UTF-8"
        elif b"\x00" in raw:
            hint = "this looks like a binary file, not text"
        else:
            hint = "the file is not UTF-8; convert it, e.g. with: iconv -f LATIN1 -t UTF-8"
        bad = raw[err.start]
        raise NerpipeError(
            f"invalid UTF-8 (byte 0x{bad:02x} at column {err.start + 1}); {hint}", name, lineno
        ) from None


OnError = Callable[[NerpipeError], None]


_ODD_BREAKS = re.compile("\r(?!\n)|[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def read_lines(path: str, on_error: OnError | None = None) -> Iterator[tuple[int, str | None]]:
    """Yield ``(line_number, text)`` with line ends kept; a leading BOM is kept too.

    Only ``\n`` ends a line (a ``\r`` or U+2028 inside a line is data). Input is
    decoded a block at a time and read with ``read1``, so a pipe's lines come
    through as soon as they arrive. An undecodable line raises, or with
    ``on_error`` is reported to it and comes through as ``None`` so the parser
    can skip the record holding it.
    """
    name = display_name(path)
    stream = _open_binary(path)
    lineno = 0
    rest = b""
    try:
        while True:
            block = stream.read1(1 << 16)
            if not block:
                break
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                rest += block
                continue
            chunk, rest = rest + block[:cut], block[cut:]
            for line in _decode_block(chunk, name, lineno, on_error):
                lineno += 1
                yield lineno, line
        if rest:
            for line in _decode_block(rest, name, lineno, on_error):
                lineno += 1
                yield lineno, line
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _decode_block(chunk: bytes, name: str, lineno: int, on_error: OnError | None) -> list[str | None]:
    """Lines of ``chunk`` (whole lines); the slow line-by-line path finds bad ones."""
    if b"\x00" not in chunk:
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if _ODD_BREAKS.search(text) is None:
                return text.splitlines(keepends=True)  # exact here: "\n" and "\r\n" are the only breaks
            parts = text.split("\n")
            return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    lines: list[str | None] = []
    raw_lines = chunk.split(b"\n")
    raw_lines = [r + b"\n" for r in raw_lines[:-1]] + ([raw_lines[-1]] if raw_lines[-1] else [])
    for k, raw in enumerate(raw_lines, lineno + 1):
        try:
            if b"\x00" in raw:
                raise NerpipeError("binary data (NUL byte); expected a UTF-8 text file", name, k)
            lines.append(_decode(raw, name, k))
        except NerpipeError as err:
            if on_error is None:
                raise
            on_error(err)
            lines.append(None)
    return lines


def strip_eol(line: str) -> tuple[str, str]:
    """Split ``line`` into its text and its line end (``\\r\\n``, ``\\n`` or ``""``)."""
    if line.endswith("\r\n"):
        return line[:-2], "\r\n"
    if line.endswith("\n"):
        return line[:-1], "\n"
    return line, ""


# --------------------------------------------------------------------------- CoNLL


@dataclass(frozen=True)
class Sentence:
    """One sentence of a CoNLL file, with everything needed to write it back."""

    tokens: tuple[str, ...]
    tags: tuple[str, ...] | None  # None when the file has no tag column
    rows: tuple[list[str], ...]  # every column of every token line
    lines: tuple[str, ...]  # the raw lines, line ends included
    path: str
    line: int  # line number of the first token
    sep: str  # "\t" or " ": what to put between columns when writing


@dataclass(frozen=True)
class Marker:
    """A line that is not a token: ``blank``, ``comment`` or ``docstart``."""

    kind: str
    text: str  # raw line, line end included
    path: str
    line: int


class ConllReader:
    """Parse CoNLL column lines into :class:`Sentence` and :class:`Marker` items.

    Columns are split on tabs when the file's first token line has one, otherwise on
    runs of spaces and tabs (``sep`` forces either). ``token_col`` and ``tag_col``
    index the columns (negative from the end); a file with a single column has no
    tags. A ``#`` line before a sentence is a comment unless it reads as a token
    line of the file (right column count and a valid tag), so a ``#`` token is kept.
    """

    def __init__(self, sep: str = "auto", token_col: int = 0, tag_col: int = -1, comments: bool = True,
                 on_error: OnError | None = None):
        if sep not in SEPARATORS:
            raise NerpipeError(f"unknown separator {sep!r} (expected auto, tab or space)")
        self.sep, self.token_col, self.tag_col, self.comments = sep, token_col, tag_col, comments
        self.on_error = on_error

    def read(self, paths: Sequence[str]) -> Iterator[Sentence | Marker]:
        for path in paths:
            yield from self.parse(read_lines(path, self.on_error), display_name(path))

    def parse(self, lines: Iterable[tuple[int, str]], name: str) -> Iterator[Sentence | Marker]:
        from .schemes import is_valid_tag

        sep = SEPARATORS[self.sep]
        ncols: int | None = None
        first_row_line = 0
        pending: list[tuple[int, str, list[str]]] = []

        def flush() -> Iterator[Sentence]:
            if pending:
                yield self._sentence(pending, name, sep or " ", ncols)
                pending.clear()

        skipping = False  # after a bad line (on_error set): drop the rest of its sentence
        for lineno, raw in lines:
            if raw is None:
                pending.clear()
                skipping = True
                continue
            text = raw[:-2] if raw.endswith("\r\n") else raw[:-1] if raw.endswith("\n") else raw
            if lineno == 1 and text.startswith("\ufeff"):
                text = text[1:]
            if not text.strip(" \t"):
                yield from flush()
                skipping = False
                yield Marker("blank", raw, name, lineno)
                continue
            if skipping:
                continue
            if sep is None:
                sep = "\t" if "\t" in text.rstrip(" \t") else " "
            if sep == "\t":
                fields = text.rstrip(" ").split("\t")
            elif "\t" in text or "  " in text:
                fields = _SPACES.split(text.strip(" \t"))
            else:
                fields = text.strip(" ").split(" ")
            if fields[0] == DOCSTART and not pending:
                yield Marker("docstart", raw, name, lineno)
                continue
            if self.comments and not pending and text.startswith("#"):
                as_token = (ncols is None or len(fields) == ncols) and len(fields) > 1 and is_valid_tag(fields[-1])
                if not as_token:
                    yield Marker("comment", raw, name, lineno)
                    continue
            if ncols is None:
                ncols, first_row_line = len(fields), lineno
                self._check_columns(ncols, name, lineno)
            elif len(fields) != ncols:
                err = NerpipeError(
                    f"expected {ncols} columns (as on line {first_row_line}), found {len(fields)}"
                    + (" (columns are tab-separated here; see --sep)" if sep == "\t" else ""),
                    name,
                    lineno,
                )
                if self.on_error is None:
                    raise err
                self.on_error(err)
                pending.clear()
                skipping = True
                continue
            pending.append((lineno, raw, fields))
        yield from flush()

    def _check_columns(self, ncols: int, name: str, lineno: int) -> None:
        for option, col in (("--token-col", self.token_col), ("--tag-col", self.tag_col)):
            if not -ncols <= col < ncols:
                raise NerpipeError(f"{option} {col} is out of range: the file has {ncols} columns", name, lineno)

    def _sentence(self, pending, name: str, sep: str, ncols: int) -> Sentence:
        rows = tuple(f for _, _, f in pending)  # each row stays the list the parser split
        has_tags = ncols > 1 and self.token_col % ncols != self.tag_col % ncols
        tok, tag = self.token_col, self.tag_col
        return Sentence(
            tokens=tuple([r[tok] for r in rows]),
            tags=tuple([r[tag] for r in rows]) if has_tags else None,
            rows=rows,
            lines=tuple(raw for _, raw, _ in pending),
            path=name,
            line=pending[0][0],
            sep=sep,
        )


def read_conll(paths: Sequence[str], sep: str = "auto", token_col: int = 0, tag_col: int = -1) -> Iterator[Sentence | Marker]:
    """Stream the sentences and markers of CoNLL files (``-`` is standard input)."""
    return ConllReader(sep, token_col, tag_col).read(paths)


def sentences_only(items: Iterable[Sentence | Marker]) -> Iterator[Sentence]:
    return (item for item in items if isinstance(item, Sentence))


def format_sentence(sentence: Sentence, tags: Sequence[str] | None = None, replace_col: int | None = None) -> str:
    """A sentence as CoNLL text: unchanged, with ``tags`` appended, or replacing a column."""
    if tags is None:
        return "".join(sentence.lines)
    if len(tags) != len(sentence.tokens):
        raise ValueError(f"expected {len(sentence.tokens)} tags, got {len(tags)}")
    out = []
    sep = sentence.sep
    blanks = " " if sep == "\t" else " \t"  # trailing blanks would glue onto the last column when read back
    for raw, row, tag in zip(sentence.lines, sentence.rows, tags):
        if raw.endswith("\r\n"):
            text, eol = raw[:-2], "\r\n"
        else:
            text, eol = (raw[:-1] if raw.endswith("\n") else raw), "\n"
        if replace_col is None:
            out.append(f"{text.rstrip(blanks)}{sep}{tag}{eol}")
        else:
            fields = list(row)
            fields[replace_col] = tag
            bom = "\ufeff" if text.startswith("\ufeff") else ""
            out.append(bom + sentence.sep.join(fields) + eol)
    return "".join(out)


def tokens_to_conll(tokens: Sequence[str], tags: Sequence[str]) -> str:
    """A plain two-column CoNLL block (token, tag) followed by a blank line."""
    return "".join(f"{tok} {tag}\n" for tok, tag in zip(tokens, tags)) + "\n"


# --------------------------------------------------------------------------- JSONL


@dataclass
class Doc:
    """A text with token offsets: one JSONL record or one plain-text paragraph.

    ``record`` is the input object (extra fields pass through to the output);
    ``tokens`` are ``(start, end)`` character offsets into ``text``, or None when
    the text still has to be tokenised.
    """

    text: str
    tokens: list[tuple[int, int]] | None
    record: dict[str, Any] = field(default_factory=dict)
    path: str = "-"
    line: int = 0
    spans: list[tuple[int, int, str]] | None = None  # token spans, when the record had some
    sentence_lengths: list[int] | None = None  # tokens per sentence, once split
    sentences: list[list[str]] | None = None  # the token texts per sentence, once split


def _record_tokens(text: str, tokens: Any, name: str, lineno: int) -> list[tuple[int, int]]:
    if not isinstance(tokens, list):
        raise NerpipeError('"tokens" must be a list', name, lineno)
    result = []
    cursor = 0
    for i, tok in enumerate(tokens):
        if isinstance(tok, str):
            start = text.find(tok, cursor)
            if start < 0 or not tok:
                raise NerpipeError(f"token {i} {tok!r} is not in the text after offset {cursor}", name, lineno)
            end = start + len(tok)
        elif isinstance(tok, dict) and isinstance(tok.get("start"), int) and isinstance(tok.get("end"), int):
            start, end = tok["start"], tok["end"]
            if not 0 <= start < end <= len(text):
                raise NerpipeError(f"token {i} has offsets {start}..{end} outside the text", name, lineno)
            if "text" in tok and text[start:end] != tok["text"]:
                raise NerpipeError(f"token {i}: text[{start}:{end}] is {text[start:end]!r}, not {tok['text']!r}", name, lineno)
        else:
            raise NerpipeError(f'token {i} must be a string or an object with "start" and "end"', name, lineno)
        if start < cursor:
            raise NerpipeError(f"token {i} overlaps the one before it", name, lineno)
        result.append((start, end))
        cursor = end
    return result


def _record_spans(spans: Any, tokens: list[tuple[int, int]], name: str, lineno: int) -> list[tuple[int, int, str]]:
    if not isinstance(spans, list):
        raise NerpipeError('"spans" must be a list', name, lineno)
    starts = {s: i for i, (s, _) in enumerate(tokens)}
    ends = {e: i for i, (_, e) in enumerate(tokens)}
    result = []
    for span in spans:
        if not isinstance(span, dict) or not isinstance(span.get("label"), str):
            raise NerpipeError('each span must be an object with a "label"', name, lineno)
        if isinstance(span.get("token_start"), int) and isinstance(span.get("token_end"), int):
            first, last = span["token_start"], span["token_end"]
        elif span.get("start") in starts and span.get("end") in ends:
            first, last = starts[span["start"]], ends[span["end"]]
        else:
            raise NerpipeError(
                f"span {span.get('start')}..{span.get('end')} ({span['label']}) does not fall on token boundaries",
                name,
                lineno,
            )
        if not 0 <= first <= last < len(tokens):
            raise NerpipeError(f"span tokens {first}..{last} outside the {len(tokens)} tokens", name, lineno)
        result.append((first, last + 1, span["label"]))
    return result


def read_jsonl(paths: Sequence[str]) -> Iterator[Doc]:
    """Stream ``{"text": ...}`` records, with optional ``tokens`` and ``spans``."""
    for path in paths:
        yield from parse_jsonl(read_lines(path), display_name(path))


def parse_jsonl(lines: Iterable[tuple[int, str | None]], name: str, on_error: OnError | None = None) -> Iterator[Doc]:
    for lineno, raw in lines:
        if raw is None:
            continue  # undecodable, already reported
        text = raw.strip().lstrip("\ufeff")
        if not text:
            continue
        try:
            yield parse_record(text, name, lineno)
        except NerpipeError as err:
            if on_error is None:
                raise
            on_error(err)


def parse_record(text: str, name: str, lineno: int) -> Doc:
    try:
        record = json.loads(text)
    except json.JSONDecodeError as err:
        raise NerpipeError(f"invalid JSON: {err.msg} at column {err.colno}", name, lineno) from None
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise NerpipeError('expected a JSON object with a "text" string', name, lineno)
    tokens = _record_tokens(record["text"], record["tokens"], name, lineno) if "tokens" in record else None
    spans = None
    if record.get("spans") is not None and tokens is not None:
        spans = _record_spans(record["spans"], tokens, name, lineno)
    return Doc(record["text"], tokens, record, name, lineno, spans)


def doc_to_json(doc: Doc, spans: Iterable[tuple[int, int, str]], scores: Sequence[float] | None = None) -> str:
    """One JSONL line in the spaCy/Prodigy convention (``token_end`` inclusive)."""
    assert doc.tokens is not None
    record = dict(doc.record)
    record["text"] = doc.text
    record["tokens"] = [
        {"text": doc.text[s:e], "start": s, "end": e, "id": i} for i, (s, e) in enumerate(doc.tokens)
    ]
    out_spans = []
    for k, (first, end, label) in enumerate(spans):
        span: dict[str, Any] = {
            "start": doc.tokens[first][0],
            "end": doc.tokens[end - 1][1],
            "token_start": first,
            "token_end": end - 1,
            "label": label,
        }
        if scores is not None:
            span["score"] = round(float(scores[k]), 4)
        out_spans.append(span)
    record["spans"] = out_spans
    return json.dumps(record, ensure_ascii=False) + "\n"


def sentence_to_doc(sentence: Sentence) -> Doc:
    """A CoNLL sentence as a Doc whose text is its tokens joined by single spaces."""
    offsets, cursor = [], 0
    for tok in sentence.tokens:
        offsets.append((cursor, cursor + len(tok)))
        cursor += len(tok) + 1
    return Doc(" ".join(sentence.tokens), offsets, {"meta": {"file": sentence.path, "line": sentence.line}}, sentence.path, sentence.line)


# --------------------------------------------------------------------------- plain text


def read_paragraphs(paths: Sequence[str]) -> Iterator[Doc]:
    """Stream blank-line separated paragraphs of plain text (tokens still to find).

    A paragraph's text keeps its inner line ends; ``record["meta"]`` says where it
    starts in its input: file, line, and character offset.
    """
    for path in paths:
        yield from parse_paragraphs(read_lines(path), display_name(path))


def parse_paragraphs(numbered: Iterable[tuple[int, str]], name: str) -> Iterator[Doc]:
    offset = 0
    lines: list[str] = []
    start_line = start_offset = 0
    for lineno, raw in numbered:
        if raw is None:
            continue  # undecodable, already reported
        if lineno == 1 and raw.startswith("\ufeff"):
            raw = raw[1:]
        if raw.strip() == "":
            if lines:
                yield _paragraph(lines, name, start_line, start_offset)
                lines = []
        else:
            if not lines:
                start_line, start_offset = lineno, offset
            lines.append(raw)
        offset += len(raw)
    if lines:
        yield _paragraph(lines, name, start_line, start_offset)


def _paragraph(lines: list[str], name: str, line: int, offset: int) -> Doc:
    text = "".join(lines)
    text = strip_eol(text)[0]
    return Doc(text, None, {"meta": {"file": name, "line": line, "offset": offset}}, name, line)


# --------------------------------------------------------------------------- sniffing

INPUT_FORMATS = ("text", "conll", "jsonl")


def detect_format(lines: Sequence[str]) -> tuple[str, str]:
    """Decide between text, conll and jsonl from the first lines; return it and why."""
    from .schemes import is_valid_tag

    body = [strip_eol(line)[0].lstrip("\ufeff") for line in lines]
    body = [b for b in body if b.strip()]
    if not body:
        return "text", "the input is empty"
    first = body[0].lstrip()
    if first.startswith("{"):
        return "jsonl", "the first line is a JSON object"
    if first.split()[0] == DOCSTART:
        return "conll", "the first line is -DOCSTART-"
    block = [b for b in body if not b.startswith("#")][:20]
    if block and all(len(b.split()) >= 2 and is_valid_tag(b.split()[-1]) for b in block):
        return "conll", "every line of the first block has columns ending in a tag"
    if len(block) >= 3 and all(len(b.split()) == 1 for b in block):
        return "conll", "the first lines hold one token each (untagged CoNLL)"
    return "text", "the first lines are neither JSON objects nor token-per-line columns (use --input-format conll for CoNLL)"


def open_input(path: str, fmt: str = "auto", peek: int = 20, on_error: OnError | None = None) -> tuple[str, str, Iterator[tuple[int, str | None]]]:
    """Open ``path`` as numbered lines and settle its format (sniffed when ``auto``).

    Returns the format, the reason it was chosen and the lines, none consumed.
    """
    lines = read_lines(path, on_error)
    if fmt != "auto":
        return fmt, "as asked", lines
    head = []
    for item in lines:
        head.append(item)
        if len(head) >= peek:
            break
    found, why = detect_format([text for _, text in head if text is not None])
    return found, why, itertools.chain(head, lines)
