"""The ``nerpipe`` command: click commands over the library, nothing else.

Torch is imported only inside the commands that need a model, so ``nerpipe --help``
and ``nerpipe score`` start fast.
"""

from __future__ import annotations

import os
import sys

import click

from . import __version__
from .errors import NerpipeError

FILES = click.Path(exists=True, dir_okay=False, allow_dash=True)
SEP = click.option("--sep", type=click.Choice(["auto", "tab", "space"]), default="auto", show_default=True,
                   help="CoNLL column separator: tab, runs of spaces, or decided by the first token line.")


class NerpipeGroup(click.Group):
    """Turns library errors into exit statuses, in one place.

    1: bad data (``FILE:LINE: message``); 2: usage (click); 130: Ctrl-C;
    a reader that closes the pipe early (``| head``) ends us quietly with 0.
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except NerpipeError as err:
            raise click.ClickException(str(err)) from None
        except KeyboardInterrupt:
            click.echo("nerpipe: interrupted", err=True)
            raise click.exceptions.Exit(130) from None
        except BrokenPipeError:
            # Python would complain again when it flushes stdout at exit.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(0) from None


@click.group(cls=NerpipeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="nerpipe")
def cli() -> None:
    """Named-entity recognition as a Unix filter.

    \b
    Examples:
      cat doc.txt | nerpipe tag                       # entities in plain text
      nerpipe train train.conll --dev dev.conll -o model.pt
      nerpipe tag --model model.pt test.conll | nerpipe score
      nerpipe score gold.conll pred.conll             # conlleval's P/R/F1

    Exit status: 0 success, 1 bad data, 2 usage error, 130 interrupted.
    """


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


@cli.command()
@click.argument("gold", type=FILES, default="-")
@click.argument("pred", type=FILES, required=False)
@click.option("--format", "fmt", type=click.Choice(["auto", "table", "text", "json", "conlleval"]), default="auto",
              show_default=True, help="auto: a table on a terminal, plain aligned text in a pipe.")
@click.option("--strict", is_flag=True, help="seqeval's strict mode: only well-formed entities count (needs --scheme).")
@click.option("--scheme", type=click.Choice(["iob1", "iob2", "iobes", "bilou"]),
              help="Read the tags in this scheme and score them as IOB2 (with --strict: seqeval's scheme).")
@click.option("--gold-col", type=int, default=-1, show_default=True, help="Tag column of GOLD (two-file mode).")
@click.option("--pred-col", type=int, default=-1, show_default=True, help="Tag column of PRED (two-file mode).")
@SEP
def score(gold, pred, fmt, strict, scheme, gold_col, pred_col, sep):
    """Entity-level precision, recall and F1, identical to conlleval.

    With GOLD and PRED, compare the tag columns of two CoNLL files holding the same
    tokens. With one FILE (or stdin), read conlleval's layout: the last two columns
    are the gold and the predicted tag.

    Zero division: precision is 0 with no predicted entity, recall is 0 with no
    gold entity, F1 is 0 when both are 0; an empty input scores all zeros.

    \b
    Examples:
      nerpipe score gold.conll pred.conll
      nerpipe tag --model m.pt gold.conll | nerpipe score --format json
      nerpipe score --format conlleval output.txt
    """
    from .schemes import Scheme
    from .scoring import score_files

    if strict and not scheme:
        raise click.UsageError("--strict needs --scheme iob2, iobes or bilou")
    result = score_files(gold, pred, sep=sep, strict=strict, scheme=Scheme.parse(scheme) if scheme else None,
                         gold_col=gold_col, pred_col=pred_col)
    if fmt == "auto":
        fmt = "table" if _stdout_is_terminal() else "text"
    if fmt == "table":
        from rich.console import Console

        Console().print(result.rich_table())
    elif fmt == "json":
        click.echo(result.to_json())
    elif fmt == "conlleval":
        click.echo(result.conlleval_report(), nl=False)
    else:
        click.echo(result.text_report(), nl=False)


@cli.command()
@click.argument("files", type=FILES, nargs=-1)
@click.option("--from", "from_", type=click.Choice(["auto", "conll", "jsonl"]), default="auto", show_default=True,
              help="Input format (auto: JSONL when the first line is a JSON object).")
@click.option("--to", type=click.Choice(["conll", "jsonl"]), required=True, help="Output format.")
@click.option("--scheme", type=click.Choice(["iob1", "iob2", "iobes", "bilou"]),
              help="Rewrite tags in this scheme (CoNLL output; default: keep them, iob2 from JSONL).")
@click.option("--token-col", type=int, default=0, show_default=True, help="CoNLL token column (negative counts from the end).")
@click.option("--tag-col", type=int, default=-1, show_default=True, help="CoNLL tag column (negative counts from the end).")
@SEP
def convert(files, from_, to, scheme, token_col, tag_col, sep):
    """Convert between CoNLL and JSONL spans, or between tag schemes.

    CoNLL to CoNLL with --scheme rewrites the tag column in place and keeps every
    other column, comment and -DOCSTART- line. JSONL records without "tokens" are
    tokenised CoNLL-2003 style.

    \b
    Examples:
      nerpipe convert --to conll --scheme iobes train.conll > train.iobes
      nerpipe convert --to jsonl train.conll | head -1
      nerpipe convert --from jsonl --to conll spans.jsonl
    """
    from .convert import convert_files
    from .schemes import Scheme

    for chunk in convert_files(list(files) or ["-"], from_, to, Scheme.parse(scheme) if scheme else None,
                               sep=sep, token_col=token_col, tag_col=tag_col):
        sys.stdout.write(chunk)


def main() -> None:
    try:
        cli.main(prog_name="nerpipe")
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
