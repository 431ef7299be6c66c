"""The README, the man page and .ci/run stay in step with the CLI."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import click
import pytest

from nerpipe.cli import cli

ROOT = Path(__file__).resolve().parents[1]
MAN = (ROOT / "man" / "nerpipe.1").read_text()
README = (ROOT / "README.md").read_text()
MAN_TEXT = MAN.replace("\\-", "-")
CPU_TORCH = "pip install torch --index-url https://download.pytorch.org/whl/cpu"


def options(command: click.Command) -> list[str]:
    """Every spelling of every option of a command (long, short, --no-...), --help and -h aside."""
    names = []
    for param in command.params:
        if isinstance(param, click.Option):
            names += [n for n in param.opts + param.secondary_opts if n not in ("--help", "-h")]
    return names


def man_option_entries() -> dict[str, set[str]]:
    """The options named in each OPTIONS subsection's entry headings (the line after .TP)."""
    entries: dict[str, set[str]] = {}
    lines = MAN.splitlines()
    section = subsection = None
    for line, after in zip(lines, lines[1:] + [""]):
        if line.startswith(".SH"):
            section, subsection = line[3:].strip().strip('"'), None
        elif line.startswith(".SS"):
            subsection = line[3:].strip().strip('"')
        elif line == ".TP" and section == "OPTIONS" and subsection:
            heading = after.replace("\\-", "-")
            entries.setdefault(subsection, set()).update(re.findall(r"(?<![\w-])(--?[A-Za-z0-9][\w-]*)", heading))
    return entries


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_and_option_is_in_the_man_page(name):
    command = cli.commands[name]
    assert re.search(rf"^\.B {name}$", MAN, re.MULTILINE), f"{name} has no entry under COMMANDS"
    entries = man_option_entries()
    documented = set().union(*entries.values())
    missing = [opt for opt in options(command) if opt not in documented]
    assert not missing, f"nerpipe {name}: {missing} have no entry under OPTIONS in man/nerpipe.1"
    stale = entries.get(name, set()) - set(options(command))
    assert not stale, f"man/nerpipe.1 documents {sorted(stale)} under {name}, which has no such option"


def test_global_and_shared_options_in_the_man_page_exist():
    entries = man_option_entries()
    assert entries["Global options"] == set(options(cli)) | {"--help", "-h"}
    every = set().union(*(options(c) for c in cli.commands.values()))
    assert entries["Options shared by several commands"] <= every


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_is_in_the_readme(name):
    assert f"nerpipe {name}" in README


def test_man_page_sections():
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "FORMATS", "EXIT STATUS",
                    "SHELL COMPLETION", "FILES", "EXAMPLES", "SEE ALSO"):
        assert f'.SH {section}' in MAN or f'.SH "{section}"' in MAN


def test_man_page_renders_without_warnings():
    if shutil.which("man") is None:
        pytest.skip("man is not installed")
    env = {**os.environ, "MANWIDTH": "80", "LC_ALL": "C.UTF-8", "MAN_KEEP_STDERR": "1"}
    done = subprocess.run(["man", "--warnings=all", "-l", str(ROOT / "man" / "nerpipe.1")],
                          check=False, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr
    for heading in ("SHELL COMPLETION", "FILES", "EXIT STATUS"):
        assert re.search(rf"^{heading}$", done.stdout, re.MULTILINE)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_readme_and_man_page_say_how_to_set_up_completion(shell):
    line = f"_NERPIPE_COMPLETE={shell}_source nerpipe"
    assert line in README.split("### Shell completion", 1)[1], f"README's Shell completion lacks {line}"
    assert line in MAN_TEXT.split(".SH SHELL COMPLETION", 1)[1], f"man page's SHELL COMPLETION lacks {line}"


def readme_setup_commands() -> list[str]:
    """The shell blocks of the README's Set up section (before its Shell completion part)."""
    setup = README.split("\n## Set up\n", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```", setup, re.MULTILINE | re.DOTALL)
    assert all(block.count("\n") == 1 for block in blocks), "each set-up step is one line to paste"
    return [block.strip() for block in blocks]


def test_readme_sets_up_a_fresh_machine_without_a_gpu():
    clone, tag, test = readme_setup_commands()
    assert clone.startswith("git clone ") and "&& cd nerpipe &&" in clone
    assert "python3 -m venv .venv && . .venv/bin/activate" in clone
    # CPU torch before anything that would pull torch from PyPI (a multi-GB CUDA build)
    for command in (tag, test):
        assert command.startswith(CPU_TORCH + " && pip install ")
    assert tag.endswith(" && nerpipe tag examples/doc.txt") and (ROOT / "examples" / "doc.txt").is_file()
    assert test.endswith(" && python -m pytest") and "-e '.[test" in test


def test_ci_runs_the_readme_test_command():
    test = readme_setup_commands()[2]
    ci = (ROOT / ".ci" / "run").read_text()
    lines = [line for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    # verbatim, as the last command, once, after a fresh venv and the CPU torch wheel
    assert lines[-1] == test
    assert ci.count(test) == 1
    assert "set -euo pipefail" in lines
    venv = next(i for i, line in enumerate(lines) if "-m venv" in line)
    torch = next(i for i, line in enumerate(lines) if line.startswith("pip install -q torch=="))
    assert venv < torch < len(lines) - 1
