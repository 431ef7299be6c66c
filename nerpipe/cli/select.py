"""``nerpipe select``: the records of a pool most worth annotating next."""

from __future__ import annotations

import click

from ..formats import INPUT_FORMATS, OUTPUT_FORMATS
from .options import (
    ALIGN,
    ANNOTATION,
    DATA_KEY,
    DEVICE,
    FILES,
    LS_CONFIG,
    ON_ERROR,
    OUTPUT,
    SEP,
    THREADS,
    FormatOptions,
    NerpipeCommand,
    check_ls_config,
    given,
    hint_if_typing,
    note,
    on_error_handler,
    output_stream,
    refuse_overwrite,
    setup_torch,
)


@click.command(cls=NerpipeCommand, name="select")
@click.argument("files", type=FILES, nargs=-1)
@click.option("-n", "n", type=click.IntRange(1), required=True, help="How many records to choose.")
@click.option("-m", "--model", type=click.Path(exists=True, dir_okay=False), help="Model file (default: the embedded English model).")
@click.option("--strategy", type=click.Choice(["entropy", "total-entropy", "diverse-entropy", "bald", "sequence", "random"]),
              default="total-entropy", show_default=True,
              help="entropy: mean tag entropy of the tokens (CRF marginals); total-entropy: their sum (long records with "
                   "much to learn first); diverse-entropy: the sum, a word's entropy counting half for each record "
                   "chosen with it; bald: the sum of what 8 passes with dropout disagree on (8x slower); "
                   "sequence: -log P(best tags) per token; random: a uniform sample, the baseline.")
@click.option("--exclude", type=click.Path(dir_okay=True, allow_dash=False), multiple=True,
              help="Skip records whose text (near-duplicates too) is in this file: those already annotated (repeatable, "
                   "any format; a file not there yet, as before the first round, excludes nothing).")
@click.option("--labels", metavar="LIST",
              help="The entity types you will annotate (say PER,ORG,LOC): only their doubts count (the other types' "
                   "tags count as O in the entropies), the pre-annotations hold only their entities and --config "
                   "offers only them. Default: all the model's.")
@click.option("--seed", type=int, default=0, show_default=True, help="The random strategy's seed.")
@click.option("-i", "--input-format", type=click.Choice(["auto", *INPUT_FORMATS]), default="auto", show_default=True,
              help="The pool's format (as tag reads it).")
@click.option("-f", "--format", "fmt", type=click.Choice(OUTPUT_FORMATS), default="jsonl", show_default=True,
              help="Output format; labelstudio, doccano and brat give pre-annotations to those tools.")
@click.option("--batch-size", type=click.IntRange(1), default=256, show_default=True, help="Sentences per model batch.")
@OUTPUT
@LS_CONFIG
@ANNOTATION
@DATA_KEY
@ON_ERROR
@ALIGN
@SEP
@DEVICE
@THREADS
def select_command(files, n, model, strategy, exclude, labels, seed, input_format, fmt, batch_size, output, ls_config, annotation,
                   data_key, on_error, align, sep, device, threads):
    """Choose the N records of a pool the model is least sure of, to annotate next.

    The pool (files or stdin, any input format) streams through the model; memory
    holds N records however large it is. Near-duplicates count once, and records
    already annotated (--exclude) are skipped. The chosen records come out most
    uncertain first, with the model's entities as pre-annotations and their
    uncertainty in "meta".

    \b
    Examples:
      nerpipe select -n 200 pool.txt > batch.jsonl
      nerpipe select -n 200 --exclude gold.jsonl -f labelstudio --config config.xml pool.txt > tasks.json
      nerpipe select -n 200 --strategy random --seed 1 pool.txt > baseline.jsonl
      nerpipe select -n 200 --labels PER,ORG,LOC pool.txt > batch.jsonl   # no MISC to annotate
    """
    from ..checkpoints import load_model
    from ..formats import ReadOptions, WriteOptions
    from ..inference import resolve_labels
    from ..selection import select_files

    read = [*(list(files) or ["-"]), *exclude, *([model] if model else [])]  # what -o must not be
    refuse_overwrite("-o", output, read)
    check_ls_config(ls_config, fmt, output, read)
    if strategy != "random" and given(click.get_current_context(), "seed"):
        raise click.UsageError(f"--seed draws the random strategy's sample; --strategy {strategy} draws nothing")
    format_options = FormatOptions(input_format, fmt)
    if labels is not None and strategy == "sequence":
        raise click.UsageError("--labels counts some types' doubts, which the sequence strategy cannot: "
                               "use an entropy strategy")
    tagger = load_model(model, setup_torch(device, threads), batch_size=batch_size)
    chosen = None
    if labels is not None:
        wanted, notes = resolve_labels(labels.split(","), tagger.vocab.tags)
        for text in notes:
            note(text)
        chosen = [label for label in tagger.labels if label in wanted]  # in the model's order
    paths = list(files) or ["-"]
    hint_if_typing(paths)
    read = ReadOptions(sep=sep, on_error=on_error_handler(on_error), align=align, annotation=annotation, data_key=data_key)
    write = WriteOptions(scheme=tagger.scheme, keep_gold=True, labels=tuple(chosen or tagger.labels), directory=output,
                         data_key=data_key, config=ls_config)
    with output_stream(output, fmt, read) as out:
        for chunk in select_files(paths, tagger, n, fmt, strategy, seed, exclude, input_format, read, write, on_note=note,
                                  labels=chosen, on_format=format_options.on_format):
            out.write(chunk)
    for text in format_options.unused():
        note(f"warning: {text}")
