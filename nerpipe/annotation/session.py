"""An annotation session: the records to correct, the decisions taken, and the file
they go to, kept so that nothing is ever lost (no torch).

Each decision is one line of nerpipe JSONL in the output file: the record with every
field it came with, its ``text`` and ``tokens``, the person's entities in ``spans``, the
``answer`` (``accept``, ``reject`` or ``ignore`` for a skipped record, as Prodigy names
them) and ``_index`` and ``_hash`` (the record's place in the input and a hash of its
text), which tie the line to its record when a session starts again.

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
from ..formats.doc import Doc
from ..formats.jsonl import doc_to_json

ANSWERS = ("accept", "reject", "ignore")


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class Session:
    """``docs``: the records, each with the spans to start from (pre-annotations) as its
    ``spans``; ``path``: the output file (JSONL), read first to continue where it stopped."""

    def __init__(self, docs: Sequence[Doc], path: str, labels: Sequence[str]):
        if not labels:
            raise UsageError("no labels to annotate with: give them with --labels PER,ORG,...")
        self.docs = list(docs)
        self.path = Path(path)
        self.labels = list(labels)
        self.hashes = [text_hash(doc.text) for doc in self.docs]
        self.lines: dict[int, str] = {}  # index -> its line in the output
        self.answers: dict[int, str] = {}
        self.spans: dict[int, list[tuple[int, int, str]]] = {}  # the person's, by index
        self._lock = threading.Lock()
        self._held = self._lock_file()
        self._load()

    def _lock_file(self):
        import fcntl

        lock = open(self.path.with_name(self.path.name + ".lock"), "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            raise UsageError(f"{self.path} is being written by another nerpipe annotate; stop that one first") from None
        return lock

    def close(self) -> None:
        self._held.close()
        Path(self._held.name).unlink(missing_ok=True)

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
                index, digest, answer = record["_index"], record["_hash"], record["answer"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise NerpipeError("not a line nerpipe annotate wrote (it has no _index, _hash and answer): give another "
                                   "output file", str(self.path), lineno) from None
            if not (isinstance(index, int) and 0 <= index < len(self.docs) and self.hashes[index] == digest):
                raise NerpipeError(f"this line is record {index} of another input (its text differs): give another output "
                                   "file, or the input it was made from", str(self.path), lineno)
            if index in self.lines:
                raise NerpipeError(f"record {index} is here twice", str(self.path), lineno)
            self.lines[index] = line
            self.answers[index] = answer
            self.spans[index] = [(s["token_start"], s["token_end"] + 1, s["label"]) for s in record.get("spans") or []]

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
        spans = self.spans.get(index, list(doc.spans or []))
        return {"index": index, "text": doc.text, "tokens": [list(t) for t in doc.tokens],
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
        record = dict(doc.record)
        record.update({"answer": answer, "_index": index, "_hash": self.hashes[index]})
        line = doc_to_json(replace(doc, record=record, spans=None), clean)
        with self._lock:
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
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with open(temporary, "w", encoding="utf-8") as f:
            f.writelines(self.lines[k] for k in sorted(self.lines))
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def _check(self, index: int) -> None:
        if not (isinstance(index, int) and 0 <= index < len(self.docs)):
            raise ValueError(f"expected a record index in 0..{len(self.docs) - 1}, got {index!r}")

    def _spans(self, doc: Doc, spans: Sequence[Sequence[Any]]) -> list[tuple[int, int, str]]:
        out: list[tuple[int, int, str]] = []
        for span in spans:
            if not (isinstance(span, (list, tuple)) and len(span) == 3 and all(isinstance(x, int) for x in span[:2])
                    and isinstance(span[2], str)):
                raise ValueError(f"expected [first token, end token, label], got {span!r}")
            first, end, label = span
            if not 0 <= first < end <= len(doc.tokens):
                raise ValueError(f"span {first}-{end} lies outside the record's {len(doc.tokens)} tokens")
            out.append((first, end, label))
        out.sort()
        for a, b in zip(out, out[1:]):
            if b[0] < a[1]:
                raise ValueError(f"spans {a} and {b} overlap")
        return out
