"""The ``nerpipe`` command: a click group over the library, one module per command.

Each command module declares its options and calls the library; what several share
(option declarations, notes on stderr) is in :mod:`.options`. A new command is one
module here and one line in :data:`COMMANDS`. Torch is imported only inside the
commands that need a model, so ``nerpipe --help`` and ``nerpipe score`` start fast.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
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


class _ClosedStdout(io.TextIOBase):
    """Standard output the caller closed (``>&-``): the first write is an error (exit 1),
    not a traceback, and not output that vanishes without a word."""

    name = "<stdout>"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return 1  # (held by the null device: nothing that opens a file later is given it)


def _standard_streams() -> None:
    """Standard streams the caller closed, each held by the null device, so that no file
    opened later takes its number: stdin reads as empty, stderr goes nowhere (never into
    the data on stdout), and stdout fails at its first write. Output is UTF-8."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            os.open(os.devnull, os.O_RDONLY if fd == 0 else os.O_WRONLY)  # the lowest free number: fd, those below open
            if fd == 0:
                sys.stdin = open(0, encoding="utf-8", closefd=False)
            elif fd == 1:
                sys.stdout = _ClosedStdout()
            else:
                sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
    # every format nerpipe writes is UTF-8, whatever the locale (LC_ALL=C without Python's UTF-8 mode: ASCII)
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.encoding.lower().replace("-", "") != "utf8":
            stream.reconfigure(encoding="utf-8")


def main() -> None:
    _standard_streams()
    try:
        cli.main(prog_name="nerpipe")
    except KeyboardInterrupt:
        sys.exit(130)
    except OSError as err:  # what the commands do not say themselves: --help's text to a full disk, say
        drop_stdout()
        with contextlib.suppress(OSError):
            click.echo(f"nerpipe: {f'{err.filename}: ' if err.filename else ''}{err.strerror or err}", err=True)
        sys.exit(1)
