"""How ``nerpipe score`` shows a :class:`~nerpipe.scoring.Score` and, with ``--errors``,
its :class:`~nerpipe.analysis.ErrorAnalysis`: plain aligned text, conlleval's report,
rich tables for a terminal, or a self-contained HTML page (no torch).

Every view is built from the same :func:`tables` and frequent-error list, so the
three agree figure for figure. In text, a gold entity is marked ``[[Paris]]LOC`` and a
predicted one ``{{Paris}}ORG``; in HTML, gold marks have a solid outline and
predicted ones a dashed one (styles in :mod:`nerpipe.display`).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, NamedTuple

from .analysis import PAIR_CATEGORIES, SCHEMES, ErrorAnalysis, FrequentError
from .display import colour, html_page, html_table, mark_html

if TYPE_CHECKING:
    from .scoring import Score

NAMES = {"correct": "correct", "wrong_type": "wrong type", "wrong_boundary": "wrong boundary",
         "wrong_both": "wrong type and boundary", "missed": "missed", "spurious": "spurious"}
SCHEME_NAMES = {"strict": "strict", "exact": "exact boundary", "partial": "partial boundary", "ent_type": "type only"}


class Table(NamedTuple):
    title: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]
    left: int = 1  # how many leading columns hold words (left-aligned) rather than figures


def _pct(x: float) -> str:
    return "%.2f" % (100 * x)


def tables(analysis: ErrorAnalysis) -> list[Table]:
    """The analysis as titled tables of strings, in the order every view shows them."""
    out = []
    cats = [("type", "correct", "wrong type", "wrong boundary", "wrong both", "missed", "spurious")]
    rows = []
    for label, t in [*((label, analysis.types[label]) for label in analysis.labels), ("overall", analysis.overall)]:
        g = t.as_gold
        rows.append((label, *(str(getattr(g, c)) for c in PAIR_CATEGORIES), str(g.missed), str(t.as_pred.spurious)))
    out.append(Table("error categories (SemEval-2013 9.1): pairs by gold type, spurious by predicted type", cats[0], rows))

    rows = []
    for label, t in [*((label, analysis.types[label]) for label in analysis.labels), ("overall", analysis.overall)]:
        for k, scheme in enumerate(SCHEMES):
            f = t.figures(scheme)
            rows.append((label if k == 0 else "", SCHEME_NAMES[scheme], _pct(f.precision), _pct(f.recall), _pct(f.f1)))
    out.append(Table("precision, recall and F1 by scheme (partial boundary: half credit for overlaps)",
                     ("type", "scheme", "precision", "recall", "f1"), rows, left=2))

    predicted = sorted({p for _, p in analysis.confusion if p is not None})
    gold = sorted({g for g, _ in analysis.confusion if g is not None})
    rows = []
    for gold_type in [*gold, None]:
        cells: list[int | str] = [analysis.confusion.get((gold_type, p), 0) for p in [*predicted, None]]
        if gold_type is None:
            cells[-1] = ""  # nothing is both spurious and missed
        rows.append(("(spurious)" if gold_type is None else gold_type, *(str(c) for c in cells)))
    out.append(Table("type confusion: gold type (rows) by predicted type, over paired entities (same or overlapping span)",
                     ("gold \\ predicted", *predicted, "(missed)"), rows))

    if analysis.sources:
        rows = []
        for source, c in sorted(analysis.sources.items()):
            made = c.pairs + c.spurious
            rows.append((source, str(made), *(str(getattr(c, k)) for k in PAIR_CATEGORIES), str(c.spurious),
                         _pct(c.correct / made) if made else "-"))
        out.append(Table("predictions by what found them (JSONL \"source\"): categories and strict precision",
                         ("source", "predicted", "correct", "wrong type", "wrong boundary", "wrong both", "spurious",
                          "precision"), rows))

    cal = analysis.calibration
    if cal is not None:
        out.append(Table(f"calibration: ECE {cal.ece:.4f} over {cal.predictions} scored predictions (right: a strict match)",
                         ("score", "count", "mean score", "precision"),
                         [(f"{b.low:.1f}-{b.high:.1f}", str(b.count), f"{b.mean_score:.4f}" if b.count else "-",
                           _pct(b.precision) if b.count else "-") for b in cal.bins]))
        out.append(Table("strict figures at --min-score thresholds", ("min score", "predicted", "precision", "recall", "f1"),
                         [(f"{t.threshold:.2f}", str(t.predicted), *(_pct(x) for x in (t.figures.precision, t.figures.recall,
                                                                                         t.figures.f1))) for t in cal.thresholds]))
        out.append(Table("the lowest --min-score reaching a precision", ("precision", "min score", "reached", "recall"),
                         [(_pct(target), "not reached", "-", "-") if t is None else
                          (_pct(target), f"{t.threshold:.4f}", _pct(t.figures.precision), _pct(t.figures.recall))
                          for target, t in cal.targets]))
    return out


def describe(error: FrequentError) -> str:
    """One line: what kind of error, on which strings."""
    g, p = error.gold, error.pred
    if g is None:
        assert p is not None  # an error has a gold or a predicted entity, or both
        what = f'"{p[0]}" {p[1]}'
    elif p is None:
        what = f'"{g[0]}" {g[1]}'
    elif error.category == "wrong_type":
        what = f'"{g[0]}" {g[1]} -> {p[1]}'
    else:
        what = f'"{g[0]}" {g[1]} -> "{p[0]}" {p[1]}'
    return f"{NAMES[error.category]}: {what}"


def _marked(text: str, span, open_: str, close: str) -> str:
    s, e, label = span
    return f"{text[:s]}{open_}{text[s:e]}{close}{label}{text[e:]}"


# --------------------------------------------------------------------------- the scores


SCORE_HEADER = ("type", "precision", "recall", "f1", "support", "predicted", "correct")


def score_rows(score: Score) -> list[tuple[str, ...]]:
    """Table rows: type, precision, recall, F1 (percent), support, predicted, correct; overall last."""
    out = []
    for label, t in [*((label, score.types[label]) for label in sorted(score.types)), ("overall", score.overall)]:
        out.append((label, *("%.2f" % v for v in t.percentages()), str(t.gold), str(t.predicted), str(t.correct)))
    return out


def conlleval_text(score: Score) -> str:
    """conlleval's own report, line for line."""
    o = score.overall
    lines = [f"processed {score.tokens} tokens with {o.gold} phrases; found: {o.predicted} phrases; correct: {o.correct}.\n"]
    if score.tokens > 0:
        p, r, f = o.percentages()
        lines.append("accuracy: %6.2f%%; precision: %6.2f%%; recall: %6.2f%%; FB1: %6.2f\n"
                     % (100 * score.correct_tags / score.tokens, p, r, f))
    for label in sorted(score.types):
        t = score.types[label]
        p, r, f = t.percentages()
        lines.append("%17s: precision: %6.2f%%; recall: %6.2f%%; FB1: %6.2f  %d\n" % (label, p, r, f, t.predicted))
    return "".join(lines)


def score_text(score: Score) -> str:
    """A plain aligned table, stable for pipes and diffs."""
    lines = _aligned(Table("", SCORE_HEADER, score_rows(score)))
    lines.append(f"macro f1 {100 * score.macro_f1:.2f}; accuracy {100 * score.accuracy:.2f} over {score.tokens} tokens ({score.mode})")
    return "\n".join(lines) + "\n"


def score_rich_table(score: Score):
    from rich.table import Table as RichTable

    table = RichTable(title=f"entity scores ({score.mode})", title_justify="left")
    for i, name in enumerate(SCORE_HEADER):
        table.add_column(name, justify="left" if i == 0 else "right")
    rows = score_rows(score)
    for row in rows[:-1]:
        table.add_row(*row)
    table.add_row(*rows[-1], style="bold", end_section=True)
    table.caption = f"macro F1 {100 * score.macro_f1:.2f} · accuracy {100 * score.accuracy:.2f} over {score.tokens} tokens"
    return table


# --------------------------------------------------------------------------- text


def _aligned(table: Table) -> list[str]:
    every = [table.header, *table.rows]
    widths = [max(len(r[i]) for r in every) for i in range(len(table.header))]
    return ["  ".join(c.ljust(w) if i < table.left else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
            for r in every]


def errors_text(analysis: ErrorAnalysis) -> str:
    """The analysis as plain text, stable for pipes and diffs (to follow the score table)."""
    lines = []
    for table in tables(analysis):
        lines += ["", table.title, *_aligned(table)]
    lines += ["", f"most frequent errors (gold [[...]]TYPE, predicted {{{{...}}}}TYPE): {len(analysis.frequent)}"]
    for k, error in enumerate(analysis.frequent, 1):
        lines.append(f"{k:>3}. {error.count} x {describe(error)}    {error.where}")
        if error.gold_span:
            lines.append(f"     gold: {_marked(error.text, error.gold_span, '[[', ']]')}")
        if error.pred_span:
            lines.append(f"     pred: {_marked(error.text, error.pred_span, '{{', '}}')}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- terminal


def errors_rich(analysis: ErrorAnalysis) -> list:
    """Rich tables, then the frequent errors with their entities coloured by type."""
    from rich import box
    from rich.table import Table as RichTable
    from rich.text import Text

    out: list = []
    for table in tables(analysis):
        t = RichTable(title=table.title, title_justify="left", box=box.SIMPLE_HEAD)  # no rules between columns: fits 80
        for i, name in enumerate(table.header):
            t.add_column(name, justify="left" if i < table.left else "right", no_wrap=i < table.left)
        for row in table.rows:
            t.add_row(*row, style="bold" if row[0] in ("overall", "(spurious)") else None)
        out.append(t)
    out.append(Text(f"most frequent errors (gold [[...]], predicted {{{{...}}}}): {len(analysis.frequent)}", style="italic"))

    def line(side: str, text: str, span, open_: str, close: str) -> Text:
        s, e, label = span
        return Text.assemble(f"     {side}: ", text[:s], (f"{open_}{text[s:e]}{close}{label}", f"black on {colour(label)}"),
                             text[e:])

    for k, error in enumerate(analysis.frequent, 1):
        out.append(Text.assemble(f"{k:>3}. ", (f"{error.count} x", "bold"), f" {describe(error)}    ",
                                 (error.where, "dim")))
        if error.gold_span:
            out.append(line("gold", error.text, error.gold_span, "[[", "]]"))
        if error.pred_span:
            out.append(line("pred", error.text, error.pred_span, "{{", "}}"))
    return out


# --------------------------------------------------------------------------- HTML

_PAGE_STYLE = """
.errors li { margin-bottom: 1rem; } .errors .head { line-height: 1.4; }
.side { display: inline-block; width: 5.5rem; color: #656d76; font-size: 0.8rem; }
caption { text-align: left; font-weight: 600; padding: 0.3rem 0; }
"""


def html_report(score: Score, title: str = "nerpipe score") -> str:
    """A self-contained page: the conlleval table, the analysis's tables and its examples."""
    analysis = score.errors
    if analysis is None:
        raise ValueError("html_report needs a Score with its error analysis (score_files(..., errors=True))")
    legend = ('<p class="legend"><mark class="gold" style="background:#eee">gold entity</mark> '
              '<mark class="pred" style="background:#eee">predicted entity</mark> (background: the entity type\'s colour)</p>')
    parts = [f"<h1>{html.escape(title)}</h1>", legend,
             html_table(SCORE_HEADER, score_rows(score), caption=f"entity scores ({score.mode})")]
    parts += [html_table(t.header, t.rows, caption=t.title) for t in tables(analysis)]
    parts.append(f"<h2>Most frequent errors ({len(analysis.frequent)})</h2>")
    parts.append('<ol class="errors">')
    for error in analysis.frequent:
        parts.append(f'<li><div class="head"><b>{error.count} &times;</b> {html.escape(describe(error))} '
                     f'<span class="source">{html.escape(error.where)}</span></div>')
        for side, span, css in (("gold", error.gold_span, "gold"), ("predicted", error.pred_span, "pred")):
            if span is not None:
                marked = mark_html(error.text, [(*span, None)], css_class=css)
                parts.append(f'<div class="record"><span class="side">{side}</span>{marked}</div>')
        parts.append("</li>")
    parts.append("</ol>")
    return html_page(title, "\n".join(parts), style=_PAGE_STYLE)
