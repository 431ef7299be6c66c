"""brat standoff: each document a ``.txt`` file with its annotations in a ``.ann`` beside it (no torch).

An ``.ann`` line is one annotation, its fields separated by tabs::

    T1	PER 0 13	Angela Merkel
    T2	LOC 37 42	Paris
    A1	Negated T2
    R1	Located Arg1:T1 Arg2:T2
    #1	AnnotatorNotes T1	the chancellor

Text-bound annotations (``T``) become spans, offsets being characters of the ``.txt``.
Every other line (attributes, relations, events, notes, normalisations), and the ``T``
lines that are event triggers, travel with the record and are written back, so brat
to brat through ``convert`` gives the same files; a span's new label (``--map``) is
written into its own line. A discontinuous span (``T1	ORG 0 4;9 14``) and spans that
overlap cannot be NER spans: each is a located error, or with ``--on-error skip``
reported and left out (its line is still written back).

Reading takes a directory (every ``.txt`` under it, with its ``.ann``, which may be
missing for a document not yet annotated) or one file of a pair. Writing needs a
directory (``-o DIR``, empty or new): one pair per record, named by the record's ``id``
(a brat document's own name), else by its input and line (``doc-000012``). Predictions
(``tag``) are written as ``T`` lines with their score in an ``AnnotatorNotes`` note.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import NerpipeError, UsageError
from ..tokenize import tokenize
from .doc import Doc, align_spans, annotation_spans, check_written_labels, make_doc
from .jsonl import as_doc
from .source import OnError
from .writer import SCORE_DECIMALS, Writer

_TEXT_BOUND = re.compile(r"T[^\t]*\t(\S+) (\d+ \d+(?:;\d+ \d+)*)(?:\t(.*))?$")
_TRIGGER = re.compile(r"E[^\t]*\t[^:\s]+:(T\S+)")
EXAMPLE = {"doc.txt": "Angela Merkel met Emmanuel Macron in Paris.\n",
           "doc.ann": "T1\tPER 0 13\tAngela Merkel\nT2\tPER 18 33\tEmmanuel Macron\nT3\tLOC 37 42\tParis\n"
                      "R1\tMet Arg1:T1 Arg2:T2\n#1\tAnnotatorNotes T3\tthe capital\n"}


def documents(path: str) -> list[tuple[Path, Path, str]]:
    """``(txt, ann, name)`` of each document at ``path``: a directory, or one file of a pair."""
    if path == "-":
        raise UsageError("brat reads files: a directory, or a document's .txt or .ann (not standard input)")
    where = Path(path)
    if where.is_dir():
        texts = sorted(where.rglob("*.txt"))
        orphans = sorted(a for a in where.rglob("*.ann") if not a.with_suffix(".txt").exists())
        if orphans:
            raise NerpipeError(f"no .txt beside it ({len(orphans)} such .ann files here)", str(orphans[0]))
        if not texts:
            raise NerpipeError("no brat documents (.txt and .ann files) in this directory", path)
        return [(t, t.with_suffix(".ann"), t.relative_to(where).with_suffix("").as_posix()) for t in texts]
    if where.suffix not in (".txt", ".ann"):
        raise NerpipeError("brat reads a directory, or a document's .txt or .ann", path)
    txt = where.with_suffix(".txt")
    if not txt.exists():
        raise NerpipeError(f"no {txt.name} beside it (brat keeps the text there)", path)
    return [(txt, where.with_suffix(".ann"), where.stem)]


def read_brat(path: str, on_error: OnError | None = None, align: str = "strict") -> Iterator[Doc]:
    for txt, ann, name in documents(path):
        yield read_document(txt, ann, name, on_error, align)


def read_document(txt: Path, ann: Path, name: str, on_error: OnError | None = None, align: str = "strict") -> Doc:
    text = _read(txt)
    lines = _lines(_read(ann)) if ann.exists() else None
    where = str(ann)
    tokens = tokenize(text)
    found: list[tuple[tuple[int, int, str], str, int]] = []  # (token span, id, line)
    for lineno, tid, (start, end, label) in _text_bound(lines or [], text, where, on_error):
        try:
            found += [(span, tid, lineno) for span in align_spans(text, tokens, [(start, end, label)], align, where, lineno)]
        except NerpipeError as err:
            if on_error is None:
                raise NerpipeError(f"{tid}: {err.message}", where, lineno) from None
            on_error(NerpipeError(f"{tid}: {err.message}", where, lineno))
    found.sort()
    kept: list[tuple[tuple[int, int, str], str, int]] = []
    for span, tid, lineno in found:
        if kept and span[0] < kept[-1][0][1]:
            other = kept[-1]
            overlap = NerpipeError(f"{tid} ({span[2]}) overlaps {other[1]} ({other[0][2]}, line {other[2]}); named "
                                   "entities may not overlap (--on-error skip leaves the later one out)", where, lineno)
            if on_error is None:
                raise overlap
            on_error(overlap)
            continue
        kept.append((span, tid, lineno))
    extra = {"brat": {"lines": lines or [], "ids": [tid for _, tid, _ in kept], "spans": [span for span, _, _ in kept]}}
    return make_doc(text, {"id": name}, str(ann if ann.exists() else txt), 1, tokens, None,
                    [span for span, _, _ in kept] if lines is not None else None, align, extra=extra)


def _lines(text: str) -> list[str]:
    """Lines ending at "\n" only (an annotation's text may hold another line break)."""
    return [line for line in re.split(r"(?<=\n)", text) if line]


_BREAKS = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _flat(text: str) -> str:
    """A span's text as an annotation line holds it: each line break a space."""
    return _BREAKS.sub(" ", text)


def _read(path: Path) -> str:
    try:
        with open(path, encoding="utf-8", newline="") as f:  # offsets count "\r\n" as two characters, as brat does
            return f.read()
    except UnicodeDecodeError as err:
        raise NerpipeError(f"not UTF-8 (byte {err.start}): brat files are UTF-8", str(path)) from None
    except OSError as err:
        raise NerpipeError(err.strerror or str(err), str(path)) from None


def _text_bound(lines: list[str], text: str, name: str, on_error: OnError | None) -> Iterator[tuple[int, str, tuple]]:
    """``(line number, id, (start, end, label))`` of each text-bound annotation that
    is an entity (not an event trigger); a bad one raises, or is reported and skipped."""
    triggers = {m.group(1) for line in lines if (m := _TRIGGER.match(line))}
    for lineno, line in enumerate(lines, 1):
        if not line.startswith("T"):
            continue
        tid = line.split("\t", 1)[0]
        if tid in triggers:
            continue
        try:
            yield lineno, tid, _entity(line.rstrip("\r\n"), tid, text, name, lineno)
        except NerpipeError as err:
            if on_error is None:
                raise
            on_error(err)


def _entity(line: str, tid: str, text: str, name: str, lineno: int) -> tuple[int, int, str]:
    m = _TEXT_BOUND.match(line)
    if m is None:
        raise NerpipeError(f"expected 'ID<tab>TYPE START END<tab>TEXT', got {line[:80]!r}", name, lineno)
    label, where, said = m.group(1), m.group(2), m.group(3)
    if ";" in where:
        raise NerpipeError(f"{tid} is discontinuous ({where}): a named entity is one stretch of text "
                           "(--on-error skip leaves it out)", name, lineno)
    start, end = map(int, where.split())
    if not start < end <= len(text):
        raise NerpipeError(f"{tid} has offsets {start}-{end} outside the text ({len(text)} characters)", name, lineno)
    if said is not None and _flat(text[start:end]) != _flat(said):
        raise NerpipeError(f"{tid} says it holds {said!r}, but the .txt has {text[start:end]!r} there (the wrong .txt, "
                           "or offsets in another encoding?)", name, lineno)
    return start, end, label


class BratWriter(Writer):
    wants_scores = True

    def __init__(self, directory: str | None):
        if directory is None:
            raise UsageError("brat output is a directory of .txt and .ann files: give it with -o DIR")
        self.directory = Path(directory)

    def write(self, item, annotations) -> str:
        doc = as_doc(item)
        if doc is None:
            return ""  # CoNLL's blank, comment and -DOCSTART- lines hold no text
        name = _name(doc)
        if annotations is None:
            check_written_labels(doc.spans or (), doc.path, doc.line, tags=False)
            ann = _gold_lines(doc)
        else:
            spans, scores = annotation_spans(doc, annotations)
            check_written_labels(spans, doc.path, doc.line, tags=False)
            ann = _fresh_lines(doc, spans, scores)
        self._create(name + ".txt", doc.text, doc)
        if annotations is not None or doc.spans is not None:  # a document not annotated has no .ann
            self._create(name + ".ann", "".join(ann), doc)
        return ""

    def _create(self, name: str, content: str, doc: Doc) -> None:
        path = self.directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "x", encoding="utf-8", newline="") as f:
                f.write(content)
        except FileExistsError:
            named = str(Path(name).with_suffix(""))  # its folders too: a/b, not b
            raise NerpipeError(f"{path} is written already: two records are named {named!r} (give each "
                               'record its own "id")', doc.path, doc.line) from None


def _name(doc: Doc) -> str:
    given = doc.record.get("id") if isinstance(doc.record, dict) else None
    if isinstance(given, (str, int)) and not isinstance(given, bool) and str(given).strip():
        parts = [p for p in str(given).replace("\\", "/").split("/") if p not in ("", ".", "..")]
        if parts:
            return "/".join(_short(re.sub(r"[^\w.\-]", "_", p)) for p in parts)
    stem = os.path.basename(doc.path).split(".")[0].strip("<>") or "stdin"
    return f"{stem}-{doc.line:06d}"


def _gold_lines(doc: Doc) -> list[str]:
    """A record's own spans: a brat document's lines as read, each entity's label as it is
    now; an entity no longer there (a --map that drops its type) goes, with the lines that
    refer to it."""
    known: dict[str, Any] = dict(doc.extra.get("brat") or {})
    if not known:
        return _fresh_lines(doc, list(doc.spans or []), None)
    now = {(s, e): label for s, e, label in doc.spans or []}
    label = {tid: now.get((s, e)) for tid, (s, e, _) in zip(known["ids"], known["spans"])}
    gone = {tid for tid, new in label.items() if new is None}
    out = []
    for line in known["lines"]:
        tid, _, rest = line.partition("\t")
        if tid in gone or (gone and gone & set(re.findall(r"[A-Z#*]?[\w-]+", rest.split("\t")[0]))):
            continue
        if tid in label and line.startswith("T"):
            old, tail = rest.split(" ", 1)
            if old != label[tid]:
                line = f"{tid}\t{label[tid]} {tail}"
        out.append(line)
    told = {(s, e) for s, e, _ in known["spans"]}
    added = [span for span in doc.spans or [] if span[:2] not in told]
    if added:  # (convert adds none; kept for a record whose spans changed otherwise)
        used = max((int(t[1:]) for t in known["ids"] if t[1:].isdigit()), default=0)
        for k, (first, end, name) in enumerate(added, used + 1):
            start, stop = doc.tokens[first][0], doc.tokens[end - 1][1]
            out.append(f"T{k}\t{name} {start} {stop}\t{_flat(doc.text[start:stop])}\n")
    return out


def _fresh_lines(doc: Doc, spans, scores) -> list[str]:
    out, notes = [], []
    for k, (first, end, label) in enumerate(spans, 1):
        start, stop = doc.tokens[first][0], doc.tokens[end - 1][1]
        out.append(f"T{k}\t{label} {start} {stop}\t{_flat(doc.text[start:stop])}\n")
        if scores is not None and scores[k - 1] is not None:
            notes.append(f"#{k}\tAnnotatorNotes T{k}\tscore {scores[k - 1]:.{SCORE_DECIMALS}f}\n")
    return out + notes


def _short(part: str) -> str:
    """A file name part a file system takes (255 bytes): a long one cut, with a hash of it."""
    if len(part.encode()) <= 120:
        return part
    import hashlib

    return part[:80] + "-" + hashlib.sha256(part.encode()).hexdigest()[:12]
