"""Hugging Face token classification data as JSON lines (no torch).

``datasets`` writes a token-classification split (``ds.to_json("train.jsonl")``, as
for CoNLL-2003 or WikiANN on the Hub) one example a line:

    {"id": "0", "tokens": ["EU", "rejects", "German", "call"], "ner_tags": [3, 0, 7, 0]}

``ner_tags`` are strings (``"B-ORG"``) or integers, which need the label names in the
dataset's order (``--label-names O,B-PER,I-PER,...`` or a file of one name a line; the
``ClassLabel`` feature's ``names``). A record is one sentence: its text is its tokens
joined by single spaces, its entities come from the tags (any scheme), and every other
field is kept. Written with the tags in IOB2 (integers when label names were given, and
then a label they lack is an error), the record's own fields as they came.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..errors import NerpipeError
from ..schemes import Scheme, check_tags, spans_to_tags, tags_to_spans
from ..tokenize import joined_offsets
from .doc import Doc, annotation_spans, check_written_labels
from .jsonl import as_doc, json_lines, load_json
from .source import OnError
from .writer import Writer

EXAMPLE = '{"id": "0", "tokens": ["Angela", "Merkel", "visited", "Paris", "."], "ner_tags": ["B-PER", "I-PER", "O", "B-LOC", "O"]}\n'


def parse_hf(lines: Iterable[tuple[int, str]], name: str, label_names: Sequence[str] | None = None,
             on_error: OnError | None = None) -> Iterator[Doc]:
    return json_lines(lines, name, lambda text, lineno: parse_hf_record(text, name, lineno, label_names), on_error)


def parse_hf_record(text: str, name: str, lineno: int, label_names: Sequence[str] | None = None) -> Doc:
    record = load_json(text, name, lineno)
    tokens = record.get("tokens") if isinstance(record, dict) else None
    if not isinstance(tokens, list) or not all(isinstance(t, str) and t and not any(c.isspace() for c in t) for t in tokens):
        raise NerpipeError('expected a JSON object with "tokens", a list of tokens without spaces (Hugging Face)', name, lineno)
    raw_tags = record.get("ner_tags")
    tags = None
    if raw_tags is not None:
        if not isinstance(raw_tags, list) or len(raw_tags) != len(tokens):
            raise NerpipeError(f'"ner_tags" must be a list of {len(tokens)} tags, one per token', name, lineno)
        tags = [_tag_name(t, label_names, name, lineno) for t in raw_tags]
        check_tags(tags, name, lineno, "are the label names (--label-names) in the dataset's order?")
    offsets = joined_offsets(tokens)
    spans = tuple(tags_to_spans(tags)) if tags is not None else None
    return Doc(" ".join(tokens), tuple(offsets), (len(offsets),) if offsets else (), record, name, lineno, spans)


def _tag_name(tag: Any, label_names: Sequence[str] | None, name: str, lineno: int) -> str:
    if isinstance(tag, str):
        return tag
    if isinstance(tag, int) and not isinstance(tag, bool):
        if label_names is None:
            raise NerpipeError("integer ner_tags need the label names: --label-names O,B-PER,I-PER,... (the dataset's "
                               "ClassLabel names, in order) or a file of one name a line", name, lineno)
        if not 0 <= tag < len(label_names):
            raise NerpipeError(f"ner_tag {tag} is not one of the {len(label_names)} label names", name, lineno)
        return label_names[tag]
    raise NerpipeError(f"ner_tag {json.dumps(tag)}: expected a tag name or an integer", name, lineno)


class HfWriter(Writer):
    """One record a line: the record's own fields, ``tokens`` and ``ner_tags`` (IOB2)
    from its entities (the model's with ``tag``, its own with ``convert``)."""

    holds_unannotated = False  # every record written is gold

    def __init__(self, label_names: Sequence[str] | None = None):
        self.label_names = list(label_names) if label_names is not None else None
        self.index = {n: i for i, n in enumerate(self.label_names)} if self.label_names is not None else None

    def write(self, item, annotations) -> str:
        doc = as_doc(item)
        if doc is None:
            return ""  # CoNLL's blank, comment and -DOCSTART- lines have no place here
        spans = doc.spans or [] if annotations is None else annotation_spans(doc, annotations)[0]
        check_written_labels(spans, doc.path, doc.line, tags=True)
        tags: list[Any] = spans_to_tags(spans, len(doc.tokens), Scheme.IOB2)
        if self.index is not None:
            missing = sorted({t for t in tags if t not in self.index})
            if missing:
                raise NerpipeError(f"the label names have no {', '.join(missing)}", doc.path, doc.line)
            tags = [self.index[t] for t in tags]
        tokens = [doc.text[s:e] for s, e in doc.tokens]
        record: dict[str, Any] = {}
        for key, value in doc.record.items():  # the record's own fields in their order, ours replaced
            if key not in _NERPIPE_FIELDS:
                record[key] = tokens if key == "tokens" else tags if key == "ner_tags" else value
        record.setdefault("tokens", tokens)
        record.setdefault("ner_tags", tags)
        return json.dumps(record, ensure_ascii=False) + "\n"


# what nerpipe's JSONL (and CoNLL records) add: not the dataset's, so not written back
_NERPIPE_FIELDS = ("text", "spans", "predicted_spans", "meta", "conll", "_labelstudio")
