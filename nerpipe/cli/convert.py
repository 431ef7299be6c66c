"""``nerpipe convert``: between formats and tag schemes."""

from __future__ import annotations

import click

from ..formats import INPUT_FORMATS, OUTPUT_FORMATS
from .options import (
    ALIGN,
    ANNOTATION,
    CONLLU_KEY,
    DATA_KEY,
    FILES,
    LABEL_NAMES,
    LS_CONFIG,
    MAP,
    MAP_DROP_OTHERS,
    ON_ERROR,
    OUTPUT,
    REDACT_CHAR,
    SCHEMES,
    SEP,
    FormatOptions,
    NerpipeCommand,
    check_ls_config,
    hint_if_typing,
    note,
    on_error_handler,
    output_stream,
)


@click.command(cls=NerpipeCommand)
@click.argument("files", type=FILES, nargs=-1)
@click.option("--from", "from_", type=click.Choice(["auto", *INPUT_FORMATS]), default="auto", show_default=True,
              help="Input format (auto: detected as by tag).")
@click.option("--to", type=click.Choice(OUTPUT_FORMATS), required=True, help="Output format.")
@click.option("--scheme", type=SCHEMES,
              help="Rewrite tags in this scheme (CoNLL output; default: keep them, iob2 from JSONL).")
@click.option("--token-col", type=int, default=0, show_default=True, help="CoNLL token column (negative counts from the end).")
@click.option("--tag-col", type=int, default=-1, show_default=True, help="CoNLL tag column (negative counts from the end).")
@MAP
@MAP_DROP_OTHERS
@REDACT_CHAR
@LABEL_NAMES
@ALIGN
@ON_ERROR
@SEP
@OUTPUT
@ANNOTATION
@DATA_KEY
@LS_CONFIG
@CONLLU_KEY
def convert(files, from_, to, scheme, token_col, tag_col, label_map, map_drop_others, redact_char, label_names, align, on_error,
            sep, output, annotation, data_key, ls_config, conllu_key):
    """Convert between CoNLL and JSONL spans, or between tag schemes.

    CoNLL to CoNLL with --scheme rewrites the tag column in place and keeps every
    other column, comment and -DOCSTART- line. CoNLL to JSONL and back gives the
    same bytes (the lines travel in each record's "conll" field). JSONL records
    without "tokens" are tokenised CoNLL-2003 style and their character spans
    aligned to the tokens (see --align).

    \b
    Examples:
      nerpipe convert --to conll --scheme iobes train.conll > train.iobes
      nerpipe convert --to jsonl train.conll | head -1
      nerpipe convert --from jsonl --to conll spans.jsonl
      nerpipe convert --to conll --map ontonotes-conll ontonotes.jsonl
      nerpipe convert --to brat -o corpus/ train.conll
      nerpipe convert --to conll export.json   # Label Studio's export
    """
    from ..convert import convert_files
    from ..labelmap import parse_label_map

    if redact_char is not None and (to != "redact" or len(redact_char) != 1):
        raise click.UsageError("--redact-char takes one character and goes with --to redact")
    check_ls_config(ls_config, to, output, list(files) or ["-"], flag="--to")
    from ..schemes import Scheme

    format_options = FormatOptions(from_, to, flag="--from", out_flag="--to")
    paths = list(files) or ["-"]
    hint_if_typing(paths)
    mapping = parse_label_map(label_map, map_drop_others)
    with output_stream(output, to, paths) as out:
        for chunk in convert_files(paths, from_, to, Scheme.parse(scheme) if scheme else None, sep=sep, token_col=token_col,
                                   tag_col=tag_col, align=align, on_error=on_error_handler(on_error),
                                   label_map=mapping, redact_char=redact_char,
                                   label_names=label_names, annotation=annotation, data_key=data_key, directory=output,
                                   ls_config=ls_config, conllu_key=conllu_key, on_note=lambda t: note(f"warning: {t}"),
                                   on_format=format_options.on_format):
            out.write(chunk)
    for text in format_options.unused():
        note(f"warning: {text}")
    for text in mapping.idle_notes("the input") if mapping is not None else ():
        note(f"warning: {text}")
