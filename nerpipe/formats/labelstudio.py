"""Label Studio tasks: its JSON export read, pre-annotations written (no torch).

A Label Studio export (``JSON``) is an array of tasks; each holds its text under
``data`` and the people's work under ``annotations``, a list of results per person:

    [{"id": 7, "data": {"text": "Angela Merkel met Macron."},
      "annotations": [{"id": 3, "was_cancelled": false, "updated_at": "2026-11-30T10:00:00Z",
                       "result": [{"from_name": "label", "to_name": "text", "type": "labels",
                                   "value": {"start": 0, "end": 13, "text": "Angela Merkel", "labels": ["PER"]}}]}]}]

Reading takes one annotation per task: the latest that was not cancelled (``first``:
the earliest; ``prediction``: the latest of ``predictions``, a model's pre-annotation);
a task with none has no gold spans. Its ``labels`` results become spans; every other
result (relations, choices) and field stays in the task. The text is ``data.text``, or
the field its results name (``to_name``), or ``data``'s only string, or the key given
(``--data-key``). JSON lines of tasks (``jq -c
'.[]'``) read the same way.

Label Studio counts offsets in UTF-16 code units, as JavaScript does, so after an emoji
its offsets run ahead of Python's characters. A result's ``text`` says which was meant;
both are read, and offsets are written in UTF-16 units.

Writing gives a JSON array of tasks that Label Studio imports: ``tag`` puts the model's
spans in ``predictions`` (with a score each and their mean), which a person then
corrects; ``convert`` puts a record's own spans in ``annotations``. A task read from
Label Studio goes back with every field it had. :func:`labeling_config` gives a
project's labeling config with the same names.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from ..errors import NerpipeError
from .doc import Doc, align_spans, annotation_spans, make_doc
from .jsonl import LABELSTUDIO_READ, as_doc, reject_lone_surrogates
from .source import BOM, OnError, Unreadable
from .writer import SCORE_DECIMALS, Writer

ANNOTATION_CHOICES = ("latest", "first", "prediction")
FROM_NAME, TO_NAME = "label", "text"  # the names of the config's <Labels> and <Text>
EXAMPLE = json.dumps([{"id": 7, "data": {"text": "Angela Merkel met Emmanuel Macron in Paris."}, "annotations": [
    {"id": 1, "was_cancelled": False, "result": [
        {"from_name": "label", "to_name": "text", "type": "labels", "value": {"start": s, "end": e, "text": t, "labels": [lab]}}
        for s, e, t, lab in ((0, 13, "Angela Merkel", "PER"), (18, 33, "Emmanuel Macron", "PER"), (37, 42, "Paris", "LOC"))]}]}],
    indent=1) + "\n"
_NOT_TASK = ('expected a Label Studio task, an object with "data" (other JSON records in an array: jq -c \'.[]\' FILE '
             "gives JSON lines, which -i jsonl reads)")


def is_task(record: Any) -> bool:
    return isinstance(record, dict) and isinstance(record.get("data"), dict) and "text" not in record


def parse_labelstudio(lines: Iterable[tuple[int, str]], name: str, annotation: str = "latest",
                      data_key: str | None = None, on_error: OnError | None = None, align: str = "strict") -> Iterator[Doc]:
    """The tasks of a JSON array (or of JSON values one after another), read whole:
    an export is one value. A bad task raises, or with ``on_error`` is reported and skipped."""
    numbered = [(lineno, raw) for lineno, raw in lines if not isinstance(raw, Unreadable)]
    if not numbered:
        return
    text = "".join(raw for _, raw in numbered)
    first_line = numbered[0][0]
    decoder = json.JSONDecoder()
    pos, line = 0, first_line  # line: the line of text[pos]

    def skip(start: int) -> int:
        """Past the white space from ``start``, counting its lines."""
        nonlocal line
        to = start
        while to < len(text) and text[to] in " \t\r\n" + BOM:
            to += 1
        line += text.count("\n", start, to)
        return to

    pos = skip(0)
    in_array = text.startswith("[", pos)
    if in_array:
        pos = skip(pos + 1)
    while pos < len(text):
        if in_array and text.startswith("]", pos):
            pos = skip(pos + 1)
            if pos < len(text):
                raise NerpipeError("unexpected text after the JSON array", name, line)
            return
        try:
            task, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as err:
            raise NerpipeError(f"invalid JSON: {err.msg}", name, first_line + err.lineno - 1) from None
        try:
            reject_lone_surrogates(text[pos:end], task, name, line)
            yield parse_task(task, name, line, annotation, data_key, align)
        except NerpipeError as err:
            if on_error is None:
                raise
            on_error(err)
        line += text.count("\n", pos, end)
        pos = skip(end)
        if in_array:
            if text.startswith(",", pos):
                pos = skip(pos + 1)
            elif pos < len(text) and not text.startswith("]", pos):
                raise NerpipeError("expected ',' or ']' after a task", name, line)
    if in_array:
        raise NerpipeError("the JSON array has no closing ']'", name, line)


def parse_task(task: Any, name: str, line: int, annotation: str = "latest", data_key: str | None = None,
               align: str = "strict") -> Doc:
    if not is_task(task):
        raise NerpipeError(_NOT_TASK, name, line)
    key = data_key or _text_key(task, name, line)
    text = task["data"].get(key)
    if not isinstance(text, str):
        raise NerpipeError(f'the task\'s data has no "{key}" string (its fields: {", ".join(task["data"]) or "none"})',
                           name, line)
    chosen, which = _choose(task, annotation, name, line)
    spans, names = None, (FROM_NAME, TO_NAME)
    if chosen is not None:
        spans = []
        for result in chosen.get("result") or []:
            if isinstance(result, dict) and result.get("type") == "labels":
                spans.append(_span(result, text, name, line))
                names = (result.get("from_name", FROM_NAME), result.get("to_name", TO_NAME))
    predicted = None  # the model's pre-annotation beside the people's, so that one export can be scored
    if annotation != "prediction":
        latest, _ = _choose(task, "prediction", name, line)
        if latest is not None:
            predicted = [_span(r, text, name, line) for r in latest.get("result") or []
                         if isinstance(r, dict) and r.get("type") == "labels"]
    known: dict[str, Any] = {"key": key, "read": which, "names": names, "predicted": predicted}
    extra = {"labelstudio": known}
    doc = make_doc(text, task, name, line, None, spans, None, align, extra=extra)
    if chosen is not None:  # each labels result's place in its list, by the tokens it covers (written back in place)
        places = [k for k, r in enumerate(chosen.get("result") or []) if isinstance(r, dict) and r.get("type") == "labels"]
        covered = [align_spans(text, doc.tokens, [span], align, name, line)[0][:2] for span in spans or []]
        known["results"] = list(zip(places, covered))
    return doc


def _text_key(task: Mapping[str, Any], name: str, line: int) -> str:
    """``text``; else the field its results name (``to_name``: templates call the <Text> as
    its field), else the only string field."""
    data = task["data"]
    if "text" in data:
        return "text"
    strings = [k for k, v in data.items() if isinstance(v, str)]
    named = {str(r.get("to_name")) for field in ("annotations", "predictions") for entry in task.get(field) or []
             if isinstance(entry, dict) for r in entry.get("result") or [] if isinstance(r, dict)}
    if len(strings) == 1 or len(named & set(strings)) == 1:
        return strings[0] if len(strings) == 1 else (named & set(strings)).pop()
    raise NerpipeError(f'the task\'s data has no "text" field; say which holds the text with --data-key (tag, convert, '
                       f'select, annotate; one of {", ".join(strings) or "none"})', name, line)


def _choose(task: Mapping[str, Any], annotation: str, name: str, line: int) -> tuple[dict | None, tuple[str, int] | None]:
    """The annotation (or prediction) to read, and where it is: ``("annotations", index)``."""
    field = "predictions" if annotation == "prediction" else "annotations"
    entries = task.get(field) or []
    if not isinstance(entries, list):
        raise NerpipeError(f'"{field}" must be a list', name, line)
    live = [(k, a) for k, a in enumerate(entries) if isinstance(a, dict) and not a.get("was_cancelled")]
    if not live:
        return None, None
    if annotation == "first":
        k, chosen = min(live, key=lambda ka: (_when(ka[1].get("created_at")), ka[0]))
    else:
        k, chosen = max(live, key=lambda ka: (_when(ka[1].get("updated_at") or ka[1].get("created_at")), ka[0]))
    return chosen, (field, k)


def _when(stamp: Any) -> float:
    """An ISO 8601 time as seconds, compared as times (not as strings: ``10:00:00Z`` is
    before ``10:00:00.1Z``, and ``11:00+02:00`` before ``10:00Z``); a time without a zone is
    UTC, as Label Studio writes it; one missing or unreadable comes before any other
    (ties go by the order in the task)."""
    if not isinstance(stamp, str):
        return -math.inf
    text = stamp.strip()
    if text[-1:] in ("Z", "z"):  # (Python 3.10's fromisoformat reads neither "Z" nor fractions of other than 3 or 6 digits)
        text = text[:-1] + "+00:00"
    text = re.sub(r"\.(\d+)", lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return -math.inf
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def _span(result: Mapping[str, Any], text: str, name: str, line: int) -> tuple[int, int, str]:
    value = result.get("value")
    if not isinstance(value, dict):
        raise NerpipeError(f'result {json.dumps(result)[:120]}: expected a "value" object', name, line)
    start, end, labels = value.get("start"), value.get("end"), value.get("labels")
    if not (isinstance(start, int) and isinstance(end, int) and isinstance(labels, list) and labels):
        raise NerpipeError(f'result {json.dumps(value)[:120]}: expected integer "start" and "end" and a "labels" list',
                           name, line)
    if len(labels) != 1 or not isinstance(labels[0], str):
        raise NerpipeError(f"the span {start}-{end} has {len(labels)} labels ({', '.join(map(str, labels))}); an entity "
                           "has one", name, line)
    said = value.get("text")
    if isinstance(said, str) and end <= len(text) and text[start:end] == said:
        return start, end, labels[0]  # characters (a tool other than Label Studio wrote it), or no astral character before
    units = _utf16_to_chars(text)
    if 0 <= start < end < len(units) and (not isinstance(said, str) or text[units[start]:units[end]] == said):
        return units[start], units[end], labels[0]
    raise NerpipeError(f"the span {start}-{end} ({labels[0]}) " + (f"says it holds {said!r}, but the text there is "
                       f"{text[start:end]!r}" if isinstance(said, str) else f"lies outside the text ({len(text)} characters)"),
                       name, line)


def _utf16_to_chars(text: str) -> list[int]:
    """For each UTF-16 offset into ``text``, the character offset (an astral character
    takes two units); one past the end included."""
    out = []
    for k, char in enumerate(text):
        out.append(k)
        if ord(char) > 0xFFFF:
            out.append(k)
    out.append(len(text))
    return out


def chars_to_utf16(text: str) -> list[int]:
    """For each character offset into ``text``, one past the end included, the UTF-16
    offset (what JavaScript's strings and Label Studio count)."""
    out, units = [], 0
    for char in text:
        out.append(units)
        units += 2 if ord(char) > 0xFFFF else 1
    out.append(units)
    return out


def labeling_config(labels: Sequence[str], data_key: str = "text", from_name: str = FROM_NAME, to_name: str = TO_NAME) -> str:
    """A Label Studio labeling config for named entities of ``labels``, in ``-f html``'s colours."""
    from xml.sax.saxutils import quoteattr  # (imported here: nerpipe --help stays quick)

    from ..display import colour

    rows = "".join(f"    <Label value={quoteattr(label)} background={quoteattr(colour(label))}/>\n" for label in labels)
    return (f"<View>\n  <Labels name={quoteattr(from_name)} toName={quoteattr(to_name)}>\n{rows}  </Labels>\n"
            f"  <Text name={quoteattr(to_name)} value={quoteattr('$' + data_key)}/>\n</View>\n")


_JSONL_FIELDS = ("text", "tokens", "spans", "predicted_spans", LABELSTUDIO_READ)  # what nerpipe's JSONL adds to a task


_OTHER_FORMATS_FIELDS = ("label", "entities", "relations", "ner_tags", "conll")


def _carried(said: Any, task: Mapping[str, Any], text: str) -> dict[str, Any] | None:
    """``_labelstudio`` as the reader's knowledge of ``task`` (whose text is now ``text``);
    None where it does not fit the task (edited by hand, its text changed): the spans then
    go in as an annotation of their own."""
    try:
        field, k = said["read"]
        entries = task[field]
        known = {"read": (field, k), "key": str(said["key"]), "names": tuple(map(str, said["names"])),
                 "results": [(int(place), (int(covered[0]), int(covered[1]))) for place, covered in said["results"]]}
        results = entries[k].get("result") or [] if isinstance(entries[k], dict) else None
        if task["data"].get(known["key"]) == text and isinstance(results, list) and len(known["names"]) == 2 \
                and all(isinstance(r, dict) for r in results) \
                and all(0 <= place < len(results) and results[place].get("type") == "labels" for place, _ in known["results"]):
            return known
    except (KeyError, TypeError, ValueError, IndexError):
        pass
    return None


class LabelStudioWriter(Writer):
    """A JSON array of tasks, one a line: the model's spans as ``predictions`` (``tag``),
    or the record's own as ``annotations`` (``convert``)."""

    wants_scores = True
    separator = ",\n"

    def __init__(self, data_key: str | None = None, labels: Sequence[str] | None = None, config: str | None = None,
                 model_version: str = "nerpipe"):
        self.data_key = data_key
        self.labels = labels  # the labels the output can hold (tag: the model's); None: those written
        self.config = config  # where to write a labeling config at the end
        self.model_version = model_version
        self.seen: set[str] = set()  # the labels written
        self.names: Sequence[str] | None = None  # the first task's control names and data key, for the config
        self.key: str | None = None

    def observe(self, item) -> None:
        if self.names is None:
            doc = as_doc(item)
            if doc is not None:
                known, _ = self._known(doc)
                self.names = known["names"] if known else (FROM_NAME, TO_NAME)
                self.key = self.data_key or (known["key"] if known else None) or "text"

    def header(self) -> str:
        return "["

    def footer(self) -> str:
        if self.config is not None:
            labels = self.labels if self.labels is not None else sorted(self.seen)
            names = self.names or (FROM_NAME, TO_NAME)
            with open(self.config, "w", encoding="utf-8") as f:
                f.write(labeling_config(labels, self.key or self.data_key or "text", *names))
        return "]\n"

    def write(self, item, annotations) -> str:
        doc = as_doc(item)
        if doc is None:
            return ""
        known, record = self._known(doc)
        names = known["names"] if known else (FROM_NAME, TO_NAME)
        if annotations is None:
            spans, scores = list(doc.spans or []), None
        else:
            spans, given = annotation_spans(doc, annotations)
            scores = [1.0 if s is None else s for s in given]
        self.seen.update(label for *_, label in spans)
        self.observe(item)
        results = _results(doc, spans, scores, names)
        task = self._task(doc, record, known)
        if annotations is not None:
            mean = sum(scores) / len(scores) if scores else 1.0
            task["predictions"] = [{"model_version": self.model_version, "score": round(mean, SCORE_DECIMALS),
                                    "result": results}]
        elif known and known["read"] is not None:
            field, k = known["read"]
            entries = [dict(e) for e in task[field]]
            entries[k]["result"] = _in_place(entries[k].get("result") or [], known.get("results") or [], spans, results)
            task[field] = entries
        elif doc.spans is not None:
            # after the task's own annotations, if it has any (a task whose JSONL no longer says which it was)
            before = task.get("annotations")
            task["annotations"] = [*(before if isinstance(before, list) else []), {"result": results}]
        return json.dumps(task, ensure_ascii=False)

    def _known(self, doc: Doc) -> tuple[Mapping[str, Any] | None, Mapping[str, Any]]:
        """What the Label Studio reader knew of the record's task, and the record. A task
        carried through JSONL (``convert --to jsonl``) says it in ``_labelstudio`` (which
        annotation its spans are, where their results lie): it is written back as the task
        it was, its annotation edited in place, not nested in a new task."""
        known = doc.extra.get("labelstudio")
        data = doc.record.get("data")
        if known is None and isinstance(data, dict) and (
                LABELSTUDIO_READ in doc.record or doc.text in data.values()):  # a task carried through JSONL
            # (another tool's fields of a record that has a "data" field are no task's: doccano's, hf's, CoNLL's)
            task = {k: v for k, v in doc.record.items() if k not in _JSONL_FIELDS and k not in _OTHER_FORMATS_FIELDS}
            return _carried(doc.record.get(LABELSTUDIO_READ), task, doc.text), task
        return known, doc.record

    def _task(self, doc: Doc, record: Mapping[str, Any], known: Mapping[str, Any] | None) -> dict[str, Any]:
        if known or (record is not doc.record):  # a task (read, or carried through JSONL): as it was, its text the record's
            task = dict(record)
            key = self.data_key or (known["key"] if known else _key_of(task))
            task["data"] = {**task["data"], key: doc.text}
            return task
        data: dict[str, Any] = {self.data_key or "text": doc.text}
        task = {"data": data}
        for key, value in record.items():
            if key == "meta" or (key == "id" and isinstance(value, int) and not isinstance(value, bool)):
                task[key] = value  # (Label Studio's task ids are integers: another id goes into data)
            elif key not in ("text", "tokens", "spans", "predicted_spans", "conll", "label", "entities", "ner_tags"):
                data.setdefault(key, value)  # the record's other fields, shown in Label Studio as $key
        return task


def _key_of(task: Mapping[str, Any]) -> str:
    """The data field that holds a task's text, as the reader finds it; else ``text``."""
    try:
        return _text_key(task, "-", 0)
    except NerpipeError:
        return "text"


def _in_place(old: list, places: Sequence, spans: Sequence[tuple[int, int, str]], fresh: list[dict]) -> list:
    """A result list as read with each labels result's label as it is now (its id, place
    and every other field kept); one whose entity is gone (a --map that drops its type) is
    left out, an entity it lacked added at the end."""
    now = {(s, e): (label, k) for k, (s, e, label) in enumerate(spans)}
    out, used = list(old), set()
    for place, covered in places:
        found = now.get(tuple(covered))
        if found is None:
            out[place] = None
            continue
        label, k = found
        used.add(k)
        result = dict(out[place])
        result["value"] = {**result["value"], "labels": [label]}
        out[place] = result
    return [r for r in out if r is not None] + [r for k, r in enumerate(fresh) if k not in used]


def _results(doc: Doc, spans: Sequence[tuple[int, int, str]], scores: Sequence[float] | None,
             names: Sequence[str]) -> list[dict[str, Any]]:
    units = chars_to_utf16(doc.text)
    out = []
    for k, (first, end, label) in enumerate(spans):
        start, stop = doc.tokens[first][0], doc.tokens[end - 1][1]
        value: dict[str, Any] = {"start": units[start], "end": units[stop], "text": doc.text[start:stop], "labels": [label]}
        result: dict[str, Any] = {"id": f"nerpipe-{k}", "from_name": names[0], "to_name": names[1], "type": "labels",
                                  "value": value}
        if scores is not None:
            result["score"] = round(float(scores[k]), SCORE_DECIMALS)
        out.append(result)
    return out
