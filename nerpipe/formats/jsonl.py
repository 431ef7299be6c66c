"""JSONL span records in the spaCy/Prodigy convention (no torch).

A record needs only ``text``; ``tokens`` (strings or ``{"start", "end"}`` objects) are
used as given, else nerpipe tokenises the text. ``spans`` are gold annotations: by
``token_start``/``token_end`` (inclusive) or by character ``start``/``end``, aligned to
the tokens (strictly, or snapped with ``--align``). A record without ``spans`` that has
``ents`` (spaCy's ``Doc.to_json()``) has those as its gold. Output keeps every other field.

Records converted from CoNLL carry a ``conll`` object so that converting back gives
the same bytes: ``lines`` (the token lines as read, line ends included), ``sep``,
``tag_col``, and ``before`` (the blank, comment and ``-DOCSTART-`` lines that came
before the sentence).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from ..errors import NerpipeError
from .conll import GAP, Marker, Sentence, sentence_to_doc
from .doc import Doc, annotation_sources, annotation_spans, make_doc
from .source import BOM, OnError, Unreadable
from .writer import SCORE_DECIMALS, Writer


def parse_jsonl(lines: Iterable[tuple[int, str]], name: str, on_error: OnError | None = None,
                align: str = "strict") -> Iterator[Doc]:
    return json_lines(lines, name, lambda text, lineno: parse_record(text, name, lineno, align), on_error)


def json_lines(lines: Iterable[tuple[int, str]], name: str, parse: Callable[[str, int], Doc],
               on_error: OnError | None = None) -> Iterator[Doc]:
    """``parse(text, lineno)`` of each non-blank line (a JSON lines format's records);
    a bad one raises, or with ``on_error`` is reported and skipped."""
    for lineno, raw in lines:
        if isinstance(raw, Unreadable):
            continue  # undecodable, already reported
        text = raw.strip().lstrip(BOM)
        if not text:
            continue
        try:
            yield parse(text, lineno)
        except NerpipeError as err:
            if on_error is None:
                raise
            on_error(err)


def load_json(text: str, name: str, lineno: int) -> Any:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise NerpipeError(f"invalid JSON: {err.msg} at column {err.colno}", name, lineno) from None
    reject_lone_surrogates(text, value, name, lineno)
    return value


def reject_lone_surrogates(text: str, value: Any, name: str, lineno: int) -> None:
    """JSON may escape half of a UTF-16 pair alone (``\\ud800``): not text, and nothing
    could write it out again. ``value`` is ``text`` decoded."""
    if _SURROGATE_ESCAPE.search(text):
        lone = _lone_surrogate(value)
        if lone is not None:
            raise NerpipeError(f"a lone surrogate \\u{ord(lone):04x} in a string: half of a UTF-16 pair, not text",
                               name, lineno)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _lone_surrogate(value: Any) -> str | None:
    """The first unpaired surrogate in ``value``'s strings (keys too), if any."""
    if isinstance(value, str):
        return next((c for c in value if "\ud800" <= c <= "\udfff"), None)
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _lone_surrogate(key) if isinstance(key, str) else None
        found = found or _lone_surrogate(item)
        if found:
            return found
    return None


def is_int(value: Any) -> bool:
    """A JSON integer (``true`` is a bool, not 1)."""
    return isinstance(value, int) and not isinstance(value, bool)


def parse_record(text: str, name: str, lineno: int, align: str = "strict") -> Doc:
    record = load_json(text, name, lineno)
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise NerpipeError('expected a JSON object with a "text" string', name, lineno)
    if "spans" not in record:
        from .doccano import is_doccano

        if is_doccano(record):  # its entities would be lost without a word
            raise NerpipeError('this record holds doccano\'s entities ("label" or "entities"), not "spans": read it with '
                               "-i doccano (or -i auto)", name, lineno)
    body = record["text"]
    tokens = _record_tokens(body, record["tokens"], name, lineno) if "tokens" in record else None
    char_spans, token_spans = None, None
    spacy_groups = isinstance(record.get("spans"), dict) and isinstance(record.get("ents"), list)  # spaCy's span groups
    if record.get("spans") is not None and not spacy_groups:
        token_spans, char_spans = _json_spans(record["spans"], tokens, name, lineno, align)
    elif isinstance(record.get("ents"), list):  # spaCy's Doc.to_json(): its entities are gold, not dropped
        token_spans, char_spans = _json_spans(record["ents"], tokens, name, lineno, align)
    # a record converted from CoNLL is one sentence, as it was there
    return make_doc(body, record, name, lineno, tokens, char_spans, token_spans, align, split="conll" not in record)


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
        elif isinstance(tok, dict) and is_int(tok.get("start")) and is_int(tok.get("end")):
            start, end = tok["start"], tok["end"]
            if not 0 <= start < end <= len(text):
                raise NerpipeError(f"token {i} has offsets {start}..{end} outside the text", name, lineno)
            if "text" in tok and text[start:end] != tok["text"]:
                raise NerpipeError(f"token {i}: text[{start}:{end}] is {text[start:end]!r}, not {tok['text']!r}", name, lineno)
        else:
            raise NerpipeError(f'token {i} must be a string or an object with "start" and "end"', name, lineno)
        if start < cursor:
            raise NerpipeError(f"token {i} overlaps the one before it", name, lineno)
        _check_between(text, cursor, start, name, lineno)
        result.append((start, end))
        cursor = end
    _check_between(text, cursor, len(text), name, lineno)
    return result


def _check_between(text: str, start: int, end: int, name: str, lineno: int) -> None:
    """Text outside every token is white space or invisible (a zero-width space, a soft
    hyphen, a byte-order mark: format characters); anything else would be dropped unseen."""
    for k in range(start, end):
        char = text[k]
        if not (char.isspace() or unicodedata.category(char) == "Cf"):
            left = text[k:end].strip()
            shown = repr(left if len(left) <= 30 else left[:30] + "...")
            raise NerpipeError(f'"tokens" leave out {shown} at character {k} of the text', name, lineno)


def _json_spans(spans: Any, tokens: list[tuple[int, int]] | None, name: str, lineno: int, align: str = "strict"):
    """Token spans (from token_start/token_end) and character spans (from start/end)."""
    if not isinstance(spans, list):
        raise NerpipeError('"spans" must be a list', name, lineno)
    by_token, by_char = [], []
    for span in spans:
        if not isinstance(span, dict) or not isinstance(span.get("label"), str):
            raise NerpipeError('each span must be an object with a "label"', name, lineno)
        if tokens is not None and is_int(span.get("token_start")) and is_int(span.get("token_end")):
            first, last = span["token_start"], span["token_end"]
            if not 0 <= first <= last < len(tokens):
                raise NerpipeError(f"span tokens {first}..{last} outside the {len(tokens)} tokens", name, lineno)
            if is_int(span.get("start")) and is_int(span.get("end")) and \
                    (span["start"], span["end"]) != (tokens[first][0], tokens[last][1]):
                if align == "strict":
                    raise NerpipeError(f"span tokens {first}..{last} are characters {tokens[first][0]}-{tokens[last][1]}, "
                                       f"not its start-end {span['start']}-{span['end']}; --align expand or contract "
                                       "reads its characters", name, lineno)
                by_char.append((span["start"], span["end"], span["label"]))  # (aligned as --align says)
                continue
            by_token.append((first, last + 1, span["label"]))
        elif is_int(span.get("start")) and is_int(span.get("end")):
            by_char.append((span["start"], span["end"], span["label"]))
        else:
            raise NerpipeError(f'span {json.dumps(span)} needs integer "start" and "end" (or "token_start" and "token_end")',
                               name, lineno)
    return by_token, by_char


LABELSTUDIO_READ = "_labelstudio"  # a Label Studio task's JSONL record: what the reader read (see doc_to_json)


def doc_to_json(doc: Doc, spans: Iterable[tuple[int, int, str]] | None, scores: Sequence[float] | None = None,
                field: str = "spans", sources: Sequence[str | None] | None = None) -> str:
    """One JSONL line in the spaCy/Prodigy convention (``token_end`` inclusive); the
    spans go into ``field`` (``spans``, or ``predicted_spans`` beside gold ones), each
    with its ``source`` where ``sources`` says one."""
    record = dict(doc.record)
    record["text"] = doc.text
    record["tokens"] = [{"text": doc.text[s:e], "start": s, "end": e, "id": i} for i, (s, e) in enumerate(doc.tokens)]
    task = doc.extra.get("labelstudio")
    if task is not None and task.get("read") is not None:
        # which of a Label Studio task's annotations the spans are, and where its results lie: written back in place
        record[LABELSTUDIO_READ] = {"read": list(task["read"]), "key": task["key"], "names": list(task["names"]),
                                    "results": [[place, list(covered)] for place, covered in task.get("results") or []]}
    out_spans = []
    for k, (first, end, label) in enumerate(spans or ()):
        if not 0 <= first < end <= len(doc.tokens):
            raise ValueError(f"span {k} ({first}, {end}, {label!r}): token positions (first, end exclusive) must lie "
                             f"within the record's {len(doc.tokens)} tokens")
        span: dict[str, Any] = {"start": doc.tokens[first][0], "end": doc.tokens[end - 1][1],
                                "token_start": first, "token_end": end - 1, "label": label}
        if scores is not None:
            span["score"] = round(float(scores[k]), SCORE_DECIMALS)
        if sources is not None and sources[k] is not None:
            span["source"] = sources[k]
        out_spans.append(span)
    if field != "spans" and doc.spans is not None:
        record["spans"] = [{"start": doc.tokens[s][0], "end": doc.tokens[e - 1][1], "token_start": s, "token_end": e - 1,
                            "label": label} for s, e, label in doc.spans]
    if spans is not None:
        record[field] = out_spans
    return json.dumps(record, ensure_ascii=False) + "\n"


def declined(item) -> bool:
    """Whether a record is one a person rejected or skipped (``"answer": "reject"`` or
    ``"ignore"``, as ``nerpipe annotate`` and Prodigy write them): not gold, so train and
    score leave it out."""
    record = getattr(item, "record", None)
    return isinstance(record, dict) and record.get("answer") in ("reject", "ignore")


def as_doc(item) -> Doc | None:
    """A record as a :class:`Doc` (see :class:`~nerpipe.formats.doc.Record`)."""
    return item.as_doc()


class JsonlWriter(Writer):
    """JSONL output: one record per input record (a CoNLL sentence carries the marker
    lines before it). Predictions go into ``spans``, or into ``predicted_spans`` when the
    record has gold spans and ``keep_gold`` (``tag`` without ``--replace``)."""

    wants_scores = True

    def __init__(self, keep_gold: bool = True):
        self.keep_gold = keep_gold
        self.before: list[str] = []

    def write(self, item, annotations) -> str:
        if isinstance(item, Marker):
            if item.kind != GAP:
                self.before.append(item.text)
            return ""
        if isinstance(item, Sentence):
            doc, self.before = sentence_to_doc(item, self.before), []
        else:
            doc = item
        if annotations is None:
            return doc_to_json(doc, doc.spans)  # (not annotated: no "spans")
        spans, known = annotation_spans(doc, annotations)
        scores = [1.0 if score is None else score for score in known]
        field = "predicted_spans" if self.keep_gold and doc.spans is not None else "spans"
        return doc_to_json(doc, spans, scores, field, annotation_sources(annotations))

    def close(self) -> str:
        """Marker lines after the last sentence travel in a last, empty record."""
        if not self.before:
            return ""
        out = json.dumps({"text": "", "tokens": [], "spans": [], "conll": {"lines": [], "before": self.before}},
                         ensure_ascii=False) + "\n"
        self.before = []
        return out
