"""``nerpipe score``: entity-level P/R/F1 as conlleval computes them, and the error analysis."""

from __future__ import annotations

import click

from ..views import SCORE_VIEWS
from .options import (
    FILES,
    LABEL_NAMES,
    MAP,
    MAP_DROP_OTHERS,
    SCHEMES,
    SEP,
    FormatOptions,
    NerpipeCommand,
    hint_if_typing,
    note,
    stdout_is_terminal,
)


@click.command(cls=NerpipeCommand)
@click.argument("gold", type=FILES, default="-")
@click.argument("pred", type=FILES, required=False)
@click.option("--format", "fmt", type=click.Choice(["auto", *SCORE_VIEWS]), default="auto",
              show_default=True, help="auto: a table on a terminal, plain aligned text in a pipe. html: a self-contained "
                                      "page with every table and the frequent errors (implies --errors).")
@click.option("--strict", is_flag=True, help="seqeval's strict mode: only well-formed entities count (needs --scheme).")
@click.option("--scheme", type=SCHEMES,
              help="Read the tags in this scheme and score them as IOB2 (with --strict: seqeval's scheme).")
@click.option("--gold-col", type=int, default=-1, show_default=True, help="Tag column of GOLD (two-file mode).")
@click.option("--pred-col", type=int, default=-1, show_default=True, help="Tag column of PRED (two-file mode).")
@click.option("--errors", is_flag=True,
              help="Also analyse the errors: SemEval-2013 9.1 categories (correct, wrong type, wrong boundary, both, missed, "
                   "spurious) per type, strict/exact/partial/type-only P/R/F1, a type confusion table, the most frequent "
                   "errors in their sentences and, for scored JSONL predictions, calibration and --min-score thresholds "
                   "(json: an \"errors\" object).")
@click.option("--top", type=click.IntRange(0), help="With --errors: how many of the most frequent errors to show  [default: 10]")
@MAP
@MAP_DROP_OTHERS
@click.option("--map-to", type=click.Choice(["both", "gold", "pred"]), default="both", show_default=True,
              help="Which side's labels --map reads.")
@LABEL_NAMES
@SEP
def score(gold, pred, fmt, strict, scheme, gold_col, pred_col, errors, top, label_map, map_drop_others, map_to, label_names, sep):
    """Entity-level precision, recall and F1, identical to conlleval.

    With GOLD and PRED, compare the tag columns of two CoNLL files holding the same
    tokens. With one FILE (or stdin), read conlleval's layout: the last two columns
    are the gold and the predicted tag. JSONL is compared by character offsets
    (one file: "spans" against "predicted_spans", as `nerpipe tag` writes them).

    Zero division: precision is 0 with no predicted entity, recall is 0 with no
    gold entity, F1 is 0 when both are 0; an empty input scores all zeros.

    --errors adds the error analysis after conlleval's figures, which stay as they
    are. Gold and predicted entities pair one to one, best first (same span and
    type, same span, overlap with the same type, overlap), then the larger overlap.

    \b
    Examples:
      nerpipe score gold.conll pred.conll
      nerpipe tag --model m.pt gold.conll | nerpipe score --format json
      nerpipe score --format conlleval output.txt
      nerpipe tag gold.jsonl | nerpipe score --errors --top 20
      nerpipe score --format html pred.conll > errors.html
      nerpipe score --map ontonotes-conll --map-to pred test.conll spacy.jsonl
    """
    from ..labelmap import parse_label_map
    from ..pairing import score_files
    from ..schemes import Scheme
    from ..views import SCORE_NEEDS_ERRORS

    errors = errors or fmt in SCORE_NEEDS_ERRORS
    if top is not None and not errors:
        raise click.UsageError("--top goes with --errors (or --format html)")
    hint_if_typing([gold, pred])
    if map_to != "both" and not label_map:
        raise click.UsageError("--map-to says which side --map reads; give --map")
    if gold == "-" and pred == "-":
        raise click.UsageError("GOLD and PRED are both standard input, which can be read once: give one of them as a file")
    format_options = FormatOptions("auto", "report")
    mapping = parse_label_map(label_map, map_drop_others)
    result = score_files(gold, pred, sep=sep, strict=strict, scheme=Scheme.parse(scheme) if scheme else None,
                         gold_col=gold_col, pred_col=pred_col, errors=errors, top=10 if top is None else top,
                         label_map=mapping, map_to=map_to, label_names=label_names, on_format=format_options.on_format)
    sides = {"both": "GOLD or PRED", "gold": "GOLD", "pred": "PRED"}[map_to]
    for warning in [*result.warnings(), *(mapping.idle_notes(sides) if mapping is not None else ()), *format_options.unused()]:
        note(f"warning: {warning}")
    if fmt == "auto":
        fmt = "table" if stdout_is_terminal() else "text"
    click.echo(SCORE_VIEWS[fmt](result, "nerpipe score: " + " ".join(p for p in (gold, pred) if p)), nl=False)
