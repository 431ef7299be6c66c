"""``nerpipe tag``: entities in plain text, CoNLL or JSONL, written in any output format."""

from __future__ import annotations

import contextlib
import gc
import sys

import click

from ..formats import INPUT_FORMATS, OUTPUT_FORMATS
from .options import (
    ALIGN,
    ANNOTATION,
    CONLLU_KEY,
    DATA_KEY,
    DEVICE,
    FILES,
    LABEL_NAMES,
    LS_CONFIG,
    MAP,
    MAP_DROP_OTHERS,
    ON_ERROR,
    OUTPUT,
    REDACT_CHAR,
    SEP,
    THREADS,
    FormatOptions,
    NerpipeCommand,
    check_ls_config,
    hint_if_typing,
    note,
    on_error_handler,
    output_stream,
    refuse_overwrite,
    setup_torch,
    stdout_is_terminal,
)


@click.command(cls=NerpipeCommand)
@click.argument("files", type=FILES, nargs=-1)
@click.option("-m", "--model", type=click.Path(exists=True, dir_okay=False), help="Model file (default: the embedded English model).")
@click.option("-i", "--input-format", type=click.Choice(["auto", *INPUT_FORMATS]), default="auto", show_default=True,
              help="auto: JSONL if the first line is an object, CoNLL if the first lines are columns ending in a tag "
                   "or single tokens, else text. lines: one record per line.")
@click.option("-f", "--format", "fmt", type=click.Choice(OUTPUT_FORMATS),
              help="Output format (default: pretty on a terminal; in a pipe or file, conll for CoNLL input and jsonl "
                   "for the others).")
@click.option("--scores", is_flag=True, help="pretty: show each entity's confidence after its label (jsonl, tsv and html "
                                             "always carry them; conll cannot).")
@click.option("--min-score", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Drop entities whose confidence, as written with four decimals, is below this (every format; in CoNLL their "
                   "tokens become O).")
@click.option("--labels", metavar="LIST", help="Keep only entities of these types, e.g. PER,ORG (every format).")
@click.option("--replace", is_flag=True, help="CoNLL: write the tag into --tag-col instead of appending a column; "
                                              "JSONL: predictions overwrite the record's spans instead of going beside them.")
@click.option("--tag-col", type=int, default=-1, show_default=True, help="The column --replace overwrites.")
@click.option("--token-col", type=int, default=0, show_default=True, help="CoNLL token column.")
@click.option("--batch-size", type=click.IntRange(1), default=256, show_default=True, help="Sentences per model batch.")
@click.option("--patterns", "patterns_path", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
              help='Names you know, forced inside the decoder: JSONL, one pattern a line, e.g. {"label": "ORG", "pattern": '
                   '"Acme Corp"} (token patterns, regular expressions, label O for "never an entity": docs/tagging.md).')
@click.option("--context/--no-context", default=True, show_default=True,
              help="Read each sentence in the light of its document (a -DOCSTART- block, a text file, a JSONL record or "
                   "records sharing a doc_id): a name the model is sure of elsewhere in it is favoured to keep its type.")
@click.option("--prefer", type=click.Choice(["pattern", "model"]), default="pattern", show_default=True,
              help="Where a pattern's match overlaps an entity the model is sure of (score >= 0.5), which one wins.")
@ON_ERROR
@ALIGN
@MAP
@MAP_DROP_OTHERS
@REDACT_CHAR
@LABEL_NAMES
@OUTPUT
@ANNOTATION
@DATA_KEY
@LS_CONFIG
@CONLLU_KEY
@click.option("-v", "--verbose", is_flag=True, help="Say which input format was chosen, and why, how many entities --map "
                                                  "changed, and which sentences were too long to tag whole (windows).")
@click.option("-q", "--quiet", is_flag=True, help="No progress display and no hint when reading standard input from a terminal.")
@click.option("-j", "--workers", type=click.IntRange(1), default=1, show_default=True,
              help="Worker processes (one thread each; with --device cuda they share the GPU); output order is kept.")
@SEP
@DEVICE
@THREADS
def tag(files, model, input_format, fmt, scores, min_score, labels, replace, tag_col, token_col, batch_size, patterns_path, context, prefer,
        on_error, align,
        label_map, map_drop_others, redact_char, label_names, output, annotation, data_key, ls_config, conllu_key, verbose, quiet, workers,
        sep, device, threads):
    """Tag entities in plain text, CoNLL or JSONL (files or stdin).

    Plain text is split into paragraphs (blank lines), sentences and CoNLL-2003
    style tokens. On a terminal the text is shown with each entity highlighted
    (-f pretty); into a pipe or file, JSONL gives each entity's character offsets
    and a confidence ("score"), and CoNLL keeps every input line and appends the
    predicted tag, so `nerpipe tag gold.conll | nerpipe score` works as it is.
    -f html writes one web page; -f tsv one entity per line. Long runs show
    their progress on a terminal's stderr (-q: not).

    \b
    Examples:
      nerpipe tag examples/doc.txt
      nerpipe tag --model model.pt test.conll | nerpipe score
      nerpipe tag -f html doc.txt > doc.html
      nerpipe tag -f tsv notes.txt | cut -f5,7 | sort | uniq -c
      nerpipe tag -f redact --labels PER letter.txt > letter.redacted.txt
      nerpipe tag --patterns products.jsonl -f tsv reviews.txt
    """
    if redact_char is not None and fmt != "redact":
        raise click.UsageError("--redact-char goes with -f redact")
    if redact_char is not None and len(redact_char) != 1:
        raise click.UsageError(f"--redact-char: expected one character, got {redact_char!r}")
    read = [*(list(files) or ["-"]), *(path for path in (model, patterns_path) if path)]  # what -o must not be
    refuse_overwrite("-o", output, read)
    check_ls_config(ls_config, fmt, output, read)
    if tag_col != -1 and not replace:
        raise click.UsageError("--tag-col is the column --replace overwrites; add --replace (without it the tag is appended)")
    torch_device = setup_torch(device, threads)
    if workers > 1 and torch_device.type not in ("cpu", "cuda"):
        raise click.UsageError(f"--workers runs on the CPU or on CUDA, not on {torch_device.type}")
    if workers > 1 and threads != 1:
        raise click.UsageError("--workers run one torch thread each; --threads is for one process (drop one of them)")
    from ..checkpoints import check_model, load_model
    from ..inference import TagOptions, check_output, output_tags, resolve_labels, tag_files, tag_files_parallel
    from ..labelmap import parse_label_map
    from ..patterns import Patterns
    from ..progress import tag_progress
    from ..schemes import labels_of_tags

    if fmt is not None:  # before the model loads and input is awaited (a default format is checked once known)
        check_output(fmt, scores, replace)

    if prefer != "pattern" and patterns_path is None:
        raise click.UsageError("--prefer says whether a pattern or the model wins: it goes with --patterns FILE")
    patterns = Patterns.load(patterns_path) if patterns_path is not None else None
    tagger = load_model(model, torch_device, batch_size=batch_size, patterns=patterns, prefer=prefer, context=context) \
        if workers == 1 else None  # else one per worker
    gc.freeze()  # the model's 400,000 words live as long as we do: keep them out of every collection
    model_tags = (tagger.vocab.tags if tagger else check_model(model)["vocab"]["tags"]) \
        if patterns is not None or labels is not None or label_map else []
    if patterns is not None:
        known = {label.casefold(): label for label in labels_of_tags(model_tags)}
        for label in sorted(patterns.labels):
            if label not in known.values() and label.casefold() in known:
                note(f"warning: --patterns: {label} is a new type, not the model's {known[label.casefold()]} "
                     "(labels are read as written)")
    wanted = None
    if labels is not None:
        tags = output_tags(model_tags, patterns)
        wanted, notes = resolve_labels(labels.split(","), tags)
        for text in notes:
            note(text)
    mapping = parse_label_map(label_map, map_drop_others)
    if mapping is not None:
        types = labels_of_tags(output_tags(model_tags, patterns))
        for rule in mapping.unknown(types):
            note(f"warning: --map {rule}: the model has no type {rule.split('=')[0]!r} (its types: {', '.join(types)}); "
                 "the rule does nothing")
    paths = list(files) or ["-"]
    if not quiet:
        hint_if_typing(paths)
    to_screen = output is None and stdout_is_terminal()
    output_format = "pretty" if fmt is None and to_screen else fmt
    format_options = FormatOptions(input_format, output_format)
    tell = _teller(verbose)

    def on_format(name: str, chosen: str, why: str) -> None:
        format_options.on_format(name, chosen, why)
        tell(name, chosen, why)

    # output that goes to the screen shows its own progress
    with tag_progress(not quiet and sys.stderr.isatty() and not to_screen) as on_block, output_stream(output, fmt, paths) as out:
        options = TagOptions(
            input_format=input_format, output_format=output_format,
            min_score=min_score, replace_col=tag_col if replace else None, sep=sep, token_col=token_col,
            on_error=on_error_handler(on_error), on_format=on_format, labels=wanted, align=align, scores=scores,
            on_block=on_block, on_note=lambda text: note(f"warning: {text}"), label_map=mapping, redact_char=redact_char,
            label_names=label_names, annotation=annotation, data_key=data_key, directory=output, ls_config=ls_config,
            conllu_key=conllu_key, on_verbose=note if verbose else None)
        chunks = tag_files(paths, tagger, options) if tagger else \
            tag_files_parallel(paths, model, options, workers, batch_size, patterns=patterns, prefer=prefer, context=context,
                               device=str(torch_device))
        with contextlib.closing(chunks):  # (the workers' pool shut down now, not at exit, if a write fails)
            for chunk in chunks:
                out.write(chunk)
                out.flush()
    if verbose and mapping is not None and workers == 1:  # (workers count in their own processes)
        note(mapping.report())
    for text in format_options.unused():
        note(f"warning: {text}")


def _teller(verbose: bool):
    """``on_format`` for ``-v``: say which format each input was read as, and why."""
    def tell(name: str, chosen: str, why: str) -> None:
        if verbose:
            note(f"{name}: reading {chosen} ({why})")

    return tell
