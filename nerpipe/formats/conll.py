"""CoNLL column files: a token per line, sentences between blank lines (no torch).

Reading and writing are exact: every line that is not a token (blank, comment,
``-DOCSTART-``) comes through as a :class:`Marker`, and a sentence keeps its raw
lines, so writing back what was read gives the same bytes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from ..errors import NerpipeError
from ..schemes import Scheme, convert_tags, detect_scheme, spans_to_tags, tags_to_spans
from ..tokenize import joined_offsets
from .doc import Doc, check_written_labels
from .source import BOM, OnError, Unreadable, as_paths, display_name, read_lines, strip_eol
from .writer import Writer

DOCSTART = "-DOCSTART-"
NEWDOC = re.compile(r"#\s*newdoc(?:\s|=|$)")  # CoNLL-U's comment that starts a document, as -DOCSTART- does
SEPARATORS = {"auto": None, "tab": "\t", "space": " "}
_SPACES = re.compile(r"[ \t]+")


def has_docstart(lines: object) -> bool:
    """Whether CoNLL lines (a JSONL record's ``conll.before``, as convert keeps them) hold a
    ``-DOCSTART-`` line: the record opens a document."""
    return isinstance(lines, list) and any(isinstance(line, str) and line.lstrip(BOM).split()[:1] == [DOCSTART]
                                           for line in lines)


def has_newdoc(lines: Iterable[str]) -> bool:
    """Whether a CoNLL-U sentence's lines hold a ``# newdoc`` comment: it opens a document."""
    return any(NEWDOC.match(line.lstrip(BOM)) for line in lines)



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
    tag_col: int = -1  # the column the tags were read from

    # the record protocol (formats/doc.py: Record)
    def token_lists(self) -> list[Sequence[str]]:
        return [self.tokens]

    def gold(self) -> list[tuple[Sequence[str], Sequence[str] | None, str, int]]:
        return [(self.tokens, self.tags, self.path, self.line)]

    def as_doc(self) -> Doc:
        return sentence_to_doc(self)

    def token_input_lines(self) -> Sequence[int]:
        return range(self.line, self.line + len(self.tokens))  # a token a line


GAP = "gap"  # a Marker of plain text: what follows its last paragraph, written back by -f redact alone


@dataclass(frozen=True)
class Marker:
    """A line that is not a token: ``blank``, ``comment`` or ``docstart``; or the end of a
    plain text after its last paragraph (``gap``)."""

    kind: str
    text: str  # raw line, line end included
    path: str
    line: int

    # the record protocol (formats/doc.py: Record): a line that is no record holds nothing
    def token_lists(self) -> list[Sequence[str]]:
        return []

    def gold(self) -> list[tuple[Sequence[str], Sequence[str] | None, str, int]]:
        return []

    def as_doc(self) -> None:
        return None

    def token_input_lines(self) -> Sequence[int]:
        return ()


class ConllReader:
    """Parse CoNLL column lines into :class:`Sentence` and :class:`Marker` items.

    Columns are split on tabs when the file's first token line has one, otherwise on
    runs of spaces and tabs (``sep`` forces either). ``token_col`` and ``tag_col``
    index the columns (negative from the end); a file with a single column has no
    tags. A ``#`` line before a sentence is a comment unless it reads as a token
    line of the file (right column count and a valid tag), so a ``#`` token is kept.
    """

    def __init__(self, sep: str = "auto", token_col: int = 0, tag_col: int = -1, comments: bool = True,
                 on_error: OnError | None = None, tag_option: str = "--tag-col"):
        if sep not in SEPARATORS:
            raise NerpipeError(f"unknown separator {sep!r} (expected auto, tab or space)")
        self.sep, self.token_col, self.tag_col, self.comments = sep, token_col, tag_col, comments
        self.on_error, self.tag_option = on_error, tag_option

    def read(self, paths: Sequence[str]) -> Iterator[Sentence | Marker]:
        for path in paths:
            yield from self.parse(read_lines(path, self.on_error), display_name(path))

    def parse(self, lines: Iterable[tuple[int, str]], name: str) -> Iterator[Sentence | Marker]:
        from ..schemes import is_valid_tag

        sep = SEPARATORS[self.sep]
        ncols: int | None = None
        first_row_line = 0
        pending: list[tuple[int, str, list[str]]] = []

        def flush() -> Iterator[Sentence]:
            if pending:
                assert ncols is not None  # set by the first row
                yield self._sentence(pending, name, sep or " ", ncols)
                pending.clear()

        skipping = False  # after a bad line (on_error set): drop the rest of its sentence
        for lineno, raw in lines:
            if isinstance(raw, Unreadable):
                pending.clear()
                skipping = True
                continue
            text = raw[:-2] if raw.endswith("\r\n") else raw[:-1] if raw.endswith("\n") else raw
            if text.startswith(BOM) and (lineno == 1 or (not pending and text[1:2] not in (" ", "\t"))):
                # A byte-order mark opening a file, or a block of files joined with cat, is
                # not data. One inside a sentence, or standing before a separator (the whole
                # token is U+FEFF, ZERO WIDTH NO-BREAK SPACE) after line 1, is kept as text.
                # (A line holding only U+FEFF is a blank line: a joined file's mark.)
                text = text[1:]
            if not text.strip(" \t"):
                yield from flush()
                skipping = False
                yield Marker("blank", raw, name, lineno)
                continue
            if skipping:
                continue
            # the separator is the first token line's: a comment or -DOCSTART- line before it may differ
            line_sep = sep if sep is not None else "\t" if "\t" in text.rstrip(" \t") else " "
            if line_sep == "\t":
                # a trailing tab (an empty last column) on some lines is a common corpus quirk
                fields = text.rstrip(" \t").split("\t")
            elif "\t" in text or "  " in text:
                fields = _SPACES.split(text.strip(" \t"))
            else:
                fields = text.strip(" ").split(" ")
            if fields[0] == DOCSTART:
                # a document boundary, never a token: also inside a sentence (files joined by
                # cat, the first without its last blank line), which it then ends
                yield from flush()
                yield Marker("docstart", raw, name, lineno)
                continue
            if self.comments and not pending and text.startswith("#"):
                as_token = (ncols is None or len(fields) == ncols) and (
                    (len(fields) > 1 and is_valid_tag(fields[-1])) or ncols == 1)  # (untagged: any line is a token's)
                if not as_token:
                    yield Marker("comment", raw, name, lineno)
                    continue
            sep = line_sep
            if ncols is None and sep == "\t" and len(fields) == 1 and " " in text.strip():
                words = text.split()
                if is_valid_tag(words[-1]):  # one column, "Maria NNP B-NP B-PER" a token: not what --sep tab meant
                    raise NerpipeError(f"--sep tab, but this line has no tab and its last word, {words[-1]!r}, reads as a "
                                       "tag: its columns look space-separated (leave --sep out, or --sep space)", name, lineno)
            if ncols is None:
                ncols, first_row_line = len(fields), lineno
                self._check_columns(ncols, name, lineno)
            elif len(fields) != ncols:
                err = NerpipeError(
                    f"expected {ncols} column{'s' if ncols != 1 else ''} (as on line {first_row_line}), found {len(fields)}"
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
        for option, col in (("--token-col", self.token_col), (self.tag_option, self.tag_col)):
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
            tag_col=self.tag_col,
        )


def sentence_to_doc(sentence: Sentence, before: Sequence[str] = ()) -> Doc:
    """A CoNLL sentence as a Doc whose text is its tokens joined by single spaces; its
    lines (and the marker lines ``before`` it) travel in ``record["conll"]``."""
    offsets = joined_offsets(sentence.tokens)
    ncols = len(sentence.rows[0])
    conll = {"lines": list(sentence.lines), "sep": sentence.sep, "tag_col": (sentence.tag_col % ncols) if sentence.tags else None,
             "before": list(before)}
    record = {"meta": {"file": sentence.path, "line": sentence.line}, "conll": conll}
    spans = tags_to_spans(sentence.tags) if sentence.tags is not None else None
    return Doc(" ".join(sentence.tokens), tuple(offsets), (len(offsets),), record, sentence.path, sentence.line,
               tuple(spans) if spans is not None else None)


def read_conll(paths: str | os.PathLike | Sequence[str | os.PathLike], sep: str = "auto", token_col: int = 0,
               tag_col: int = -1) -> Iterator[Sentence | Marker]:
    """Stream the sentences and markers of CoNLL files (one path or a list; ``-`` is standard input)."""
    return ConllReader(sep, token_col, tag_col).read(as_paths(paths))


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
    # trailing blanks would glue onto the last column when read back, and trailing empty columns
    # (a tab at each line's end) would stand between the gold tag and the prediction
    blanks = " \t"
    for raw, row, tag in zip(sentence.lines, sentence.rows, tags):
        # each line keeps its own end: CRLF, LF, or none (a file's last line without one; a
        # next input's output starts on a line of its own all the same, Joiner.next_input)
        text, eol = strip_eol(raw)
        if replace_col is None:
            out.append(f"{text.rstrip(blanks)}{sep}{tag}{eol}")
        else:
            fields = list(row)
            fields[replace_col] = tag
            bom = BOM if text.startswith(BOM) else ""
            out.append(bom + sentence.sep.join(fields) + eol)
    return "".join(out)


def sentence_lines(record: dict, path: str = "-", line: int = 0) -> tuple[list[Marker], Sentence | None]:
    """The markers and the sentence a JSONL record converted from CoNLL carries (``conll``)."""
    info = record["conll"]
    name = path
    try:
        before = [Marker(_marker_kind(t), t, name, 0) for t in info.get("before", [])]
        lines = list(info.get("lines", []))
        if not lines:
            return before, None
        sep = {"\t": "tab", " ": "space"}.get(info.get("sep", " "), "auto")
        reader = ConllReader(sep, 0, int(-1 if info.get("tag_col") is None else info["tag_col"]), comments=False)
        items = [i for i in reader.parse(list(enumerate(lines, 1)), name) if isinstance(i, Sentence)]
    except (AttributeError, TypeError, ValueError) as err:
        raise NerpipeError(f'"conll" must hold "lines", "sep", "tag_col" and "before" as nerpipe writes them ({err})',
                           path, line) from None
    except NerpipeError as err:
        raise NerpipeError(f'"conll" lines: {err.message}', path, line) from None
    if len(items) != 1:
        raise NerpipeError('"conll" lines must hold exactly one sentence', path, line)
    return before, items[0]


def _marker_kind(text: str) -> str:
    body = text.strip()
    if not body:
        return "blank"
    return "docstart" if body.split()[0] == DOCSTART else "comment"


class ConllWriter(Writer):
    """CoNLL output, record by record.

    A CoNLL sentence keeps every line: annotations are appended as a column (or
    written into ``replace_col``); without annotations (``convert``) it comes back
    as read, or with its tag column rewritten in ``scheme``. A JSONL record from
    CoNLL gets its lines back; other records become token-per-line blocks with the
    gold tags (when the record has spans) before the predicted ones.
    """

    blocks = True

    def __init__(self, scheme: Scheme | None = None, replace_col: int | None = None, token_col: int = 0, tag_col: int = -1):
        self.scheme, self.replace_col, self.token_col, self.tag_col = scheme, replace_col, token_col, tag_col
        self.after_sentence = False  # the output so far ends with a sentence's last line (no blank line yet)

    def continues(self) -> None:
        self.after_sentence = True  # the output before this writer's ends with a sentence (tag --workers' blocks do)

    def write(self, item, annotations) -> str:
        if isinstance(item, Marker):
            text = "" if item.kind == GAP else item.text
            self.after_sentence = self.after_sentence and not text
            return text
        if isinstance(item, Sentence):
            self.after_sentence = True
            return self._sentence(item, annotations)
        if "conll" in item.record:
            before, sentence = sentence_lines(item.record, item.path, item.line)
            out = "".join(m.text for m in before)
            if sentence is None:
                self.after_sentence = self.after_sentence and not out
                return out
            if self.after_sentence and not (before and before[0].kind == "blank"):
                # the blank line that ended the sentence before this one travels in the next record's
                # "before": a record chosen or filtered out of its file (select, jq, grep) has lost it
                out = "\n" + out
            self.after_sentence = True
            if annotations is None:
                if item.spans is None and sentence.tags is None:
                    return out + format_sentence(sentence)  # not annotated: its tokens alone, as read (not O tags)
                return out + self._restored(sentence, list(item.spans or []))
            return out + self._sentence(sentence, annotations)
        self.after_sentence = False  # a block ends with its blank line
        return self._block(item, annotations)

    def _sentence(self, item: Sentence, annotations) -> str:
        if annotations is None:
            if item.tags is None:
                return format_sentence(item)
            column = self.tag_col % len(item.rows[0])
            if self.scheme is None and all(row[column] == tag for row, tag in zip(item.rows, item.tags)):
                return format_sentence(item)  # as read (tags not rewritten, e.g. by a label map)
            check_written_labels(tags_to_spans(item.tags), item.path, item.line, tags=True)  # (as --map renamed them)
            tags = convert_tags(item.tags, self.scheme) if self.scheme is not None else list(item.tags)
            return format_sentence(item, tags, replace_col=column)
        check_written_labels(annotations[0].spans, item.path, item.line, tags=True)
        tags = spans_to_tags(annotations[0].spans, len(item.tokens), self.scheme or Scheme.IOB2)
        ncols = len(item.rows[0])
        if self.replace_col is not None and not -ncols <= self.replace_col < ncols:
            # (taken modulo the column count, it overwrote some other column)
            raise NerpipeError(f"--tag-col {self.replace_col} is out of range: the file has {ncols} column(s)",
                               item.path, item.line)
        replace = None if self.replace_col is None else self.replace_col % ncols
        if replace is not None and replace == self.token_col % ncols:
            raise NerpipeError(f"--replace would overwrite the tokens: the file has {ncols} column(s) and "
                               f"--tag-col {self.replace_col} is the token column", item.path, item.line)
        return format_sentence(item, tags, replace)

    def _restored(self, sentence: Sentence, spans: list) -> str:
        """A sentence converted to JSONL and back: as it was, unless its spans changed."""
        if sentence.tags is not None and tags_to_spans(sentence.tags) == spans and self.scheme is None:
            return format_sentence(sentence)
        scheme = self.scheme or (detect_scheme([sentence.tags]) if sentence.tags else Scheme.IOB2)
        tags = spans_to_tags(spans, len(sentence.tokens), scheme)
        if sentence.tags is None:
            return format_sentence(sentence, tags)
        return format_sentence(sentence, tags, replace_col=self.tag_col % len(sentence.rows[0]))

    def _block(self, doc, annotations) -> str:
        gold = doc.sentence_spans() if doc.spans is not None else None
        check_written_labels([*(doc.spans or ()), *(s for a in annotations or () for s in a.spans)], doc.path,
                             doc.line, tags=True)
        out = []
        # a record not annotated (convert) is its tokens alone: untagged CoNLL, not gold without entities
        gold_column = gold is not None and (annotations is None or self.replace_col is None)
        if has_newdoc(doc.extra.get("conllu", {}).get("lines", ())) or "brat" in doc.extra:
            # CoNLL-U's document boundary (a brat document: a file of its own) as CoNLL's, with as many columns as the
            # sentences after it
            out.append(" ".join([DOCSTART] + ["O"] * (int(gold_column) + int(annotations is not None))) + "\n\n")
        for i, tokens in enumerate(doc.sentences):
            for token in tokens:
                if any(c.isspace() for c in token):  # (a record's own "tokens" may: a tokenizer's never do)
                    raise NerpipeError(f"token {token!r} holds white space, which a CoNLL column cannot: write another "
                                       "format (-f jsonl, conllu), or leave the record's \"tokens\" out for nerpipe to "
                                       "tokenize", doc.path, doc.line)
                if token == DOCSTART:  # its line would read back as a document boundary, the token lost
                    raise NerpipeError(f"a token {DOCSTART}, which CoNLL reads as a document boundary, not a word: write "
                                       "another format (-f jsonl, conllu)", doc.path, doc.line)
            n = len(tokens)
            columns = [list(tokens)]
            if gold_column:
                assert gold is not None
                columns.append(spans_to_tags(gold[i], n, self.scheme or Scheme.IOB2))
            if annotations is not None:
                columns.append(spans_to_tags(annotations[i].spans, n, self.scheme or Scheme.IOB2))
            out.append("".join(" ".join(row) + "\n" for row in zip(*columns)) + "\n")
        return "".join(out)
