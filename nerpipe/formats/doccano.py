"""doccano's sequence-labelling JSONL (no torch).

doccano exports one JSON object a line with the text and its entities as character
offsets, in one of two shapes (its own documentation, "Sequence labeling" export):

    {"id": 1, "text": "Angela Merkel met Macron.", "label": [[0, 13, "PER"], [18, 24, "PER"]]}
    {"id": 1, "text": "...", "entities": [{"id": 3, "start_offset": 0, "end_offset": 13, "label": "PER"}],
     "relations": []}

Both are read; entities are aligned to nerpipe's tokens as JSONL spans are (``--align``),
and every other field of the record travels with it. Written in the shape it came in
(the first for a record from elsewhere), which doccano imports as pre-annotations: the
record as it came, its entities those written (the model's, for ``tag``; the record's
own, for ``convert``). In the second shape an entity at the offsets of one read keeps
that one's id and fields (its label the one written), so the relations that name it
still hold; a new one takes the next free id, and a relation whose entity is no longer
there (a name the model did not find) is left out. A record nerpipe wrote reads back
and writes again to the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..errors import NerpipeError
from .doc import Doc, annotation_spans, make_doc
from .jsonl import as_doc, is_int, json_lines, load_json
from .source import OnError
from .writer import Writer

# what nerpipe's JSONL adds to a record: not doccano's, so not written back
_NERPIPE_FIELDS = ("tokens", "spans", "predicted_spans", "_labelstudio")
EXAMPLE = '{"id": 7, "text": "Angela Merkel met Emmanuel Macron in Paris.", "label": [[0, 13, "PER"], [18, 33, "PER"], [37, 42, "LOC"]]}\n'


def is_doccano(record: Any) -> bool:
    """Whether a JSON record holds doccano's entities (and no nerpipe ``spans``)."""
    if not isinstance(record, dict) or "spans" in record:
        return False
    label, entities = record.get("label"), record.get("entities")
    return (isinstance(label, list) and all(isinstance(x, list) for x in label) and bool(label or entities is None)) or (
        isinstance(entities, list) and all(isinstance(x, dict) and "start_offset" in x for x in entities))


def parse_doccano(lines: Iterable[tuple[int, str]], name: str, on_error: OnError | None = None,
                  align: str = "strict") -> Iterator[Doc]:
    return json_lines(lines, name, lambda text, lineno: parse_doccano_record(text, name, lineno, align), on_error)


def parse_doccano_record(text: str, name: str, lineno: int, align: str = "strict") -> Doc:
    record = load_json(text, name, lineno)
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        raise NerpipeError('expected a JSON object with a "text" string (doccano)', name, lineno)
    if "spans" in record:  # nerpipe's JSONL (two files joined): its spans would be lost without a word
        raise NerpipeError('this record holds nerpipe JSONL "spans", not doccano\'s entities: read it with -i jsonl '
                           "(a file of one format each)", name, lineno)
    return make_doc(record["text"], record, name, lineno, None, _entities(record, name, lineno), None, align)


def _entities(record: dict, name: str, lineno: int) -> list[tuple[int, int, str]]:
    """The record's entities as ``(start, end, label)`` character spans."""
    spans = []
    if "label" in record:
        if not isinstance(record["label"], list):
            raise NerpipeError('doccano "label" must be a list of [start, end, "LABEL"]', name, lineno)
        for item in record["label"]:
            if not (isinstance(item, list) and len(item) == 3 and _offset(item[0]) and _offset(item[1])
                    and isinstance(item[2], str)):
                raise NerpipeError(f'doccano "label" entry {json.dumps(item)}: expected [start, end, "LABEL"]', name, lineno)
            spans.append((item[0], item[1], item[2]))
    if "entities" in record:
        if not isinstance(record["entities"], list):
            raise NerpipeError('doccano "entities" must be a list of objects', name, lineno)
        for item in record["entities"]:
            if not (isinstance(item, dict) and _offset(item.get("start_offset")) and _offset(item.get("end_offset"))
                    and isinstance(item.get("label"), str)):
                raise NerpipeError(f'doccano "entities" entry {json.dumps(item)}: expected "start_offset", "end_offset" '
                                   'and "label"', name, lineno)
            spans.append((item["start_offset"], item["end_offset"], item["label"]))
    return spans


def _offset(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class DoccanoWriter(Writer):
    """doccano JSONL: each record with its entities in ``label`` (scores are not kept:
    doccano has no place for them)."""

    holds_unannotated = False  # every record written is gold

    def write(self, item, annotations) -> str:
        doc = as_doc(item)
        if doc is None:
            return ""  # CoNLL's blank, comment and -DOCSTART- lines have no place in doccano
        spans = doc.spans or [] if annotations is None else annotation_spans(doc, annotations)[0]
        label = [[doc.tokens[s][0], doc.tokens[e - 1][1], name] for s, e, name in spans]
        record: dict[str, Any] = {}
        shaped = _entities_shape(doc.record, label, annotations is None) \
            if isinstance(doc.record.get("entities"), list) and "label" not in doc.record else {}
        for key, value in doc.record.items():
            if key in shaped:
                record[key] = shaped[key]
            elif key in ("label", "entities"):
                record.setdefault("label", label)
            elif key == "text":
                record["text"] = doc.text
            elif key not in _NERPIPE_FIELDS and not (key in ("meta", "conll") and not isinstance(item, Doc)):
                record[key] = value
        record.setdefault("text", doc.text)
        if not shaped:
            record.setdefault("label", label)
        return json.dumps(record, ensure_ascii=False) + "\n"


def _entities_shape(record: Mapping[str, Any], label: list[list], own: bool = True) -> dict[str, Any]:
    """The ``entities`` (and ``relations``) of ``record`` for the entities ``label`` (``[start,
    end, name]``): one at a read entity's offsets keeps its id and fields; the rest take
    new ids; relations keep to the entities still there."""
    read = [e for e in record["entities"] if isinstance(e, dict)]
    ids: list[int] = [e["id"] for e in read if is_int(e.get("id"))]
    fresh = max(ids, default=0) + 1
    # each entity written takes the read one at its offsets, else (``own``: the record's own entities,
    # convert) one of its label it overlaps (moved to token boundaries by --align), each read one taken once
    left = list(read)
    matched: list[dict | None] = []
    for start, end, _ in label:
        same = next((e for e in left if (e.get("start_offset"), e.get("end_offset")) == (start, end)), None)
        matched.append(same)
        if same is not None:
            left.remove(same)
    for k, (start, end, name) in enumerate(label):
        if matched[k] is None and own:
            near = next((e for e in left if _offset(e.get("start_offset")) and _offset(e.get("end_offset"))
                         and e["start_offset"] < end and start < e["end_offset"] and e.get("label") == name), None)
            if near is not None:
                matched[k] = near
                left.remove(near)
    entities = []
    for (start, end, name), was in zip(label, matched):
        entity = dict(was) if was is not None else {"id": fresh}
        if was is None:
            fresh += 1
        entity.update(start_offset=start, end_offset=end, label=name)
        entities.append(entity)
    out: dict[str, Any] = {"entities": entities}
    if isinstance(record.get("relations"), list):
        kept = {e.get("id") for e in entities}
        out["relations"] = [r for r in record["relations"]
                            if not isinstance(r, dict) or (r.get("from_id") in kept and r.get("to_id") in kept)]
    return out
