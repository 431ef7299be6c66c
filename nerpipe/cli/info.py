"""``nerpipe info``: what a model file holds."""

from __future__ import annotations

import click

from ..views import INFO_VIEWS
from .options import NerpipeCommand, stdout_is_terminal


@click.command(cls=NerpipeCommand)
@click.argument("model", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option("--format", "fmt", type=click.Choice(["auto", *INFO_VIEWS]), default="auto", show_default=True)
def info(model, fmt):
    """Show what a model file holds: labels, scheme, sizes, training summary.

    Without MODEL, describes the embedded default model.

    \b
    Examples:
      nerpipe info model.pt
      nerpipe info --format json | jq .training.best_dev_f1
    """
    from ..checkpoints import describe

    if fmt == "auto":
        fmt = "table" if stdout_is_terminal() else "json"
    click.echo(INFO_VIEWS[fmt](describe(model)), nl=False)
