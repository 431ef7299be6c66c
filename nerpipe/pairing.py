"""Which gold goes with which prediction: scoring files and streams (no torch).

:func:`score_files` reads CoNLL (two files with the same tokens, or one in
conlleval's layout, gold and predicted tags in its last two columns) or JSONL
(compared by character offsets: one stream's ``spans`` against its
``predicted_spans``, or two streams with the same texts), pairs them sentence by
sentence with located errors where they part, and hands the pairs to
:mod:`nerpipe.scoring`, which counts.
"""

from __future__ import annotations

import dataclasses
import os
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from .errors import NerpipeError, UsageError
from .formats import FORMATS, Sentence, declined, display_name, read_records, sentences_only
from .formats import ReadOptions as _ReadOptions
from .formats.source import same_file
from .schemes import Scheme, check_tags
from .scoring import Score, score_items

if TYPE_CHECKING:  # the error analysis is imported when asked for: `nerpipe --help` stays quick
    from .analysis import ErrorAnalyzer
    from .labelmap import LabelMap


ONE_FILE_HINT = "one CoNLL input holds gold and predicted tags in its last two columns"
TWO_FILES_HINT = "are --gold-col and --pred-col right?"


def _from_one(sentences: Iterable[Sentence]) -> Iterator[tuple[Sequence[str], Sequence[str], Sentence]]:
    for s in sentences:
        if len(s.rows[0]) < 2:
            raise NerpipeError("expected at least 2 columns (... gold predicted)", s.path, s.line)
        yield (check_tags([r[-2] for r in s.rows], s.path, s.line, ONE_FILE_HINT),
               check_tags([r[-1] for r in s.rows], s.path, s.line, ONE_FILE_HINT), s)


CONLLEVAL_BOUNDARY = "-X-"  # a line whose token is this is a sentence boundary to conlleval, not a token


def _split_at_boundaries(sentences: Iterable[Sentence]) -> Iterator[Sentence]:
    """Sentences split where a line's token is conlleval's boundary ``-X-`` (CoNLL-2000's
    files), that line left out: it is neither a token nor inside a chunk there."""
    for s in sentences:
        if CONLLEVAL_BOUNDARY not in s.tokens:
            yield s
            continue
        start = 0
        for end in [k for k, t in enumerate(s.tokens) if t == CONLLEVAL_BOUNDARY] + [len(s.tokens)]:
            if end > start:
                yield dataclasses.replace(s, tokens=s.tokens[start:end], rows=s.rows[start:end], lines=s.lines[start:end],
                                          tags=s.tags[start:end] if s.tags is not None else None, line=s.line + start)
            start = end + 1


def _ends_before(side: str, path: str, what: str) -> str:
    """The message at the first gold or predicted ``what`` the other side has no counterpart for."""
    named = f" ({path})" if path else ""
    return f"the {side} file{named} ends before this {what}: it has no {side} counterpart (are the files of the same data?)"


def _from_two(gold: Iterable[Sentence], pred: Iterable[Sentence]) -> Iterator[tuple[Sequence[str], Sequence[str], Sentence]]:
    gold_it, pred_it = iter(gold), iter(pred)
    seen = {"gold": "", "predicted": ""}  # each side's file, once a sentence of it is read
    while True:
        g, p = next(gold_it, None), next(pred_it, None)
        if g is None and p is None:
            return
        if g is None or p is None:
            more, name = (p, "gold") if g is None else (g, "predicted")
            assert more is not None
            raise NerpipeError(_ends_before(name, seen[name], "sentence"), more.path, more.line)
        seen["gold"], seen["predicted"] = g.path, p.path
        for k in range(max(len(g.tokens), len(p.tokens))):
            gt = g.tokens[k] if k < len(g.tokens) else None
            pt = p.tokens[k] if k < len(p.tokens) else None
            if gt != pt:
                describe = lambda t: "the end of the sentence" if t is None else repr(t)
                raise NerpipeError(
                    f"the files part here: {g.path}:{g.line + k} has {describe(gt)}, "
                    f"{p.path}:{p.line + k} has {describe(pt)}",
                    g.path,
                    g.line + k,
                )
        if g.tags is None or p.tags is None:
            s = g if g.tags is None else p
            raise NerpipeError("expected a tag column, found only tokens", s.path, s.line)
        yield check_tags(g.tags, g.path, g.line, TWO_FILES_HINT), check_tags(p.tags, p.path, p.line, TWO_FILES_HINT), g


def score_files(
    gold: str | os.PathLike,
    pred: str | os.PathLike | None = None,
    sep: str = "auto",
    strict: bool = False,
    scheme: Scheme | str | None = None,
    gold_col: int = -1,
    pred_col: int = -1,
    errors: bool = False,
    top: int = 10,
    label_map: LabelMap | None = None,
    map_to: str = "both",
    label_names: Sequence[str] | None = None,
    on_format: Callable[[str, str, str], None] | None = None,
) -> Score:
    """Score two CoNLL files (tag columns compared), or one in conlleval's layout;
    JSONL (detected) is scored by character offsets instead.

    ``errors``: also analyse the errors (:mod:`nerpipe.analysis`) in the same pass,
    into ``Score.errors``, keeping the ``top`` most frequent ones. ``label_map``: the
    labels of the gold, the predictions or both (``map_to``) read through it first.
    ``on_format(name, format, why)`` is told the format each file is read as.
    """
    if map_to not in ("gold", "pred", "both"):
        raise ValueError(f"expected map_to gold, pred or both, got {map_to!r}")
    gold, pred = os.fspath(gold), (os.fspath(pred) if pred is not None else None)  # a pathlib.Path as a string
    if isinstance(scheme, str):  # "iobes", as on the command line
        scheme = Scheme.parse(scheme)
    gold_map = label_map if map_to in ("gold", "both") else None
    pred_map = label_map if map_to in ("pred", "both") else None
    analyzer = None
    if errors:
        from .analysis import ErrorAnalyzer

        analyzer = ErrorAnalyzer()
    if strict and scheme is None:
        raise UsageError("--strict needs --scheme iob1, iob2, iobes or bilou")
    if pred is None and (gold_col != -1 or pred_col != -1):
        raise UsageError("--gold-col and --pred-col choose the tag columns of two files (GOLD PRED); one file is read "
                         "in conlleval's layout, gold and predicted tags in its last two columns")
    names = tuple(label_names) if label_names is not None else None
    gold_options = _ReadOptions(sep=sep, tag_col=gold_col, label_names=names, tag_option="--gold-col")
    fmt, gold_items, _ = read_records(gold, "auto", gold_options, on_format, annotated=True)
    if FORMATS[fmt].by_offsets:
        given = [name for name, value in (("--strict", strict), ("--scheme", scheme is not None),
                                          ("--gold-col", gold_col != -1), ("--pred-col", pred_col != -1)) if value]
        if given:
            kind = "JSONL" if fmt == "jsonl" else fmt
            raise UsageError(f"{', '.join(given)}: for CoNLL tag columns; {kind} is scored by its spans' character offsets")
        pred_docs = None
        if pred is not None:
            pred_fmt, pred_docs, _ = read_records(pred, "auto", _PRED_OPTIONS(sep=sep, label_names=names), on_format,
                                                annotated=True)
            if pred_fmt == "conll":  # CoNLL predictions on the gold's text: their tokens joined by spaces
                pred_fmt, pred_docs = fmt, (d.as_doc() for d in sentences_only(pred_docs))
                # (a gold record that only carries CoNLL's lines after the last sentence has no sentence there)
                gold_items = (d for d in gold_items if d.text or "conll" not in d.record)
            elif not FORMATS[pred_fmt].by_offsets and pred != "-":  # not sniffed as such (empty, broken): as the gold
                pred_fmt, pred_docs, _ = read_records(pred, fmt, _PRED_OPTIONS(sep=sep, label_names=names))
            if not FORMATS[pred_fmt].by_offsets:
                raise NerpipeError(f"the gold data is {fmt} but this reads as {pred_fmt}: give predictions with character "
                                   "offsets too (JSONL as nerpipe tag writes it, or doccano)", display_name(pred))
        score = score_jsonl(gold_items, pred_docs, analyzer, gold_map, pred_map)
    else:
        pred_fmt = None
        if pred is not None:
            pred_options = _PRED_OPTIONS(sep=sep, tag_col=pred_col, label_names=names, tag_option="--pred-col")
            pred_fmt, pred_items, _ = read_records(pred, "auto", pred_options, on_format, annotated=True)
        if pred_fmt is not None and FORMATS[pred_fmt].by_offsets:
            # predictions with offsets (spaCy's, a tool's JSON) on the gold's tokens joined by spaces
            if strict or scheme is not None or pred_col != -1:
                raise UsageError(f"--strict, --scheme and --pred-col are for CoNLL tag columns; {pred_fmt} predictions are "
                                 "scored by their spans' character offsets")
            # (a record that only carries CoNLL's lines after the last sentence is no prediction)
            pred_docs = (d for d in pred_items if d.text or "conll" not in d.record)
            score = score_jsonl((s.as_doc() for s in sentences_only(gold_items)), pred_docs, analyzer, gold_map, pred_map)
            if analyzer is not None:
                score.errors = analyzer.result(top)
            return score
        if pred is None:
            items = _from_one(_split_at_boundaries(sentences_only(gold_items)))
        else:
            items = _from_two(_split_at_boundaries(sentences_only(gold_items)), _split_at_boundaries(sentences_only(pred_items)))
        if gold_map or pred_map:
            items = ((gold_map.tags(g) if gold_map else g, pred_map.tags(p) if pred_map else p, s) for g, p, s in items)
        seen: list[str] = []  # an IOBES/BILOU tag met, read by conlleval's rules
        if scheme is None:
            items = _watch_schemes(items, seen)
        score = score_items(items, strict, scheme, analyzer)
        if seen:
            score.notes.append(f"tags such as {seen[0]} (IOBES or BILOU) read by conlleval's rules, which know only B- "
                               "and I-: single-token entities of one type side by side count as one; give --scheme iobes "
                               "(or bilou)")
    if analyzer is not None:
        score.errors = analyzer.result(top)
    if pred is not None and gold_col == pred_col and same_file(gold, pred):
        score.notes.append(f"{gold} is scored against itself (GOLD and PRED are one file, the same column)")
    return score


_ONE_TOKEN_OR_LAST = ("S-", "E-", "U-", "L-")


def _watch_schemes(items: Iterable[tuple[Sequence[str], Sequence[str], Sentence]], seen: list[str]):
    """``items`` as they are, noting in ``seen`` the first tag of a scheme conlleval does not know."""
    for gold, pred, sentence in items:
        if not seen:
            found = next((t for t in (*gold, *pred) if t[:2] in _ONE_TOKEN_OR_LAST), None)
            if found is not None:
                seen.append(found)
        yield gold, pred, sentence


def _PRED_OPTIONS(**given) -> _ReadOptions:
    """How a prediction file is read: Label Studio tasks by their ``predictions`` (the
    model's, as ``tag -f labelstudio`` writes them), not the people's annotations."""
    return _ReadOptions(annotation="prediction", **given)


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
    known = doc.extra.get("labelstudio")
    if spans is None and own and known and known.get("predicted") is not None:
        return list(known["predicted"]), None  # a Label Studio task: its prediction against its annotation
    if spans is None:
        if own:
            raise NerpipeError(f'no "predicted_spans" in the record: {ONE_STREAM_NEEDS}', doc.path, doc.line)
        found = doc.char_spans(doc.spans or [])
        return found, _confidences(doc, doc.record.get("spans") or [], found) if with_scores else None
    if not isinstance(spans, list) or not all(isinstance(x, dict) and isinstance(x.get("start"), int)
                                              and isinstance(x.get("end"), int) and isinstance(x.get("label"), str)
                                              for x in spans):
        raise NerpipeError('"predicted_spans" must be a list of objects with "start", "end" and "label"', doc.path, doc.line)
    found = [(x["start"], x["end"], x["label"]) for x in spans]
    return found, _confidences(doc, spans, found) if with_scores else None


def _confidences(doc, raw: list, spans: list[tuple[int, int, str]]) -> list[float] | None:
    """The ``score`` of each of ``spans`` from the record's span objects ``raw``."""
    by_span: dict[tuple[int, int, str | None], float] = {}
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
    return None if any(s is None for s in found) else [s for s in found if s is not None]


def _sources(doc, spans: list[tuple[int, int, str]]) -> list[str | None] | None:
    """The ``source`` of each predicted span (``tag --patterns``), None where not said."""
    raw = doc.record.get("predicted_spans")
    if raw is None:
        raw = doc.record.get("spans")
    by_span: dict[tuple[int, int, str | None], str] = {}
    for x in raw if isinstance(raw, list) else ():
        if isinstance(x, dict) and isinstance(x.get("source"), str) and isinstance(x.get("start"), int) \
                and isinstance(x.get("end"), int):
            by_span.setdefault((x["start"], x["end"], x.get("label")), x["source"])
    return [by_span.get(span) for span in spans] if by_span else None


def score_jsonl(gold: Iterable, pred: Iterable | None = None, analyzer: ErrorAnalyzer | None = None,
                gold_map: LabelMap | None = None, pred_map: LabelMap | None = None) -> Score:
    """Entity P/R/F1 over JSONL records by exact character offsets and label.

    One stream: each record's ``spans`` (gold) against its ``predicted_spans``. Two:
    the gold records' spans against the predicted records' (same texts, in order).
    Token accuracy counts the gold record's tokens. ``analyzer`` also gets each record.
    """
    if analyzer is not None:
        from .analysis import Example
    score = Score(mode="character offsets")
    scored_gold = False
    skipped = 0
    gold_it = iter(gold)
    pred_it = iter(pred) if pred is not None else None
    pred_path = gold_path = ""
    for g in gold_it:
        gold_path = g.path
        if pred_it is None and not g.text and not g.tokens and "conll" in g.record:
            continue  # CoNLL's lines after its last sentence, as JSONL (tag -f jsonl GOLD.conll): no sentence to score
        if pred_it is None:
            p = g
        else:
            p = next(pred_it, None)
            if p is None:
                raise NerpipeError(_ends_before("predicted", pred_path, "record"), g.path, g.line)
            pred_path = p.path
            if p.text != g.text and p.text.rstrip() != g.text.rstrip():  # (offsets agree whatever spaces end a text)
                hint = (" (a CoNLL sentence reads as its tokens joined by single spaces: give the other tool those tokens, "
                        "e.g. spaCy's Doc(nlp.vocab, words=tokens))") if "conll" in g.record else ""
                raise NerpipeError(f"the files part here: the texts differ ({p.path}:{p.line} has {p.text[:40]!r}){hint}",
                                   g.path, g.line)
        if declined(g):
            skipped += 1
            continue
        if g.spans is None:
            if "conllu" in g.extra:  # (a CoNLL-U sentence has no "spans" to name)
                raise NerpipeError("expected gold entities: no word of this CoNLL-U sentence has NER= in its MISC column",
                                   g.path, g.line)
            raise NerpipeError('expected gold "spans" in the record' + ("" if pred_it else f": {ONE_STREAM_NEEDS}"), g.path, g.line)
        gold_spans = g.char_spans(g.spans)
        if not scored_gold and any(isinstance(x, dict) and "score" in x for x in g.record.get("spans") or ()):
            scored_gold = True
            score.notes.append(f'{g.path}:{g.line}: the gold "spans" carry scores, as predictions do: is this tagged '
                               "output taken for gold (nerpipe tag run twice)?")
        pred_spans, scores = _predicted(p, with_scores=analyzer is not None, own=pred_it is None)
        sources = _sources(p, pred_spans) if analyzer is not None else None
        if gold_map is not None:
            gold_spans = gold_map.spans(gold_spans)
        if pred_map is not None:
            mapped = [(span, pred_map(span[2]), k) for k, span in enumerate(pred_spans)]
            pred_spans = [(s, e, new) for (s, e, _), new, _ in mapped if new is not None]
            if scores is not None:
                scores = [scores[k] for _, new, k in mapped if new is not None]
            if sources is not None:
                sources = [sources[k] for _, new, k in mapped if new is not None]
        score.add(_token_tags(g, gold_spans), _token_tags(g, pred_spans), gold_spans, pred_spans)
        if analyzer is not None:
            analyzer.add(Example(g.text, gold_spans, pred_spans, scores, f"{g.path}:{g.line}", sources=sources))
    if pred_it is not None:
        extra = next(pred_it, None)
        if extra is not None:
            raise NerpipeError(_ends_before("gold", gold_path, "record"), extra.path, extra.line)
    if skipped:
        score.notes.append(f'{skipped} gold records answered "reject" or "ignore" (nerpipe annotate) are left out')
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
