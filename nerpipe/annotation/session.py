"""An annotation session: the records to correct, the decisions taken, and the file
they go to, kept so that nothing is ever lost (no torch).

Each decision is one line of nerpipe JSONL in the output file: the record with every
field it came with (but those that held its entities before: ``predicted_spans``,
doccano's ``label``, ...), its ``text`` and ``tokens``, the person's entities in
``spans``, the ``answer`` (``accept``, ``reject`` or ``ignore`` for a skipped record, as
Prodigy names them), ``_labels`` (the types the person was offered: train's
--keep-types adds the others there), and ``_batch``, ``_index`` and ``_hash`` (the input it came from,
its place there and a hash of its text), which tie the line to its record when a
session starts again. Lines of other inputs (earlier rounds) are kept as they are, so
one file gathers every round's decisions.

A first decision on a record is appended and flushed to disk (``fsync``) before it is
acknowledged; a changed one (the person went back) rewrites the file into a new one
that replaces the old in one step (``os.replace``), so the file never holds a record
twice and a crash leaves the old file or the new, never half of one. One session writes
a file at a time: a second one on the same file is refused (an ``fcntl`` lock), and
decisions from two pages on one session are taken one after another.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import NerpipeError, UsageError
from ..files import rename_target
from ..formats.doc import Doc
from ..formats.jsonl import doc_to_json, is_int
from ..formats.labelstudio import chars_to_utf16

ANSWERS = ("accept", "reject", "ignore")
# a record's fields that held its entities before the person's: not written beside the corrected spans
SUPERSEDED = ("predicted_spans", "label", "entities", "ents", "ner_tags", "annotations", "predictions")


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class Session:
    """``docs``: the records, each with the spans to start from (pre-annotations) as its
    ``spans``; ``path``: the output file (JSONL), read first to continue where it stopped."""

    def __init__(self, docs: Sequence[Doc], path: str, labels: Sequence[str]):
        if not labels:
            raise UsageError("no labels to annotate with: give them with --labels PER,ORG,...")
        self.docs = list(docs)
        rename_target(path, "-o")  # a correction rewrites the file by renaming: refused now, not then
        self.path = Path(path)
        self.labels = list(labels)
        self.hashes = [text_hash(doc.text) for doc in self.docs]
        self.batch = text_hash("\x1e".join(self.hashes))  # this input, among the rounds a file may gather
        self.others: list[str] = []  # lines of other inputs, kept as they are
        self.lines: dict[int, str] = {}  # index -> its line in the output
        self.answers: dict[int, str] = {}
        self.spans: dict[int, list[tuple[int, int, str]]] = {}  # the person's, by index
        self._lock = threading.Lock()
        self._closed = False
        self._held = self._lock_file()
        try:
            self._load()
        except BaseException:
            self.close()  # no lock file left behind by a session that never started
            raise

    def _lock_file(self):
        import fcntl

        try:
            lock = open(self.path.with_name(self.path.name + ".lock"), "w")
        except OSError as err:
            raise UsageError(f"-o {self.path}: {err.strerror} (the folder must exist and be writable)") from None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            raise UsageError(f"{self.path} is being written by another nerpipe annotate; stop that one first") from None
        return lock

    def close(self) -> None:
        """Release the file (its lock file removed) once any decision being written is on
        disk; a request that comes later is refused, not half written."""
        with self._lock:
            if self._closed:
                return  # (a second close must not remove a lock file another session holds now)
            self._closed = True
            Path(self._held.name).unlink(missing_ok=True)  # before the lock goes: no other session in between
            self._held.close()

    def _load(self) -> None:
        """The decisions already in the output file (a session that stopped, or crashed)."""
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as f:
            text = f.read()
        ended = text.endswith("\n")
        rows = text.splitlines(keepends=True)
        for lineno, line in enumerate(rows, 1):
            if not line.strip():
                continue
            if lineno == len(rows) and not ended:
                # a line cut short by a crash mid-write: not acknowledged, so not a decision
                raise NerpipeError("the last line is incomplete (a crash while writing?): remove it and start again",
                                   str(self.path), lineno)
            try:
                record = json.loads(line)
                batch, index, digest, answer = record["_batch"], record["_index"], record["_hash"], record["answer"]
                spans = [(s["token_start"], s["token_end"] + 1, s["label"]) for s in record.get("spans") or []]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise NerpipeError("not a line nerpipe annotate wrote (it needs _batch, _index, _hash, answer and spans "
                                   "with token_start and token_end): give another output file", str(self.path), lineno) from None
            if answer not in ANSWERS:
                raise NerpipeError(f'answer {answer!r}: expected one of {", ".join(ANSWERS)}', str(self.path), lineno)
            if batch != self.batch:
                self.others.append(line if line.endswith("\n") else line + "\n")  # an earlier round's: kept
                continue
            if not (is_int(index) and 0 <= index < len(self.docs) and self.hashes[index] == digest):
                raise NerpipeError(f"record {index} of this input has another text here (was the input changed?)",
                                   str(self.path), lineno)
            if index in self.lines:
                raise NerpipeError(f"record {index} is here twice", str(self.path), lineno)
            self.lines[index] = line
            self.answers[index] = answer
            self.spans[index] = spans

    # ------------------------------------------------------------------ what the page asks

    def progress(self) -> dict[str, int]:
        return {"done": len(self.answers), "left": len(self.docs) - len(self.answers), "total": len(self.docs)}

    def first_open(self, after: int = -1) -> int | None:
        """The first record after ``after`` without a decision (wrapping round), or None."""
        n = len(self.docs)
        for k in range(1, n + 1):
            index = (after + k) % n
            if index not in self.answers:
                return index
        return None

    def record(self, index: int) -> dict[str, Any]:
        self._check(index)
        doc = self.docs[index]
        spans = self.spans.get(index, [s for s in doc.spans or [] if s[2] in self.labels])  # (--labels: only those)
        units = chars_to_utf16(doc.text)  # the page slices the text as JavaScript counts: in UTF-16 units
        return {"index": index, "text": doc.text, "tokens": [[units[a], units[b]] for a, b in doc.tokens],
                "spans": [list(s) for s in spans], "answer": self.answers.get(index), "source": f"{doc.path}:{doc.line}",
                **self.progress()}

    def decide(self, index: int, answer: str, spans: Sequence[Sequence[Any]]) -> dict[str, Any]:
        """Record the person's ``answer`` and entities (token spans, end exclusive) for
        record ``index``, on disk before this returns."""
        self._check(index)
        if answer not in ANSWERS:
            raise ValueError(f"expected an answer of {', '.join(ANSWERS)}, got {answer!r}")
        doc = self.docs[index]
        clean = self._spans(doc, spans)
        record = {k: v for k, v in doc.record.items() if k not in SUPERSEDED}
        record.update({"answer": answer, "_labels": self.labels, "_batch": self.batch, "_index": index,
                       "_hash": self.hashes[index]})
        line = doc_to_json(replace(doc, record=record, spans=None), clean)
        with self._lock:
            if self._closed:
                raise OSError("the session has stopped")
            if index in self.lines:
                self.lines[index] = line
                self._rewrite()
            else:
                with open(self.path, "a", encoding="utf-8") as f:
                    f.write(line)
                    f.flush()
                    os.fsync(f.fileno())
                self.lines[index] = line
            self.answers[index] = answer
            self.spans[index] = clean
        return {"next": self.first_open(index), **self.progress()}

    def _rewrite(self) -> None:
        target = rename_target(self.path, "-o")  # the file a link points to; never a device or pipe
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with open(temporary, "w", encoding="utf-8") as f:
            f.writelines(self.others)
            f.writelines(self.lines[k] for k in sorted(self.lines))
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, target)
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def _check(self, index: int) -> None:
        if not (is_int(index) and 0 <= index < len(self.docs)):
            raise ValueError(f"expected a record index in 0..{len(self.docs) - 1}, got {index!r}")

    def _spans(self, doc: Doc, spans: Sequence[Sequence[Any]]) -> list[tuple[int, int, str]]:
        out: list[tuple[int, int, str]] = []
        for span in spans:
            if not (isinstance(span, (list, tuple)) and len(span) == 3 and all(is_int(x) for x in span[:2])
                    and isinstance(span[2], str)):
                raise ValueError(f"expected [first token, end token, label], got {span!r}")
            first, end, label = span
            if label not in self.labels:
                raise ValueError(f"label {label!r} is not one of this session's: {', '.join(self.labels)}")
            if end <= first:
                raise ValueError(f"span {first}-{end} ends before it starts (expected [first token, end token, label], "
                                 "the end one past the last token)")
            if not 0 <= first < end <= len(doc.tokens):
                raise ValueError(f"span {first}-{end} lies outside the record's {len(doc.tokens)} tokens")
            out.append((first, end, label))
        out.sort()
        for a, b in zip(out, out[1:]):
            if b[0] < a[1]:
                raise ValueError(f"spans {a} and {b} overlap")
        return out
