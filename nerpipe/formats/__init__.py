"""Input and output formats, one module each, and the registry every command asks (no torch).

``FORMATS`` maps a format's name to what it can do: read records from numbered lines,
give a record's sentences (token lists to tag), give its gold annotations (to train
and score on), and write records with annotations. ``tag``, ``convert``, ``train``,
``score`` and their ``--help`` choices all come from here: adding a format is one new
module and one entry below. What a writer does is in :mod:`.writer`.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from ..errors import NerpipeError, UsageError
from ..schemes import Scheme
from . import brat, conllu, doccano, hf, labelstudio
from .conll import (
    DOCSTART,
    SEPARATORS,
    ConllReader,
    ConllWriter,
    Marker,
    Sentence,
    format_sentence,
    read_conll,
    sentence_to_doc,
    sentences_only,
)
from .doc import ALIGN_MODES, Doc, Record, align_spans, make_doc
from .jsonl import JsonlWriter, as_doc, declined, doc_to_json, parse_jsonl, parse_record
from .source import BOM, LineSource, OnError, Unreadable, as_paths, display_name, read_lines, strip_eol
from .text import parse_lines, parse_paragraphs, parse_text
from .writer import SCORE_DECIMALS, Joiner, Writer


class Annotation(NamedTuple):
    """One sentence's entities: spans over its tokens and, when known, a score each and
    where each came from ("model", "pattern", or "pattern:ID" for a pattern with an id)."""

    spans: Sequence[tuple[int, int, str]]
    scores: Sequence[float] | None = None
    sources: Sequence[str] | None = None


@dataclass(frozen=True, kw_only=True)
class ReadOptions:
    sep: str = "auto"
    token_col: int = 0
    tag_col: int = -1
    on_error: OnError | None = None
    align: str = "strict"  # JSONL character spans: strict, expand or contract
    label_names: tuple[str, ...] | None = None  # hf: the tag of each integer ner_tag
    annotation: str = "latest"  # labelstudio: which of a task's annotations to read (latest, first, prediction)
    data_key: str | None = None  # labelstudio: the task's data field holding the text (None: text, or its only string)
    conllu_key: str = "NER"  # conllu: the MISC entry holding the entity tag
    tag_option: str = "--tag-col"  # conll: the option that gave tag_col, as errors name it (score: --gold-col, --pred-col)
    # text: whether the input has paused for a while (set per input by read_records: a pipe's, a terminal's)
    paused: Callable[[], bool] | None = None


@dataclass(frozen=True, kw_only=True)
class WriteOptions:
    scheme: Scheme | None = None  # CoNLL tags are written in this scheme (None: as read, or IOB2)
    replace_col: int | None = None  # CoNLL: write tags into this column instead of appending
    token_col: int = 0
    tag_col: int = -1
    keep_gold: bool = True  # JSONL: predictions beside gold spans ("predicted_spans"), not over them
    scores: bool = False  # pretty: show each entity's score
    labels: tuple[str, ...] | None = None  # the entity types the output can hold (html's legend); None: unknown
    redact_char: str | None = None  # redact: black entities out with this character (None: with [LABEL])
    label_names: tuple[str, ...] | None = None  # hf: write ner_tags as indexes into these
    directory: str | None = None  # brat: the directory the files go to
    data_key: str | None = None  # labelstudio: the task's data field for the text (None: as read, or text)
    config: str | None = None  # labelstudio: write a labeling config for the labels to this file at the end
    conllu_key: str = "NER"  # conllu: the MISC entry the entity tag goes into


@dataclass(frozen=True)
class Format:
    """What nerpipe knows of a format, in one place: adding one is a module and a line here."""

    name: str
    help: str
    parse: Callable[[Iterable[tuple[int, str]], str, ReadOptions], Iterator[Any]] | None = None
    writer: Callable[[WriteOptions], Writer] | None = None
    default_output: str | None = None  # what tag writes for this input when no -f is given (in a pipe)
    annotated: bool = False  # can hold gold entities (train, score and convert read them)
    by_offsets: bool = False  # entities are character offsets into a record's text (scored as such)
    # a reader of files rather than of one stream's lines (brat's .txt/.ann pairs); parse is then None
    read: Callable[[str, ReadOptions], Iterator[Any]] | None = None
    directory: bool = False  # written as files into a directory (-o DIR), not as one stream
    # a small input in this format, with gold entities (the tests read and write it): the text of a
    # stream, or a directory's files by name
    example: str | dict[str, str] | None = None

    @property
    def readable(self) -> bool:
        return self.parse is not None or self.read is not None


def _conll_parse(lines, name, options: ReadOptions):
    return ConllReader(options.sep, options.token_col, options.tag_col, on_error=options.on_error,
                       tag_option=options.tag_option).parse(lines, name)


# the writers for people are imported when chosen: `nerpipe --help` stays quick
def _pretty(o: WriteOptions) -> Writer:
    from .pretty import PrettyWriter

    return PrettyWriter(o.scores)


def _html(o: WriteOptions) -> Writer:
    from .html import HtmlWriter

    return HtmlWriter(o.labels)


def _doccano_parse(lines, name, o: ReadOptions):
    return doccano.parse_doccano(lines, name, o.on_error, o.align)


def _hf_parse(lines, name, o: ReadOptions):
    return hf.parse_hf(lines, name, o.label_names, o.on_error)


def _labelstudio_parse(lines, name, o: ReadOptions):
    return labelstudio.parse_labelstudio(lines, name, o.annotation, o.data_key, o.on_error, o.align)


def _conllu_parse(lines, name, o: ReadOptions):
    return conllu.parse_conllu(lines, name, o.conllu_key, o.on_error, o.align)


def _brat_read(path: str, o: ReadOptions):
    return brat.read_brat(path, o.on_error, o.align)


def _redact(o: WriteOptions) -> Writer:
    from .redact import RedactWriter

    return RedactWriter(o.redact_char)


def _tsv(o: WriteOptions) -> Writer:
    from .tsv import TsvWriter

    return TsvWriter()


_CONLL_EXAMPLE = "-DOCSTART- O\n\nAngela B-PER\nMerkel I-PER\nmet O\nEmmanuel B-PER\nMacron I-PER\nin O\nParis B-LOC\n. O\n"
_JSONL_EXAMPLE = ('{"text": "Angela Merkel met Emmanuel Macron in Paris.", "spans": [{"start": 0, "end": 13, "label": "PER"}, '
                  '{"start": 18, "end": 33, "label": "PER"}, {"start": 37, "end": 42, "label": "LOC"}]}\n')

FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("conll", "CoNLL columns: a token per line, blank lines between sentences", _conll_parse,
               lambda o: ConllWriter(o.scheme, o.replace_col, o.token_col, o.tag_col), "conll", annotated=True,
               example=_CONLL_EXAMPLE),
        Format("jsonl", "JSON lines with text, tokens and character-offset spans (spaCy/Prodigy)",
               lambda lines, name, o: parse_jsonl(lines, name, o.on_error, o.align), lambda o: JsonlWriter(o.keep_gold),
               "jsonl", annotated=True, by_offsets=True, example=_JSONL_EXAMPLE),
        Format("doccano", "doccano's sequence-labelling JSONL: text and \"label\": [[start, end, \"LABEL\"]] (or \"entities\")",
               _doccano_parse, lambda o: doccano.DoccanoWriter(), "doccano", annotated=True, by_offsets=True,
               example=doccano.EXAMPLE),
        Format("labelstudio", "Label Studio tasks (a JSON array): its export read, pre-annotations (\"predictions\") written",
               _labelstudio_parse, lambda o: labelstudio.LabelStudioWriter(o.data_key, o.labels, o.config), "labelstudio",
               annotated=True, by_offsets=True, example=labelstudio.EXAMPLE),
        Format("brat", "brat standoff: a directory (or a pair) of .txt files and their .ann annotations; written with -o DIR",
               writer=lambda o: brat.BratWriter(o.directory), default_output="jsonl", annotated=True, by_offsets=True,
               read=_brat_read, directory=True, example=brat.EXAMPLE),
        Format("conllu", "CoNLL-U (Universal Dependencies), the entity tag in MISC (NER=B-PER); every other line and "
                         "column kept", _conllu_parse, lambda o: conllu.ConlluWriter(o.conllu_key, o.scheme), "conllu",
               annotated=True, by_offsets=True, example=conllu.EXAMPLE),
        Format("hf", "Hugging Face token classification as JSON lines: \"tokens\" and \"ner_tags\" (names, or integers with "
                     "--label-names)", _hf_parse, lambda o: hf.HfWriter(o.label_names), "hf", annotated=True, by_offsets=True,
               example=hf.EXAMPLE),
        Format("text", "plain text: paragraphs between blank lines", lambda lines, name, o: parse_text(lines, name, o.paused),
               default_output="jsonl"),
        Format("lines", "plain text, one record per line (a document, a title, a name)",
               lambda lines, name, o: parse_lines(lines, name), default_output="jsonl"),
        Format("pretty", "text with each entity highlighted in its type's colour and labelled, to read on a terminal",
               writer=_pretty),
        Format("html", "one self-contained web page, entities marked in their type's colour (displaCy style)",
               writer=_html),
        Format("tsv", "one entity per line: source, line, start, end, label, score, text, by (with a header line)",
               writer=_tsv),
        Format("redact", "the text with each entity replaced by [LABEL] (or --redact-char repeated), the rest as it was",
               writer=_redact),
    )
}
INPUT_FORMATS = tuple(name for name, f in FORMATS.items() if f.readable)
OUTPUT_FORMATS = tuple(name for name, f in FORMATS.items() if f.writer is not None)


def sentences_of(item: Record) -> list[Sequence[str]]:
    """The token lists of a record to tag (none for a marker line)."""
    return item.token_lists()


def gold_of(item: Record) -> list[tuple[Sequence[str], Sequence[str] | None, str, int]]:
    """``(tokens, tags, path, line)`` per sentence of a record; tags None when it has none."""
    return item.gold()


CONLL_SUFFIXES = frozenset({"conll", "conll03", "iob", "iob1", "iob2", "bio", "bioes", "iobes"})  # names that mean CoNLL columns


def detect_format(lines: Sequence[str]) -> tuple[str, str]:
    """Decide between text, conll and jsonl from the first lines; return it and why."""
    from ..schemes import is_valid_tag

    body = [strip_eol(line)[0].lstrip(BOM) for line in lines]
    body = [b for b in body if b.strip()]
    if not body:
        return "text", "the input is empty"
    first = body[0].lstrip()
    if first.startswith("{"):
        try:
            record = json.loads(first)
            if labelstudio.is_task(record):
                return "labelstudio", 'the first line is a JSON object with "data" (a Label Studio task)'
            if doccano.is_doccano(record):
                return "doccano", 'the first line is a JSON object with doccano\'s "label" or "entities"'
            if isinstance(record, dict) and "tokens" in record and "ner_tags" in record and "text" not in record:
                return "hf", 'the first line is a JSON object with "tokens" and "ner_tags" (Hugging Face)'
        except json.JSONDecodeError:
            pass  # the JSONL reader says where
        return "jsonl", "the first line is a JSON object"
    words = [b for b in body if not b.startswith("#")]
    if words and len(words[0].split("\t")) == 10 and re.match(r"1(-\d+)?\t", words[0]):
        return "conllu", "the first word line has CoNLL-U's ten tab-separated columns, from ID 1"
    if first.split()[0] == DOCSTART:
        return "conll", "the first line is -DOCSTART-"
    block = [b for b in body if not b.startswith("#")][:20]

    def ends_in_tag(line: str) -> bool:  # a label has a letter: prose ends in I-95, B-52, U-2, not in tags
        tag = line.split()[-1]
        return len(line.split()) >= 2 and is_valid_tag(tag) and (tag == "O" or any(c.isalpha() for c in tag[2:]))

    tagged = [ends_in_tag(b) for b in block]
    # a lone line wider than CoNLL-2003's four columns is a sentence of prose
    if block and all(tagged) and (len(block) > 1 or len(block[0].split()) <= 4):
        return "conll", "every line of the first block has columns ending in a tag"
    width, count = Counter(len(b.split()) for b, t in zip(block, tagged) if t).most_common(1)[0] if any(tagged) else (0, 0)
    if len(block) >= 3 and tagged[0] and 3 * count >= 2 * len(block):
        # CoNLL with a broken line near the top (prose ending in "O" or "I-95" is rarely two
        # thirds of its lines, all as wide): read as CoNLL, so the reader says where
        return "conll", f"{count} of the first {len(block)} lines have {width} columns ending in a tag"
    if len(block) >= 3 and all(len(b.split()) == 1 for b in block):
        blank = any(not strip_eol(line)[0].strip() for line in lines[: len(lines) - 1])
        if blank or any(not any(c.isalnum() for c in b) for b in block):
            return "conll", "the first lines hold one token each, with punctuation or blank lines (untagged CoNLL)"
        return "lines", "one word per line and no blank line or punctuation: a list, each line a record (-i conll for tokens)"
    return "text", "the first lines are neither JSON objects nor token-per-line columns (use --input-format conll for CoNLL)"


def open_input(path: str, fmt: str = "auto", peek: int = 20, on_error: OnError | None = None):
    """Open ``path`` as numbered lines and settle its format (sniffed when ``auto``).

    Returns the format, the reason it was chosen, the lines (none consumed) and the
    :class:`LineSource` (which can tell when the input pauses).
    """
    source = read_lines(path, on_error)
    lines = iter(source)
    if fmt != "auto":
        return fmt, "as asked", lines, source
    head = []
    for item in lines:
        head.append(item)
        if len(head) >= peek or (len(head) >= 1 and source.idle()):
            break
    texts = [text for _, text in head if not isinstance(text, Unreadable)]  # (a line skipped says nothing of the format)
    first = next((t.lstrip(BOM).strip() for t in texts if t.strip()), "")
    if first.startswith("[") and (first[1:].lstrip()[:1] in ("", "{", "]") or _json_array(first)):
        # (its reader says so when the array holds something else than tasks)
        return "labelstudio", "a JSON array (Label Studio's export)", itertools.chain(head, lines), source
    found, why = detect_format(texts)
    suffix = path.removesuffix(".gz").rpartition(".")[2].lower()
    if suffix == "conllu" and found != "conllu":
        found, why = "conllu", "the file is named *.conllu"
    elif found in ("text", "lines") and suffix in CONLL_SUFFIXES:
        found, why = "conll", f"the file is named *.{suffix} ({why[0].lower() + why[1:]})"
    return found, why, itertools.chain(head, lines), source


def _json_array(line: str) -> bool:
    try:
        return isinstance(json.loads(line), list)
    except ValueError:
        return False


def read_records(path: str, fmt: str, options: ReadOptions, on_format=None,
                 annotated: bool = False) -> tuple[str, Iterator[Any], LineSource]:
    """The records of one input in format ``fmt`` (``auto``: sniffed).

    ``annotated``: the input must hold annotations (train, score), so auto means JSONL
    when the first line is a JSON object and CoNLL otherwise, never plain text.
    """
    reader = FORMATS[fmt].read if fmt != "auto" else None
    if fmt == "auto" and (os.path.isdir(path) or path.endswith(".ann")):
        fmt, reader = "brat", FORMATS["brat"].read
        if on_format:
            on_format(display_name(path), fmt, "a directory" if os.path.isdir(path) else "a .ann file (brat)")
    elif os.path.isdir(path) and reader is None:
        raise NerpipeError(f"this is a directory; only -i brat reads one (-i {fmt} reads a file)", path)
    if reader is not None:
        return fmt, reader(path, options), _NO_SOURCE
    found, why, lines, source = open_input(path, fmt, on_error=options.on_error)
    looks = None
    if annotated and fmt == "auto" and not FORMATS[found].annotated:
        looks, (found, why) = found, ("conll", "annotated data that is not JSONL")
    if on_format:
        on_format(display_name(path), found, why)
    parse = FORMATS[found].parse
    assert parse is not None, found  # open_input chose an input format
    # plain text's paragraphs end at a pause in the input too (a line typed, or streamed by tail -f), one
    # long enough not to be a slow producer's (zcat's, ssh's) between two reads
    records = parse(lines, display_name(path), replace(options, paused=lambda: source.idle(PARAGRAPH_PAUSE)))
    if looks is not None:  # read as CoNLL so that a broken line is reported, but say what it looked like
        records = _hinted(records, "it looks like plain text, which holds no annotations: this needs CoNLL (tokens and "
                                   "a tag column) or JSONL (records with spans)")
    return found, records, source


PARAGRAPH_PAUSE = 0.25  # seconds without input that end a paragraph of plain text


class _NoSource:
    """A reader of files has no stream that could pause."""

    def idle(self, wait: float = 0.0) -> bool:
        return False


_NO_SOURCE: Any = _NoSource()


def prepare_directory(path: str) -> None:
    """Make ``path`` ready for a directory format's files: new, or empty (nothing there is overwritten)."""
    from pathlib import Path

    where = Path(path)
    if where.exists() and not where.is_dir():
        raise UsageError(f"-o {path}: this output is a directory of files, and {path} is a file")
    if where.is_dir() and any(where.iterdir()):
        raise UsageError(f"-o {path}: the directory is not empty (the output goes to a new or empty one, so nothing is "
                         "overwritten)")
    where.mkdir(parents=True, exist_ok=True)


def make_writer(name: str, options: WriteOptions) -> Writer:
    """The writer of output format ``name`` (one of :data:`OUTPUT_FORMATS`)."""
    writer = FORMATS[name].writer
    if writer is None:
        raise ValueError(f"expected an output format, got {name!r} (one of {', '.join(OUTPUT_FORMATS)})")
    return writer(options)


def _hinted(records: Iterator[Any], hint: str) -> Iterator[Any]:
    try:
        yield from records
    except NerpipeError as err:
        raise NerpipeError(f"{err.message} ({hint})", err.path, err.line) from None


def map_annotation(ann: Annotation, label_map) -> Annotation:
    """``ann`` with its labels read through ``label_map`` (a :class:`~nerpipe.labelmap.LabelMap`);
    dropped spans go with their scores."""
    kept = [(start, end, new, k) for k, (start, end, label) in enumerate(ann.spans) if (new := label_map(label)) is not None]
    scores = [ann.scores[k] for *_, k in kept] if ann.scores is not None else None
    sources = [ann.sources[k] for *_, k in kept] if ann.sources is not None else None
    return Annotation([(start, end, new) for start, end, new, _ in kept], scores, sources)


def filter_annotation(ann: Annotation, min_score: float = 0.0, labels: frozenset[str] | None = None) -> Annotation:
    """Only the spans scoring at least ``min_score`` and with one of ``labels`` (None: any).

    A score is compared as written (four decimals), so a threshold read off the output, or
    suggested by ``score --errors``, keeps every span that shows at least that score."""
    scores = ann.scores if ann.scores is not None else [1.0] * len(ann.spans)
    kept = [k for k, (span, score) in enumerate(zip(ann.spans, scores))
            if round(score, SCORE_DECIMALS) >= min_score and (labels is None or span[2] in labels)]
    return Annotation([ann.spans[k] for k in kept], [ann.scores[k] for k in kept] if ann.scores is not None else None,
                      [ann.sources[k] for k in kept] if ann.sources is not None else None)


__all__ = [
    "ALIGN_MODES",
    "DOCSTART",
    "FORMATS",
    "INPUT_FORMATS",
    "OUTPUT_FORMATS",
    "SCORE_DECIMALS",
    "SEPARATORS",
    "Annotation",
    "ConllReader",
    "Doc",
    "Format",
    "Joiner",
    "LineSource",
    "Marker",
    "ReadOptions",
    "Record",
    "Sentence",
    "WriteOptions",
    "Writer",
    "align_spans",
    "as_doc",
    "declined",
    "detect_format",
    "display_name",
    "doc_to_json",
    "filter_annotation",
    "format_sentence",
    "gold_of",
    "make_doc",
    "open_input",
    "parse_jsonl",
    "parse_lines",
    "parse_paragraphs",
    "parse_record",
    "prepare_directory",
    "read_conll",
    "read_jsonl",
    "read_lines",
    "read_paragraphs",
    "read_records",
    "sentence_to_doc",
    "sentences_of",
    "sentences_only",
    "strip_eol",
]


def read_jsonl(paths: str | os.PathLike | Sequence[str | os.PathLike]) -> Iterator[Doc]:
    """Stream JSONL records (``{"text": ...}`` with optional ``tokens`` and ``spans``) of
    one file or a list."""
    for path in as_paths(paths):
        yield from parse_jsonl(read_lines(path), display_name(path))


def read_paragraphs(paths: str | os.PathLike | Sequence[str | os.PathLike]) -> Iterator[Doc]:
    """Stream blank-line separated paragraphs of plain text, of one file or a list."""
    for path in as_paths(paths):
        yield from parse_paragraphs(read_lines(path), display_name(path))
