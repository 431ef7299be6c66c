"""Entity-level precision, recall and F1, exactly as conlleval computes them (no torch).

conlleval (the CoNLL-2000 shared task's Perl script) decides where chunks start and
end with two rule tables; :func:`conlleval_chunks` applies those rules to a tag
sequence, so ill-formed sequences score as they do there. One deliberate
difference: the type of ``B-creative-work`` is ``creative-work`` (everything after
the first hyphen, as in the Python port of conlleval), where the Perl script keeps
only ``creative``. ``-DOCSTART-`` lines are document boundaries, never tokens.

Zero-division policy (conlleval's): precision is 0 when nothing was predicted,
recall is 0 when there is no gold entity, F1 is 0 when both are 0.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import NerpipeError, UsageError
from .schemes import Scheme, convert_tags, split_tag

if TYPE_CHECKING:  # the error analysis is imported when asked for: `nerpipe --help` stays quick
    from .analysis import ErrorAnalysis, ErrorAnalyzer
    from .formats import Sentence

Chunk = tuple[int, int, str]


def harmonic_mean(precision: float, recall: float) -> float:
    """F1 of a precision and a recall (in any one unit), 0 when both are 0."""
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def _chunk_end(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    """conlleval's endOfChunk: does a chunk end between the previous token and this one?"""
    if prev_tag in ("B", "I") and tag in ("B", "O"):
        return True
    if prev_tag == "E" and tag in ("E", "I", "O"):
        return True
    if prev_tag not in ("O", ".") and prev_type != type_:
        return True
    return prev_tag in ("[", "]")


def _chunk_start(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    """conlleval's startOfChunk: does a chunk start at this token?"""
    if tag == "B" and prev_tag in ("B", "I", "O"):
        return True
    if tag == "I" and prev_tag in ("O", "E"):
        return True
    if tag == "E" and prev_tag in ("E", "O"):
        return True
    if tag not in ("O", ".") and prev_type != type_:
        return True
    return tag in ("[", "]")


def conlleval_chunks(tags: Sequence[str]) -> list[Chunk]:
    """The chunks conlleval sees in one sentence, as ``(start, end, type)``."""
    chunks: list[Chunk] = []
    prev_tag, prev_type = "O", ""
    open_start = -1
    for i, full in enumerate(tags):
        tag, type_ = split_tag(full)
        if open_start >= 0 and _chunk_end(prev_tag, tag, prev_type, type_):
            chunks.append((open_start, i, prev_type))
            open_start = -1
        if _chunk_start(prev_tag, tag, prev_type, type_):
            open_start = i
        prev_tag, prev_type = tag, type_
    if open_start >= 0:
        chunks.append((open_start, len(tags), prev_type))
    return chunks


@dataclass
class TypeScore:
    gold: int = 0  # gold entities (support)
    predicted: int = 0
    correct: int = 0

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.gold if self.gold else 0.0

    def percentages(self) -> tuple[float, float, float]:
        """Precision, recall and F1 in percent, computed in conlleval's order."""
        p = 100 * self.correct / self.predicted if self.predicted else 0.0
        r = 100 * self.correct / self.gold if self.gold else 0.0
        return p, r, harmonic_mean(p, r)

    @property
    def f1(self) -> float:
        return self.percentages()[2] / 100

    def as_dict(self) -> dict:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "support": self.gold,
            "predicted": self.predicted,
            "correct": self.correct,
        }


@dataclass
class Score:
    """Counts over a corpus; every figure derives from them."""

    mode: str = "conlleval"
    tokens: int = 0
    correct_tags: int = 0
    overall: TypeScore = field(default_factory=TypeScore)
    types: dict[str, TypeScore] = field(default_factory=dict)
    errors: ErrorAnalysis | None = None  # filled when error analysis was asked for
    notes: list[str] = field(default_factory=list)  # what reading the inputs found suspect (see warnings())

    def add(self, gold: Sequence[str], pred: Sequence[str], gold_chunks: Iterable[Chunk], pred_chunks: Iterable[Chunk]) -> None:
        self.tokens += len(gold)
        self.correct_tags += sum(g == p for g, p in zip(gold, pred))
        gold_set, pred_set = set(gold_chunks), set(pred_chunks)
        for chunks, attr in ((gold_set, "gold"), (pred_set, "predicted"), (gold_set & pred_set, "correct")):
            for _, _, label in chunks:
                setattr(self.overall, attr, getattr(self.overall, attr) + 1)
                ts = self.types.setdefault(label, TypeScore())
                setattr(ts, attr, getattr(ts, attr) + 1)

    @property
    def accuracy(self) -> float:
        return self.correct_tags / self.tokens if self.tokens else 0.0

    def warnings(self) -> list[str]:
        """What makes these figures look wrong for a reason other than the tagger: no
        sentence at all, gold without an entity, gold and predicted types that never meet
        (columns or label names mixed up), and what reading the inputs noted (``notes``)."""
        if self.tokens == 0:
            return ["nothing to score: the input holds no sentences"]
        out = list(self.notes)
        if self.overall.gold == 0:
            out.append(f"the gold data holds no entity in {self.tokens} tokens, so recall and F1 are 0 whatever was "
                       "predicted: is it the gold file, and the right column?")
        gold = sorted(label for label, t in self.types.items() if t.gold)
        predicted = sorted(label for label, t in self.types.items() if t.predicted)
        if gold and predicted and not set(gold) & set(predicted):
            out.append(f"no predicted entity type is a gold one (gold: {', '.join(gold[:8])}; predicted: "
                       f"{', '.join(predicted[:8])}): are the right columns compared (one CoNLL file: its last two; two: "
                       "--gold-col and --pred-col), and are the labels named alike?"
                       + (" (OntoNotes names: --map ontonotes-conll)" if {"PERSON", "GPE", "NORP"} & set(gold + predicted) else ""))
        return out

    @property
    def macro_f1(self) -> float:
        return sum(t.f1 for t in self.types.values()) / len(self.types) if self.types else 0.0

    def as_dict(self) -> dict:
        data = {
            "mode": self.mode,
            "precision": self.overall.precision,
            "recall": self.overall.recall,
            "f1": self.overall.f1,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "tokens": self.tokens,
            "support": self.overall.gold,
            "predicted": self.overall.predicted,
            "correct": self.overall.correct,
            "types": {label: self.types[label].as_dict() for label in sorted(self.types)},
        }
        if self.errors is not None:
            data["errors"] = self.errors.as_dict()
        return data

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2)

    def conlleval_report(self) -> str:
        """conlleval's own report, line for line (see :mod:`nerpipe.report`)."""
        from .report import conlleval_text

        return conlleval_text(self)


# --------------------------------------------------------------------------- sentences of tags


def _strict_chunks(sentences: list[list[str]], scheme: Scheme) -> list[list[Chunk]]:
    from seqeval.scheme import BILOU, IOB1, IOB2, IOBES, Entities

    seqeval_scheme = {Scheme.IOB1: IOB1, Scheme.IOB2: IOB2, Scheme.IOBES: IOBES, Scheme.BILOU: BILOU}.get(scheme)
    if seqeval_scheme is None:
        raise NerpipeError(f"--strict: seqeval has no strict mode for {scheme.value}")
    per_sentence: list[list[Chunk]] = [[] for _ in sentences]
    for entity in Entities(sentences, seqeval_scheme).entities:
        for e in entity:
            per_sentence[e.sent_id].append((e.start, e.end, e.tag))
    return per_sentence


def score_pairs(pairs: Iterable[tuple[Sequence[str], Sequence[str]]], strict: bool = False, scheme: Scheme | None = None) -> Score:
    """Score ``(gold_tags, pred_tags)`` sentence pairs.

    By default chunks are conlleval's. With ``scheme`` (and not ``strict``), both
    sides are first rewritten from that scheme into IOB2, which is the right way to
    score IOBES or BILOU output with conlleval's rules. ``strict`` uses seqeval's
    strict mode for ``scheme`` (a :class:`Scheme` or its name): an entity counts only if
    well formed. A pair whose two sides differ in length, or hold something other than
    tag strings, is a ValueError naming it.
    """
    if isinstance(scheme, str):
        scheme = Scheme.parse(scheme)
    return score_items((_checked_pair(k, pair) for k, pair in enumerate(pairs)), strict, scheme)


def _checked_pair(k: int, pair) -> tuple[Sequence[str], Sequence[str], None]:
    try:
        gold, pred = pair
    except (TypeError, ValueError):
        raise ValueError(f"pair {k}: expected (gold tags, predicted tags), got {type(pair).__name__} {pair!r:.60}") from None
    for side, tags in (("gold", gold), ("predicted", pred)):
        if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):
            raise ValueError(f"pair {k}: the {side} tags must be a list of tag strings, got {tags!r:.60}")
    if len(gold) != len(pred):
        raise ValueError(f"pair {k}: {len(gold)} gold tags but {len(pred)} predicted: one tag per token on each side")
    return gold, pred, None


def score_items(items: Iterable[tuple[Sequence[str], Sequence[str], Sentence | None]], strict: bool, scheme: Scheme | None,
           analyzer: ErrorAnalyzer | None = None) -> Score:
    """:func:`score_pairs` over ``(gold_tags, pred_tags, sentence)``; ``analyzer`` (which
    needs the sentences) also gets each sentence's chunks."""
    if analyzer is not None:
        from .analysis import Example
    if strict:
        if scheme is None:
            raise UsageError("--strict needs --scheme iob1, iob2, iobes or bilou")
        items = list(items)
        golds, preds = [list(g) for g, _, _ in items], [list(p) for _, p, _ in items]
        score = Score(mode=f"strict {scheme.value if scheme else ''}".strip())
        chunked = zip(golds, preds, _strict_chunks(golds, scheme), _strict_chunks(preds, scheme), (s for _, _, s in items))
    else:
        score = Score(mode="conlleval" if scheme is None else f"conlleval after {scheme.value}->iob2")
        chunked = _conlleval_chunked(items, scheme)
    for gold, pred, gold_chunks, pred_chunks, sentence in chunked:
        score.add(gold, pred, gold_chunks, pred_chunks)
        if analyzer is not None:
            assert sentence is not None, "error analysis needs the sentences"
            analyzer.add(Example.from_tokens(sentence.tokens, gold_chunks, pred_chunks, where=f"{sentence.path}:{sentence.line}"))
    return score


def _conlleval_chunked(items, scheme: Scheme | None):
    for gold, pred, sentence in items:
        if scheme is not None:
            gold, pred = convert_tags(gold, Scheme.IOB2), convert_tags(pred, Scheme.IOB2)
        yield gold, pred, conlleval_chunks(gold), conlleval_chunks(pred), sentence
