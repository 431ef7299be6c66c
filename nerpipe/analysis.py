"""Where entity predictions go wrong: SemEval-2013 task 9.1 error categories, a type
confusion table, the most frequent errors and the calibration of span scores (no torch).

The input is one :class:`Example` per sentence (or JSONL record): gold and predicted
spans ``(start, end, label)``, end exclusive, over token positions (CoNLL, where they
are conlleval's chunks) or over characters (JSONL). :class:`ErrorAnalyzer` takes them
one at a time, so a stream is read once, and gives a frozen :class:`ErrorAnalysis`.

Pairing (:func:`pair_entities`). Within an example, every gold entity pairs with at
most one predicted entity and every prediction with at most one gold entity; two can
pair only when their spans share at least one token (JSONL: character). A pair is

- ``correct``: the same span and the same type;
- ``wrong_type``: the same span, another type;
- ``wrong_boundary``: overlapping but different spans, the same type;
- ``wrong_both``: overlapping but different spans, another type;

and an entity left unpaired is ``missed`` (gold) or ``spurious`` (predicted). Pairs
are taken greedily, best first: by category in the order above, then by the larger
overlap, then the leftmost gold entity, then the leftmost prediction. So a gold entity
overlapped by several predictions pairs with the best of them and the others are
spurious; a prediction overlapping several gold entities pairs with the best of them
and the others are missed. Hence each gold entity counts once (correct + wrong_type +
wrong_boundary + wrong_both + missed = gold entities: nervaluate's POS), each
prediction counts once (... + spurious = predictions: ACT), and ``correct`` is exactly
conlleval's correct count. nervaluate (>= 1.2) counts the same whenever no entity
overlaps two on the other side; where one does, it takes the predictions in order,
each pairing with the first free gold entity it overlaps, separately for each scheme.
Identical spans (same start, end and label) given twice count once, as in conlleval.

Schemes (SemEval-2013 9.1, nervaluate's names): precision is credit / predictions,
recall credit / gold entities, F1 their harmonic mean (0 when both are 0), where the
credit of a pair is

- ``strict``: 1 for correct;
- ``exact`` (the span is right): 1 for correct and wrong_type;
- ``partial``: 1 for correct and wrong_type, 0.5 for wrong_boundary and wrong_both;
- ``ent_type`` (the type is right, the spans overlap): 1 for correct and wrong_boundary.

Per type, recall credits each pair to its gold entity's type and precision to its
prediction's type, as conlleval's table does: a PER entity predicted as ORG with the
right span lowers PER's strict recall and ORG's strict precision, and counts for both
under ``exact``. (nervaluate's per-type figures compare only the entities of that type
on both sides, so a wrong type is a miss and a spurious entity there.)

Calibration, when every prediction carries a score: a prediction is right when its
pair is ``correct`` (strict). The expected calibration error (ECE) is the mean of
|precision - mean score| over equal-width score bins ([0, 0.1), ..., [0.9, 1]),
weighted by each bin's share of the predictions. Thresholds keep the predictions
scoring at least t, as ``nerpipe tag --min-score t`` does.
"""

from __future__ import annotations

import bisect
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate

from .scoring import harmonic_mean

Span = tuple[int, int, str]  # (start, end, label), end exclusive

PAIR_CATEGORIES = ("correct", "wrong_type", "wrong_boundary", "wrong_both")
CATEGORIES = (*PAIR_CATEGORIES, "missed", "spurious")
SCHEMES = ("strict", "exact", "partial", "ent_type")
_RANK = {name: i for i, name in enumerate(PAIR_CATEGORIES)}
_CREDIT = {
    "strict": {"correct": 1.0},
    "exact": {"correct": 1.0, "wrong_type": 1.0},
    "partial": {"correct": 1.0, "wrong_type": 1.0, "wrong_boundary": 0.5, "wrong_both": 0.5},
    "ent_type": {"correct": 1.0, "wrong_boundary": 1.0},
}
THRESHOLDS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
TARGETS = (0.8, 0.9, 0.95, 0.99)


# --------------------------------------------------------------------------- pairing


@dataclass(frozen=True)
class Pair:
    """A gold entity and the prediction it pairs with; one side is None when missed or spurious."""

    category: str
    gold: Span | None
    pred: Span | None
    score: float | None = None  # the prediction's score, when it has one


def category(gold: Span, pred: Span) -> str:
    """The category of two overlapping entities (see the module docstring)."""
    same_type = gold[2] == pred[2]
    if gold[0] == pred[0] and gold[1] == pred[1]:
        return "correct" if same_type else "wrong_type"
    return "wrong_boundary" if same_type else "wrong_both"


def pair_entities(gold: Sequence[Span], pred: Sequence[Span], scores: Sequence[float] | None = None) -> list[Pair]:
    """Pair one example's gold and predicted entities (rules in the module docstring).

    Returns every gold and every predicted entity in exactly one :class:`Pair`, in
    order of position. ``scores``, when given, has one score per entry of ``pred``.
    """
    if scores is not None and len(scores) != len(pred):
        raise ValueError(f"expected one score per predicted span ({len(pred)}), got {len(scores)}")
    golds = sorted(set(gold))
    score_of: dict[Span, float | None] = {}
    for k, p in enumerate(pred):
        score_of.setdefault(p, scores[k] if scores is not None else None)
    preds = sorted(score_of)
    starts = [p[0] for p in preds]
    reach = list(accumulate((p[1] for p in preds), max))  # the furthest end among preds[: k + 1]
    candidates = []
    for g in golds:
        k = bisect.bisect_left(starts, g[1]) - 1  # the last prediction starting before g ends
        while k >= 0 and reach[k] > g[0]:
            p = preds[k]
            overlap = min(g[1], p[1]) - max(g[0], p[0])
            if overlap > 0:
                kind = category(g, p)
                candidates.append(((_RANK[kind], -overlap, g, p), kind))
            k -= 1
    candidates.sort()
    paired_gold: set[Span] = set()
    paired_pred: set[Span] = set()
    pairs = []
    for (_, _, g, p), kind in candidates:
        if g not in paired_gold and p not in paired_pred:
            paired_gold.add(g)
            paired_pred.add(p)
            pairs.append(Pair(kind, g, p, score_of[p]))
    pairs += [Pair("missed", g, None) for g in golds if g not in paired_gold]
    pairs += [Pair("spurious", None, p, score_of[p]) for p in preds if p not in paired_pred]
    return sorted(pairs, key=lambda x: (min(s[0] for s in (x.gold, x.pred) if s), _position(x)))


def _position(pair: Pair) -> tuple:
    return (pair.gold or (-1, -1, ""), pair.pred or (-1, -1, ""))


# --------------------------------------------------------------------------- input


@dataclass(frozen=True)
class Example:
    """One sentence (or JSONL record) to analyse.

    ``gold`` and ``pred`` are spans over ``offsets`` (the character offsets of tokens
    in ``text``) or, when ``offsets`` is None, over the characters of ``text``.
    ``scores`` has one score in [0, 1] per predicted span, or is None.
    ``where`` says where it came from (``file:line``).
    """

    text: str
    gold: Sequence[Span]
    pred: Sequence[Span]
    scores: Sequence[float] | None = None
    where: str = ""
    offsets: Sequence[tuple[int, int]] | None = None
    sources: Sequence[str | None] | None = None  # per predicted span: what found it ("model", "pattern"), when said

    @classmethod
    def from_tokens(cls, tokens: Sequence[str], gold: Sequence[Span], pred: Sequence[Span],
                    scores: Sequence[float] | None = None, where: str = "",
                    sources: Sequence[str | None] | None = None) -> Example:
        """An example over tokens, shown as the tokens joined by single spaces."""
        from .tokenize import joined_offsets

        return cls(" ".join(tokens), tuple(gold), tuple(pred), scores, where, tuple(joined_offsets(tokens)), sources)

    def char_span(self, span: Span) -> Span:
        """``span`` in characters of ``text``."""
        if self.offsets is None:
            return span
        return (self.offsets[span[0]][0], self.offsets[span[1] - 1][1], span[2])


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Figures:
    precision: float
    recall: float
    f1: float

    @classmethod
    def of(cls, precision_credit: float, predicted: int, recall_credit: float, gold: int) -> Figures:
        p = precision_credit / predicted if predicted else 0.0
        r = recall_credit / gold if gold else 0.0
        return cls(p, r, harmonic_mean(p, r))

    def as_dict(self) -> dict:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass(frozen=True)
class Categories:
    """How many entities fell in each category."""

    correct: int = 0
    wrong_type: int = 0
    wrong_boundary: int = 0
    wrong_both: int = 0
    missed: int = 0
    spurious: int = 0

    @property
    def pairs(self) -> int:
        return self.correct + self.wrong_type + self.wrong_boundary + self.wrong_both

    def credit(self, scheme: str) -> float:
        return sum(weight * getattr(self, name) for name, weight in _CREDIT[scheme].items())

    def scheme_counts(self, scheme: str) -> dict[str, int]:
        """nervaluate's counts under ``scheme``: COR, INC, PAR, MIS, SPU, POS and ACT."""
        full = [name for name, weight in _CREDIT[scheme].items() if weight == 1.0]
        half = [name for name, weight in _CREDIT[scheme].items() if weight == 0.5]
        correct = sum(getattr(self, n) for n in full)
        partial = sum(getattr(self, n) for n in half)
        incorrect = self.pairs - correct - partial
        return {"correct": correct, "incorrect": incorrect, "partial": partial, "missed": self.missed,
                "spurious": self.spurious, "possible": self.pairs + self.missed, "actual": self.pairs + self.spurious}

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in CATEGORIES}


@dataclass(frozen=True)
class TypeErrors:
    """One entity type's categories (or all types', with the same object on both sides).

    ``as_gold`` counts the pairs whose gold entity has this type, and the missed ones;
    ``as_pred`` the pairs whose prediction has this type, and the spurious ones.
    """

    as_gold: Categories
    as_pred: Categories

    @property
    def gold(self) -> int:
        return self.as_gold.pairs + self.as_gold.missed

    @property
    def predicted(self) -> int:
        return self.as_pred.pairs + self.as_pred.spurious

    def figures(self, scheme: str) -> Figures:
        return Figures.of(self.as_pred.credit(scheme), self.predicted, self.as_gold.credit(scheme), self.gold)

    def as_dict(self) -> dict:
        return {
            "gold": self.gold,
            "predicted": self.predicted,
            "as_gold": {k: v for k, v in self.as_gold.as_dict().items() if k != "spurious"},
            "as_predicted": {k: v for k, v in self.as_pred.as_dict().items() if k != "missed"},
            "schemes": {s: self.figures(s).as_dict() for s in SCHEMES},
        }


@dataclass(frozen=True)
class FrequentError:
    """One kind of error (category and surface strings), how often it happened, and an example.

    ``text`` is the example's sentence (cut around the error when long); ``gold_span``
    and ``pred_span`` are the two entities in characters of ``text``.
    """

    category: str
    gold: tuple[str, str] | None  # (surface text, label)
    pred: tuple[str, str] | None
    count: int
    text: str
    gold_span: Span | None
    pred_span: Span | None
    where: str

    def as_dict(self) -> dict:
        def side(s):
            return None if s is None else {"text": s[0], "label": s[1]}

        def span(s):
            return None if s is None else {"start": s[0], "end": s[1], "label": s[2]}

        return {"category": self.category, "count": self.count, "gold": side(self.gold), "predicted": side(self.pred),
                "example": {"text": self.text, "gold": span(self.gold_span), "predicted": span(self.pred_span),
                            "where": self.where}}


@dataclass(frozen=True)
class ScoreBin:
    low: float
    high: float
    count: int
    correct: int
    mean_score: float

    @property
    def precision(self) -> float:
        return self.correct / self.count if self.count else 0.0

    def as_dict(self) -> dict:
        return {"low": self.low, "high": self.high, "count": self.count, "correct": self.correct,
                "precision": self.precision, "mean_score": self.mean_score}


@dataclass(frozen=True)
class Threshold:
    """Strict figures over the predictions scoring at least ``threshold``."""

    threshold: float
    predicted: int
    correct: int
    gold: int

    @property
    def figures(self) -> Figures:
        return Figures.of(self.correct, self.predicted, self.correct, self.gold)

    def as_dict(self) -> dict:
        return {"threshold": self.threshold, "predicted": self.predicted, "correct": self.correct,
                **self.figures.as_dict()}


@dataclass(frozen=True)
class Calibration:
    """How well span scores predict strict correctness."""

    predictions: int
    ece: float
    bins: tuple[ScoreBin, ...]
    thresholds: tuple[Threshold, ...]
    targets: tuple[tuple[float, Threshold | None], ...]  # the lowest threshold reaching each precision, if any

    def as_dict(self) -> dict:
        return {"predictions": self.predictions, "ece": self.ece, "bins": [b.as_dict() for b in self.bins],
                "thresholds": [t.as_dict() for t in self.thresholds],
                "targets": [{"precision": p, "min_score": None if t is None else t.threshold,
                             **({} if t is None else {"achieved": t.as_dict()})} for p, t in self.targets]}


@dataclass(frozen=True)
class ErrorAnalysis:
    examples: int
    overall: TypeErrors
    types: dict[str, TypeErrors]
    confusion: dict[tuple[str | None, str | None], int]  # (gold type or None: spurious, predicted type or None: missed)
    frequent: tuple[FrequentError, ...]
    calibration: Calibration | None  # None unless every prediction had a score
    # predictions by what found them (JSONL "source": "model", "pattern"; "pattern:ID" counts as "pattern"),
    # when some prediction said; their categories as predicted (pairs and spurious)
    sources: dict[str, Categories] = field(default_factory=dict)
    labels: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(sorted(self.types)))

    def as_dict(self) -> dict:
        cats = self.overall.as_gold
        return {
            "pairing": "one-to-one, best category first, then larger overlap (SemEval-2013 9.1 categories)",
            "examples": self.examples,
            "categories": cats.as_dict(),
            "schemes": {s: {**cats.scheme_counts(s), **self.overall.figures(s).as_dict()} for s in SCHEMES},
            "types": {label: self.types[label].as_dict() for label in self.labels},
            "confusion": [{"gold": g, "predicted": p, "count": n} for (g, p), n in sorted(
                self.confusion.items(), key=lambda kv: (kv[0][0] is None, kv[0][0] or "", kv[0][1] is None, kv[0][1] or ""))],
            "frequent_errors": [e.as_dict() for e in self.frequent],
            "calibration": self.calibration.as_dict() if self.calibration else None,
            "sources": {source: cats.as_dict() for source, cats in sorted(self.sources.items())},
        }


# --------------------------------------------------------------------------- accumulation


class ErrorAnalyzer:
    """Adds up the pairs of a corpus, one :class:`Example` at a time.

    Memory: counts, one example per distinct error, and two numbers per scored
    prediction (for the calibration figures).
    """

    def __init__(self) -> None:
        self._as_gold: dict[str, Counter] = defaultdict(Counter)
        self._as_pred: dict[str, Counter] = defaultdict(Counter)
        self._confusion: Counter = Counter()
        self._errors: dict[tuple, list] = {}  # signature -> [count, first example]
        self._scores = array("d")
        self._right = bytearray()
        self._all_scored = True
        self._examples = 0
        self._by_source: dict[str, Counter] = defaultdict(Counter)
        self._sourced = False

    def add(self, example: Example) -> None:
        self._examples += 1
        if example.scores is None and example.pred:
            self._all_scored = False
        source_of: dict[Span, str] = {}
        if example.sources is not None:
            for span, source in zip(example.pred, example.sources):
                if source is not None:
                    self._sourced = True
                    source_of.setdefault(span, source.split(":", 1)[0])
        for pair in pair_entities(example.gold, example.pred, example.scores):
            g, p = pair.gold, pair.pred
            if g is not None:
                self._as_gold[g[2]][pair.category] += 1
            if p is not None:
                self._as_pred[p[2]][pair.category] += 1
                self._by_source[source_of.get(p, "(not said)")][pair.category] += 1
                if pair.score is not None:
                    if not 0.0 <= pair.score <= 1.0:
                        raise ValueError(f"span score {pair.score} is not between 0 and 1")
                    self._scores.append(pair.score)
                    self._right.append(pair.category == "correct")
            self._confusion[(g[2] if g else None, p[2] if p else None)] += 1
            if pair.category != "correct":
                self._remember(example, pair)

    def _remember(self, example: Example, pair: Pair) -> None:
        spans = [example.char_span(s) if s else None for s in (pair.gold, pair.pred)]
        key = (pair.category, *(None if s is None else (example.text[s[0]:s[1]], s[2]) for s in spans))
        seen = self._errors.get(key)
        if seen is not None:
            seen[0] += 1
            return
        present = [s for s in spans if s]
        text, shift = _window(example.text, min(s[0] for s in present), max(s[1] for s in present))
        gold, pred = (None if s is None else (s[0] - shift, s[1] - shift, s[2]) for s in spans)
        self._errors[key] = [1, (text, gold, pred, example.where)]

    def result(self, top: int = 10, bins: int = 10, thresholds: Sequence[float] = THRESHOLDS,
               targets: Sequence[float] = TARGETS) -> ErrorAnalysis:
        """The figures so far, with the ``top`` most frequent errors (ties: first seen first)."""
        labels = set(self._as_gold) | set(self._as_pred)
        types = {label: TypeErrors(_categories(self._as_gold[label]), _categories(self._as_pred[label])) for label in labels}
        total: Counter = Counter()
        for counts in self._as_gold.values():
            total.update({k: v for k, v in counts.items()})
        for counts in self._as_pred.values():
            total["spurious"] += counts["spurious"]
        overall = _categories(total)
        ranked = sorted(self._errors.items(), key=lambda kv: -kv[1][0])[:top]
        frequent = tuple(FrequentError(key[0], key[1], key[2], count, text, g, p, where)
                         for key, (count, (text, g, p, where)) in ranked)
        calibration = None
        if self._all_scored and self._scores:
            calibration = calibrate(self._scores, self._right, overall.pairs + overall.missed, bins, thresholds, targets)
        sources = {source: _categories(counts) for source, counts in self._by_source.items()} if self._sourced else {}
        return ErrorAnalysis(self._examples, TypeErrors(overall, overall), types, dict(self._confusion), frequent, calibration,
                             sources)


def _categories(counts: Counter) -> Categories:
    return Categories(**{name: counts.get(name, 0) for name in CATEGORIES})


def _window(text: str, lo: int, hi: int, context: int = 60) -> tuple[str, int]:
    """``text`` cut to about ``context`` characters either side of ``[lo, hi)``, at spaces,
    with ``...`` where it was cut; and how far offsets move left."""
    start, end = max(0, lo - context), min(len(text), hi + context)
    if start > 0:
        space = text.find(" ", start, lo)
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.rfind(" ", hi, end)
        end = space if space >= 0 else end
    head = "... " if start > 0 else ""
    tail = " ..." if end < len(text) else ""
    return head + text[start:end] + tail, start - len(head)


# --------------------------------------------------------------------------- calibration


def calibrate(scores: Sequence[float], right: Sequence[int], gold: int, bins: int = 10,
              thresholds: Iterable[float] = THRESHOLDS, targets: Iterable[float] = TARGETS) -> Calibration:
    """Calibration figures of predictions with ``scores`` in [0, 1], ``right`` true where
    the prediction is correct, against ``gold`` gold entities in all."""
    if len(scores) != len(right):
        raise ValueError(f"expected as many right flags as scores ({len(scores)}), got {len(right)}")
    edges = [k / bins for k in range(bins + 1)]
    count, correct, total = [0] * bins, [0] * bins, [0.0] * bins
    for s, r in zip(scores, right):
        b = min(bisect.bisect_right(edges, s) - 1, bins - 1)
        count[b] += 1
        correct[b] += bool(r)
        total[b] += s
    n = len(scores)
    table = tuple(ScoreBin(edges[b], edges[b + 1], count[b], correct[b], total[b] / count[b] if count[b] else 0.0)
                  for b in range(bins))
    ece = sum(b.count / n * abs(b.precision - b.mean_score) for b in table if b.count) if n else 0.0
    at = tuple(Threshold(t, sum(1 for s in scores if s >= t), sum(1 for s, r in zip(scores, right) if r and s >= t), gold)
               for t in thresholds)
    # the lowest threshold reaching each target: walk down the distinct scores
    order = sorted(range(n), key=lambda i: -scores[i])
    best: dict[float, Threshold] = {}
    kept = hits = 0
    for k, i in enumerate(order):
        kept += 1
        hits += bool(right[i])
        if k + 1 < n and scores[order[k + 1]] == scores[i]:
            continue
        for target in targets:
            if hits / kept >= target:
                best[target] = Threshold(scores[i], kept, hits, gold)
    return Calibration(n, ece, table, at, tuple((t, best.get(t)) for t in targets))
