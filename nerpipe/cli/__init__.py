"""The ``nerpipe`` command: a click group over the library, one module per command.

Each command module declares its options and calls the library; what several share
(option declarations, notes on stderr) is in :mod:`.options`. A new command is one
module here and one line in :data:`COMMANDS`. Torch is imported only inside the
commands that need a model, so ``nerpipe --help`` and ``nerpipe score`` start fast.
"""

from __future__ import annotations

import contextlib
import sys

import click

from .. import __version__
from ..errors import NerpipeError, UsageError
from .annotate import annotate
from .convert import convert
from .info import info
from .options import drop_stdout
from .score import score
from .select import select_command
from .tag import tag
from .train import train

COMMANDS = [score, convert, train, tag, select_command, annotate, info]  # (--help lists them alphabetically)


class NerpipeGroup(click.Group):
    """Turns library errors into exit statuses, in one place.

    1: bad data (``FILE:LINE: message``); 2: usage (click); 130: Ctrl-C;
    a reader that closes the pipe early (``| head``) ends us quietly with 0.
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UsageError as err:
            raise click.UsageError(str(err)) from None
        except NerpipeError as err:
            raise click.ClickException(str(err)) from None
        except KeyboardInterrupt:
            click.echo("nerpipe: interrupted", err=True)
            raise click.exceptions.Exit(130) from None
        except BrokenPipeError:
            drop_stdout()
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


for _command in COMMANDS:
    cli.add_command(_command)


def main() -> None:
    try:
        cli.main(prog_name="nerpipe")
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as err:  # what the commands do not say themselves: --help's text to a full disk, say
        drop_stdout()
        with contextlib.suppress(OSError):
            click.echo(f"nerpipe: {f'{err.filename}: ' if err.filename else ''}{err.strerror or err}", err=True)
        sys.exit(1)
