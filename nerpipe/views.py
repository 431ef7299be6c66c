"""The command outputs that are not record formats: ``score``'s report and ``info``'s
model description, each a name -> renderer table (as :data:`nerpipe.formats.FORMATS`
is for records), so a new view is one function and one line (no torch).

A renderer returns the whole text to write. Rich tables are rendered for standard
output as it is (colours on a terminal, none in a pipe), as rich would print them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .scoring import Score


def _rich(*renderables) -> str:
    from .console import console

    out = console()
    with out.capture() as capture:
        for renderable in renderables:
            out.print(renderable)
    return capture.get()


def _score_table(score: Score, title: str) -> str:
    from .report import errors_rich, score_rich_table

    return _rich(score_rich_table(score), *(errors_rich(score.errors) if score.errors else []))


def _score_text(score: Score, title: str) -> str:
    from .report import errors_text, score_text

    return score_text(score) + (errors_text(score.errors) if score.errors else "")


def _score_conlleval(score: Score, title: str) -> str:
    from .report import conlleval_text, errors_text

    return conlleval_text(score) + (errors_text(score.errors) if score.errors else "")


def _score_html(score: Score, title: str) -> str:
    from .report import html_report

    return html_report(score, title)


# name -> (score, page title) -> text; "auto" is the caller's: table on a terminal, else text
SCORE_VIEWS: dict[str, Callable[[Score, str], str]] = {
    "table": _score_table,
    "text": _score_text,
    "json": lambda score, title: score.to_json() + "\n",
    "conlleval": _score_conlleval,
    "html": _score_html,
}
SCORE_NEEDS_ERRORS = {"html"}  # views that show the error analysis whether or not it was asked for


def _info_table(data: dict) -> str:
    from rich.table import Table

    table = Table(title=data["path"], show_header=False, title_justify="left")
    for key, value in data.items():
        if key != "training":
            table.add_row(key, json.dumps(value) if isinstance(value, (dict, list)) else str(value))
    training = data.get("training", {})
    for key in ("train_files", "dev_files"):  # what it learned from: the paths (SHA-256 and sizes in --format json)
        files = training.get(key)
        if isinstance(files, list) and files:
            table.add_row(f"training.{key}", ", ".join(str(f.get("path")) if isinstance(f, dict) else str(f) for f in files))
    base = (training.get("config") or {}).get("init_model") if isinstance(training.get("config"), dict) else None
    if base:
        table.add_row("training.init_model", str(base))
    for key in ("train_sentences", "train_tokens", "epochs_run", "steps_run", "best_epoch", "best_dev_f1", "stopped", "seed",
                "threads"):
        if training.get(key) is not None:
            value = training[key]
            if key == "stopped" and value == "unfinished":
                value = "unfinished (the run was interrupted, or is still going; train --resume continues it)"
            table.add_row(f"training.{key}", f"{value:.2f}" if isinstance(value, float) else str(value))
        elif key == "stopped" and training:
            table.add_row("training.stopped", "not recorded (an older model file)")
    return _rich(table)


# name -> (checkpoints.describe()'s dict) -> text
INFO_VIEWS: dict[str, Callable[[dict], str]] = {
    "table": _info_table,
    "json": lambda data: json.dumps(data, indent=2) + "\n",
}
