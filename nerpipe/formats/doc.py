"""A text with its tokens and sentences: one JSONL record, one paragraph or one line (no torch).

A :class:`Doc` is immutable and is built complete: tokenised (unless the record gave
tokens), split into sentences, and with its annotated spans aligned to its tokens.
Sentence breaks never fall inside an annotated span.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import NerpipeError
from ..schemes import Scheme, looks_like_tag, spans_to_tags
from ..tokenize import split_sentences, tokenize

Span = tuple[int, int, str]  # token positions, end exclusive
ALIGN_MODES = ("strict", "expand", "contract")


@dataclass(frozen=True)
class Doc:
    text: str
    tokens: tuple[tuple[int, int], ...]  # (start, end) character offsets into text
    sentence_lengths: tuple[int, ...]  # tokens per sentence
    record: Mapping[str, Any] = field(default_factory=dict)  # the input object; other fields pass through
    path: str = "-"
    line: int = 0
    spans: tuple[Span, ...] | None = None  # annotated spans (token positions), when the record had them
    # plain text: the input's characters since the previous record (line ends, blank lines), so the
    # text can be written back as it was (-f redact); None for records of other formats
    before: str | None = field(default=None, compare=False)
    # what the reader knows of the record beyond its fields, for its own writer to give it back
    # (brat's other annotation lines, Label Studio's chosen annotation, CoNLL-U's lines); other writers ignore it
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)
    sentences: tuple[tuple[str, ...], ...] = field(init=False, repr=False)  # token texts per sentence

    def __post_init__(self) -> None:
        out, k = [], 0
        for n in self.sentence_lengths:
            out.append(tuple(self.text[s:e] for s, e in self.tokens[k : k + n]))
            k += n
        object.__setattr__(self, "sentences", tuple(out))

    # the record protocol (Record, below)
    def token_lists(self) -> list[Sequence[str]]:
        return list(self.sentences)

    def gold(self) -> list[tuple[Sequence[str], Sequence[str] | None, str, int]]:
        if self.spans is None:
            return [(tokens, None, self.path, self.line) for tokens in self.sentences]
        per = self.sentence_spans()
        return [(tokens, spans_to_tags(per[i], len(tokens), Scheme.IOB2), self.path, self.line)
                for i, tokens in enumerate(self.sentences)]

    def as_doc(self) -> Doc:
        return self

    def token_input_lines(self) -> Sequence[int]:
        """Plain text keeps its line ends, so a paragraph's n-th line is the n-th input line
        from where it starts; a record of a JSON format (it has a ``text`` field) is one
        input line, whatever its text holds."""
        if "text" in self.record or "\n" not in self.text:
            return [self.line] * len(self.tokens)
        lines, line, cursor = [], self.line, 0
        for start, _ in self.tokens:
            line += self.text.count("\n", cursor, start)
            cursor = start
            lines.append(line)
        return lines

    def sentence_spans(self) -> list[list[Span]]:
        """The annotated spans of each sentence, in sentence-relative positions."""
        out: list[list[Span]] = [[] for _ in self.sentence_lengths]
        starts, k = [], 0
        for n in self.sentence_lengths:
            starts.append(k)
            k += n
        for s, e, label in self.spans or ():
            i = max(j for j, st in enumerate(starts) if st <= s)
            out[i].append((s - starts[i], e - starts[i], label))
        return out

    def char_spans(self, spans: Sequence[Span]) -> list[tuple[int, int, str]]:
        return [(self.tokens[s][0], self.tokens[e - 1][1], label) for s, e, label in spans]


class Record(Protocol):
    """What every reader yields and every command and writer asks of it: a CoNLL
    :class:`~nerpipe.formats.conll.Sentence`, a :class:`Doc`, or a
    :class:`~nerpipe.formats.conll.Marker` (a line that is no record, which holds nothing)."""

    path: str
    line: int

    def token_lists(self) -> list[Sequence[str]]:
        """The token lists to tag, a sentence each."""

    def gold(self) -> list[tuple[Sequence[str], Sequence[str] | None, str, int]]:
        """``(tokens, tags, path, line)`` per sentence; tags (IOB2 for a Doc) None when it has none."""

    def as_doc(self) -> Doc | None:
        """The record as a Doc (a CoNLL sentence: its tokens joined by spaces); None for a marker."""

    def token_input_lines(self) -> Sequence[int]:
        """The input line where each token stands."""


def make_doc(text: str, record: Mapping[str, Any], path: str, line: int, tokens: Sequence[tuple[int, int]] | None = None,
             char_spans: Sequence[tuple[int, int, str]] | None = None, token_spans: Sequence[Span] | None = None,
             align: str = "strict", split: bool = True, breaks: Sequence[int] = (), before: str | None = None,
             extra: Mapping[str, Any] | None = None) -> Doc:
    """Tokenise (unless ``tokens``), align ``char_spans`` to tokens, split into sentences.

    ``breaks``: token positions where a sentence must start (e.g. line starts of a list).
    """
    offsets = list(tokens) if tokens is not None else tokenize(text)
    spans = None
    for *_, label in [*(char_spans or ()), *(token_spans or ())]:
        check_label(label, path, line)
    if char_spans is not None or token_spans is not None:
        spans = list(token_spans or []) + align_spans(text, offsets, char_spans or [], align, path, line)
        spans.sort()
        for (s1, e1, l1), (s2, e2, l2) in zip(spans, spans[1:]):
            if s2 < e1:
                a, b = _describe(text, offsets, (s1, e1, l1)), _describe(text, offsets, (s2, e2, l2))
                raise NerpipeError(f"span {b} overlaps span {a}; NER spans may not overlap", path, line)
    lengths = _sentence_lengths(text, offsets, spans or [], breaks) if split else ([len(offsets)] if offsets else [])
    return Doc(text, tuple(offsets), tuple(lengths), record, path, line, tuple(spans) if spans is not None else None, before,
               extra or {})




def check_label(label: str, path: str, line: int) -> None:
    """A span's label names a type: not nothing. (What a column cannot hold is the writers'
    to refuse, after any ``--map`` has renamed it: :func:`check_written_labels`.)"""
    if not label.strip():
        raise NerpipeError(f"a span with an empty label {label!r}: every entity needs its type", path, line)


def check_written_labels(spans: Iterable[Span], path: str, line: int, tags: bool) -> None:
    """Labels a column of a file format can hold: one word; as a tag's type (``tags``: CoNLL,
    CoNLL-U) neither ``O`` nor a tag itself (``B-PER`` would be written ``B-B-PER``)."""
    for *_, label in spans:
        if any(c.isspace() for c in label):
            problem, fixed = "holds white space, which a column cannot", "_".join(label.split())
        elif tags and label == "O":
            problem, fixed = "is O, which means no entity", ""
        elif tags and looks_like_tag(label):
            problem, fixed = f"is a tag itself (it would be written B-{label})", label[2:]
        else:
            continue
        raise NerpipeError(f"label {label!r} {problem}: rename it, e.g. --map {shlex.quote(f'{label.strip()}={fixed}')}"
                           + (" (an empty NEW drops it)" if not fixed else "")
                           + " (where a --map rule of yours gave it, change that rule's NEW)", path, line)


def _describe(text: str, tokens: Sequence[tuple[int, int]], span: Span) -> str:
    a, b = tokens[span[0]][0], tokens[span[1] - 1][1]
    return f"{a}-{b} {text[a:b]!r} ({span[2]})"


def _sentence_lengths(text: str, tokens: list[tuple[int, int]], spans: Sequence[Span], breaks: Sequence[int]) -> list[int]:
    if not tokens:
        return []
    sentences = split_sentences(text, tokens, breaks)
    # a sentence break inside an annotated span would cut the entity in two: undo it
    inside: set[int] = set()
    for s, e, _ in spans:
        inside.update(range(s + 1, e))
    lengths: list[int] = []
    k = 0
    for sent in sentences:
        if lengths and k in inside:
            lengths[-1] += len(sent)
        else:
            lengths.append(len(sent))
        k += len(sent)
    return lengths


def align_spans(text: str, tokens: Sequence[tuple[int, int]], char_spans: Sequence[tuple[int, int, str]], align: str,
                path: str, line: int) -> list[Span]:
    """Character spans -> token spans, or a located error; never a silent drop.

    strict: a span must start and end on token boundaries; expand: widen it to the
    tokens it touches; contract: narrow it to the tokens wholly inside it (spaCy's
    alignment modes).
    """
    starts = {s: i for i, (s, _) in enumerate(tokens)}
    ends = {e: i for i, (_, e) in enumerate(tokens)}
    out = []
    for start, end, label in char_spans:
        where = f"span {start}-{end} {text[start:end]!r} ({label})"
        if not start < end:
            raise NerpipeError(f"span {start}-{end} ({label}) ends {'before' if end < start else 'where'} it starts: an "
                               "entity holds at least one character", path, line)
        if not (0 <= start and end <= len(text)):
            raise NerpipeError(f"span {start}-{end} ({label}) lies outside the text ({len(text)} characters)", path, line)
        if start in starts and end in ends:
            out.append((starts[start], ends[end] + 1, label))
            continue
        touched = [i for i, (s, e) in enumerate(tokens) if s < end and e > start]
        if align == "expand" and touched:
            out.append((touched[0], touched[-1] + 1, label))
            continue
        inside = [i for i in touched if tokens[i][0] >= start and tokens[i][1] <= end]
        if align == "contract" and inside:
            out.append((inside[0], inside[-1] + 1, label))
            continue
        if not touched:
            raise NerpipeError(f"{where} covers no token (only spaces?)", path, line)
        near = ", ".join(f"{text[s:e]!r} {s}-{e}" for s, e in (tokens[i] for i in touched))
        problem = "holds no whole token" if align == "contract" else "does not start and end on token boundaries"
        raise NerpipeError(f"{where} {problem} (tokens there: {near}); --align expand or contract snaps it", path, line)
    return out


def annotation_sources(annotations: Sequence) -> list[str | None]:
    """Where each span of :func:`annotation_spans` came from (None where not said)."""
    out: list[str | None] = []
    for ann in annotations:
        out += list(ann.sources) if ann.sources is not None else [None] * len(ann.spans)
    return out


def annotation_spans(doc: Doc, annotations: Sequence) -> tuple[list[tuple[int, int, str]], list[float | None]]:
    """The spans of ``annotations`` (one :class:`~nerpipe.formats.Annotation` per sentence,
    in sentence tokens) in the record's tokens, and a score each (None where unknown)."""
    spans: list[tuple[int, int, str]] = []
    scores: list[float | None] = []
    offset = 0
    for n, ann in zip(doc.sentence_lengths, annotations):
        spans += [(s + offset, e + offset, label) for s, e, label in ann.spans]
        scores += list(ann.scores) if ann.scores is not None else [None] * len(ann.spans)
        offset += n
    return spans, scores
