"""The README, the man page and .ci/run stay in step with the CLI."""

import re
from pathlib import Path

import click
import pytest

from nerpipe.cli import cli

ROOT = Path(__file__).resolve().parents[1]
MAN = (ROOT / "man" / "nerpipe.1").read_text()
README = (ROOT / "README.md").read_text()
MAN_TEXT = MAN.replace("\\-", "-")


def options(command: click.Command) -> list[str]:
    names = []
    for param in command.params:
        if isinstance(param, click.Option):
            names += [n for n in param.opts + param.secondary_opts if n.startswith("--") and n != "--help"]
    return names


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_and_option_is_in_the_man_page(name):
    command = cli.commands[name]
    assert re.search(rf"^\.B {name}$", MAN, re.M), f"{name} has no entry under COMMANDS"
    missing = [opt for opt in options(command) if opt not in MAN_TEXT]
    assert not missing, f"nerpipe {name}: {missing} not in man/nerpipe.1"


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_is_in_the_readme(name):
    assert f"nerpipe {name}" in README


def test_man_page_sections():
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "FORMATS", "EXIT STATUS", "EXAMPLES", "SEE ALSO"):
        assert f'.SH {section}' in MAN or f'.SH "{section}"' in MAN


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    command = ci[-1]
    assert "pytest" in command and command in README
    assert "pip install -q torch==2.13.0" in "\n".join(ci)
