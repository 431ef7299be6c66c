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
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import NerpipeError, UsageError
from .formats import ConllReader, Sentence, read_records, sentences_only
from .formats import ReadOptions as _ReadOptions
from .schemes import Scheme, check_tag, convert_tags, split_tag

if TYPE_CHECKING:  # the error analysis is imported when asked for: `nerpipe --help` stays quick
    from .analysis import ErrorAnalysis, ErrorAnalyzer

Chunk = tuple[int, int, str]


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
        f = 2 * p * r / (p + r) if p + r > 0 else 0.0
        return p, r, f

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
        """What makes these figures look wrong for a reason other than the tagger: gold
        and predicted entities whose types never meet (columns or label names mixed up)."""
        if self.tokens == 0:
            return ["nothing to score: the input holds no sentences"]
        gold = sorted(label for label, t in self.types.items() if t.gold)
        predicted = sorted(label for label, t in self.types.items() if t.predicted)
        if gold and predicted and not set(gold) & set(predicted):
            return [f"no predicted entity type is a gold one (gold: {', '.join(gold[:8])}; predicted: "
                    f"{', '.join(predicted[:8])}): are the right columns compared (--gold-col, --pred-col), "
                    "and are the labels named alike?"]
        return []

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
        """conlleval's own report, line for line."""
        o = self.overall
        lines = [
            f"processed {self.tokens} tokens with {o.gold} phrases; found: {o.predicted} phrases; correct: {o.correct}.\n"
        ]
        if self.tokens > 0:
            p, r, f = o.percentages()
            lines.append(
                "accuracy: %6.2f%%; precision: %6.2f%%; recall: %6.2f%%; FB1: %6.2f\n"
                % (100 * self.correct_tags / self.tokens, p, r, f)
            )
        for label in sorted(self.types):
            t = self.types[label]
            p, r, f = t.percentages()
            lines.append("%17s: precision: %6.2f%%; recall: %6.2f%%; FB1: %6.2f  %d\n" % (label, p, r, f, t.predicted))
        return "".join(lines)

    def rows(self) -> list[tuple[str, ...]]:
        """Table rows: type, precision, recall, F1 (percent), support, predicted, correct."""
        out = []
        for label in sorted(self.types):
            t = self.types[label]
            out.append((label, *("%.2f" % v for v in t.percentages()), str(t.gold), str(t.predicted), str(t.correct)))
        o = self.overall
        out.append(("overall", *("%.2f" % v for v in o.percentages()), str(o.gold), str(o.predicted), str(o.correct)))
        return out

    HEADER = ("type", "precision", "recall", "f1", "support", "predicted", "correct")

    def text_report(self) -> str:
        """A plain aligned table, stable for pipes and diffs."""
        rows = [self.HEADER, *self.rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(self.HEADER))]
        lines = [
            "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths))).rstrip()
            for r in rows
        ]
        lines.append(f"macro f1 {100 * self.macro_f1:.2f}; accuracy {100 * self.accuracy:.2f} over {self.tokens} tokens ({self.mode})")
        return "\n".join(lines) + "\n"

    def rich_table(self):
        from rich.table import Table

        table = Table(title=f"entity scores ({self.mode})", title_justify="left")
        for i, name in enumerate(self.HEADER):
            table.add_column(name, justify="left" if i == 0 else "right")
        rows = self.rows()
        for row in rows[:-1]:
            table.add_row(*row)
        table.add_row(*rows[-1], style="bold", end_section=True)
        table.caption = f"macro F1 {100 * self.macro_f1:.2f} · accuracy {100 * self.accuracy:.2f} over {self.tokens} tokens"
        return table


# --------------------------------------------------------------------------- corpora


def _strict_chunks(sentences: list[list[str]], scheme: Scheme) -> list[list[Chunk]]:
    from seqeval.scheme import IOB2, IOBES, BILOU, Entities

    seqeval_scheme = {Scheme.IOB2: IOB2, Scheme.IOBES: IOBES, Scheme.BILOU: BILOU}.get(scheme)
    if seqeval_scheme is None:
        raise NerpipeError("--strict needs --scheme iob2, iobes or bilou (seqeval's strict mode has no IOB1)")
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
    strict mode for ``scheme``: an entity counts only if well formed.
    """
    return _score(((gold, pred, None) for gold, pred in pairs), strict, scheme)


def _score(items: Iterable[tuple[Sequence[str], Sequence[str], Sentence | None]], strict: bool, scheme: Scheme | None,
           analyzer: ErrorAnalyzer | None = None) -> Score:
    """:func:`score_pairs` over ``(gold_tags, pred_tags, sentence)``; ``analyzer`` (which
    needs the sentences) also gets each sentence's chunks."""
    if analyzer is not None:
        from .analysis import Example
    if strict:
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
            analyzer.add(Example.from_tokens(sentence.tokens, gold_chunks, pred_chunks, where=f"{sentence.path}:{sentence.line}"))
    return score


def _conlleval_chunked(items, scheme: Scheme | None):
    for gold, pred, sentence in items:
        if scheme is not None:
            gold, pred = convert_tags(gold, Scheme.IOB2), convert_tags(pred, Scheme.IOB2)
        yield gold, pred, conlleval_chunks(gold), conlleval_chunks(pred), sentence


def _checked(sentence: Sentence, tags: Sequence[str]) -> Sequence[str]:
    for i, tag in enumerate(tags):
        check_tag(tag, sentence.path, sentence.line + i)
    return tags


def pairs_from_one(sentences: Iterable[Sentence]) -> Iterator[tuple[Sequence[str], Sequence[str]]]:
    """conlleval's layout: gold and predicted tags in the last two columns."""
    return ((gold, pred) for gold, pred, _ in _from_one(sentences))


def _from_one(sentences: Iterable[Sentence]) -> Iterator[tuple[Sequence[str], Sequence[str], Sentence]]:
    for s in sentences:
        if len(s.rows[0]) < 2:
            raise NerpipeError("expected at least 2 columns (... gold predicted)", s.path, s.line)
        yield _checked(s, [r[-2] for r in s.rows]), _checked(s, [r[-1] for r in s.rows]), s


def pairs_from_two(gold: Iterable[Sentence], pred: Iterable[Sentence]) -> Iterator[tuple[Sequence[str], Sequence[str]]]:
    """Tag columns of two files holding the same tokens, sentence by sentence."""
    return ((g, p) for g, p, _ in _from_two(gold, pred))


def _from_two(gold: Iterable[Sentence], pred: Iterable[Sentence]) -> Iterator[tuple[Sequence[str], Sequence[str], Sentence]]:
    gold_it, pred_it = iter(gold), iter(pred)
    while True:
        g, p = next(gold_it, None), next(pred_it, None)
        if g is None and p is None:
            return
        if g is None or p is None:
            more, name = (p, "gold") if g is None else (g, "predicted")
            raise NerpipeError(f"the {name} file ends here, but {more.path}:{more.line} has more sentences", more.path, more.line)
        for k in range(max(len(g.tokens), len(p.tokens))):
            gt = g.tokens[k] if k < len(g.tokens) else None
            pt = p.tokens[k] if k < len(p.tokens) else None
            if gt != pt:
                describe = lambda t: "the end of the sentence" if t is None else repr(t)  # noqa: E731
                raise NerpipeError(
                    f"the files part here: {g.path}:{g.line + k} has {describe(gt)}, "
                    f"{p.path}:{p.line + k} has {describe(pt)}",
                    g.path,
                    g.line + k,
                )
        if g.tags is None or p.tags is None:
            s = g if g.tags is None else p
            raise NerpipeError("expected a tag column, found only tokens", s.path, s.line)
        yield _checked(g, g.tags), _checked(p, p.tags), g


def score_files(
    gold: str,
    pred: str | None = None,
    sep: str = "auto",
    strict: bool = False,
    scheme: Scheme | None = None,
    gold_col: int = -1,
    pred_col: int = -1,
    errors: bool = False,
    top: int = 10,
) -> Score:
    """Score two CoNLL files (tag columns compared), or one in conlleval's layout;
    JSONL (detected) is scored by character offsets instead.

    ``errors``: also analyse the errors (:mod:`nerpipe.analysis`) in the same pass,
    into ``Score.errors``, keeping the ``top`` most frequent ones.
    """
    analyzer = None
    if errors:
        from .analysis import ErrorAnalyzer

        analyzer = ErrorAnalyzer()
    fmt, gold_items, _ = read_records(gold, "auto", _ReadOptions(sep, 0, -1 if pred is None else gold_col), annotated=True)
    if fmt == "jsonl":
        given = [name for name, value in (("--strict", strict), ("--scheme", scheme is not None),
                                          ("--gold-col", gold_col != -1), ("--pred-col", pred_col != -1)) if value]
        if given:
            raise UsageError(f"{', '.join(given)}: for CoNLL tag columns; JSONL is scored by its spans' character offsets")
        pred_docs = read_records(pred, "jsonl", _ReadOptions(sep))[1] if pred is not None else None
        score = score_jsonl(gold_items, pred_docs, analyzer)
    else:
        if pred is None:
            items = _from_one(sentences_only(gold_items))
        else:
            pred_sents = sentences_only(ConllReader(sep, 0, pred_col).read([pred]))
            items = _from_two(sentences_only(gold_items), pred_sents)
        score = _score(items, strict, scheme, analyzer)
    if analyzer is not None:
        score.errors = analyzer.result(top)
    return score


ONE_STREAM_NEEDS = ('one input is scored only when each record holds gold "spans" and "predicted_spans" (as '
                    '`nerpipe tag gold.jsonl` writes them); to score predictions alone, give the gold file too: '
                    'nerpipe score GOLD PRED')


def _predicted(doc, with_scores: bool = False, own: bool = False) -> tuple[list[tuple[int, int, str]], list[float] | None]:
    """A JSONL record's predicted entities by character offsets: ``predicted_spans`` if
    it has them (``nerpipe tag`` output beside gold spans), else ``spans``; and, if
    asked, their scores (None unless every one has a score). ``own``: the record is
    also the gold one, so its ``spans`` are not predictions (that would score it
    against itself)."""
    spans = doc.record.get("predicted_spans")
    if spans is None:
        if own:
            raise NerpipeError(f'no "predicted_spans" in the record: {ONE_STREAM_NEEDS}', doc.path, doc.line)
        found = doc.char_spans(doc.spans or [])
        return found, _scores(doc, doc.record.get("spans") or [], found) if with_scores else None
    if not isinstance(spans, list) or not all(isinstance(x, dict) and isinstance(x.get("start"), int)
                                              and isinstance(x.get("end"), int) and isinstance(x.get("label"), str)
                                              for x in spans):
        raise NerpipeError('"predicted_spans" must be a list of objects with "start", "end" and "label"', doc.path, doc.line)
    found = [(x["start"], x["end"], x["label"]) for x in spans]
    return found, _scores(doc, spans, found) if with_scores else None


def _scores(doc, raw: list, spans: list[tuple[int, int, str]]) -> list[float] | None:
    """The ``score`` of each of ``spans`` from the record's span objects ``raw``."""
    by_span = {}
    for x in raw:
        score = x.get("score") if isinstance(x, dict) else None
        if score is None:
            return None
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1:
            raise NerpipeError(f"span score {score!r} is not a number between 0 and 1", doc.path, doc.line)
        if isinstance(x.get("start"), int) and isinstance(x.get("end"), int):
            key = (x["start"], x["end"], x.get("label"))
        else:  # a span given by tokens only (its shape was checked when the record was read)
            key = (doc.tokens[x["token_start"]][0], doc.tokens[x["token_end"]][1], x.get("label"))
        by_span.setdefault(key, float(score))
    found = [by_span.get(span) for span in spans]
    return None if any(s is None for s in found) else found


def score_jsonl(gold: Iterable, pred: Iterable | None = None, analyzer: ErrorAnalyzer | None = None) -> Score:
    """Entity P/R/F1 over JSONL records by exact character offsets and label.

    One stream: each record's ``spans`` (gold) against its ``predicted_spans``. Two:
    the gold records' spans against the predicted records' (same texts, in order).
    Token accuracy counts the gold record's tokens. ``analyzer`` also gets each record.
    """
    if analyzer is not None:
        from .analysis import Example
    score = Score(mode="character offsets")
    gold_it = iter(gold)
    pred_it = iter(pred) if pred is not None else None
    for g in gold_it:
        if pred_it is None:
            p = g
        else:
            p = next(pred_it, None)
            if p is None:
                raise NerpipeError("the predicted file ends here, but the gold file has more records", g.path, g.line)
            if p.text != g.text:
                raise NerpipeError(f"the files part here: the texts differ ({p.path}:{p.line} has {p.text[:40]!r})", g.path, g.line)
        if g.spans is None:
            raise NerpipeError('expected gold "spans" in the record' + ("" if pred_it else f": {ONE_STREAM_NEEDS}"), g.path, g.line)
        gold_spans = g.char_spans(g.spans)
        pred_spans, scores = _predicted(p, with_scores=analyzer is not None, own=pred_it is None)
        score.add(_token_tags(g, gold_spans), _token_tags(g, pred_spans), gold_spans, pred_spans)
        if analyzer is not None:
            analyzer.add(Example(g.text, gold_spans, pred_spans, scores, f"{g.path}:{g.line}"))
    if pred_it is not None:
        extra = next(pred_it, None)
        if extra is not None:
            raise NerpipeError("the gold file ends, but the predicted file has more records", extra.path, extra.line)
    return score


def _token_tags(doc, spans) -> list[str]:
    """Each token's IOB2 tag under ``spans`` (a token is inside a span when it lies
    wholly within it), so that token accuracy counts B and I as CoNLL scoring does."""
    tags = ["O"] * len(doc.tokens)
    starts = [start for start, _ in doc.tokens]
    for start, end, label in spans:
        i = bisect_left(starts, start)
        prefix = "B-"
        while i < len(tags) and doc.tokens[i][1] <= end:
            tags[i] = prefix + label
            prefix = "I-"
            i += 1
    return tags
