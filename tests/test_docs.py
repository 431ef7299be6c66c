"""The README, docs/, the changelog, the man page and .ci/run stay in step with the CLI,
with the code and with each other."""

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
DOCS = sorted((ROOT / "docs").glob("*.md"))
# every page a reader of the repository sees: README, docs/*.md and the changelog
PAGES = [ROOT / "README.md", *DOCS, ROOT / "CHANGELOG.md"]
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


@pytest.mark.slow
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


def page(name: str) -> str:
    return (ROOT / name).read_text()


def test_the_docs_pages_exist_and_the_readme_links_each():
    names = {p.name for p in DOCS}
    assert {"tagging.md", "formats.md", "training.md", "scoring.md", "benchmarks.md", "architecture.md"} <= names
    for doc in DOCS:
        assert f"](docs/{doc.name})" in README, f"README's Where to read more does not link docs/{doc.name}"
    assert "](CHANGELOG.md)" in README


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_points_outside_the_repository(path):
    # figures measured on data beside a checkout name the data, not a path on one machine
    assert "../shared" not in path.read_text(), f"{path.relative_to(ROOT)} mentions ../shared"


def without_code_blocks(text: str) -> str:
    return re.sub(r"^(```|~~~).*?^\1", "", text, flags=re.MULTILINE | re.DOTALL)


def without_code(text: str) -> str:
    """Markdown without fenced blocks and inline code: links inside them are not links."""
    return re.sub(r"`[^`\n]*`", "", without_code_blocks(text))


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as
    hyphens, a repeated heading numbered -1, -2, ..."""
    found, counts = set(), {}
    for heading in re.findall(r"^#{1,6}\s+(.*?)\s*#*$", without_code_blocks(text), re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        found.add(f"{slug}-{counts[slug]}" if slug in counts else slug)
        counts[slug] = counts.get(slug, 0) + 1
    return found


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_to_a_file_that_exists(path):
    text = path.read_text()
    broken = []
    for target in re.findall(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", without_code(text)):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        resolved = (path.parent / file).resolve() if file else path
        if ROOT not in resolved.parents and resolved != ROOT:
            broken.append(f"{target} (outside the repository)")
        elif not resolved.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved.read_text()):
            broken.append(f"{target} (no heading with that anchor)")
    assert not broken, f"{path.relative_to(ROOT)}: broken links {broken}"


def test_readme_figures_are_in_the_benchmarks_page():
    """The README's headline figures are a summary: each must be one docs/benchmarks.md
    gives with its command, so the two cannot drift apart."""
    section = README.split("\n## Accuracy and speed\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|") and not line.startswith("| ---")]
    figures = {n for line in rows for n in re.findall(r"\d+(?:[.,]\d+)+", line)}
    assert len(figures) >= 8, f"the README's table of figures is gone or changed shape: {figures}"
    benchmarks = page("docs/benchmarks.md")
    missing = sorted(f for f in figures if f not in benchmarks)
    assert not missing, f"README figures not in docs/benchmarks.md: {missing}"
    for script in re.findall(r"benchmarks/(\w+\.py)", section):
        assert (ROOT / "benchmarks" / script).is_file(), script


def test_every_benchmark_script_is_in_the_benchmarks_page():
    benchmarks = page("docs/benchmarks.md")
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        assert script.name in benchmarks, f"docs/benchmarks.md does not say what {script.name} measures"


def test_every_format_has_a_heading_in_the_formats_page():
    from nerpipe.formats import FORMATS

    headings = " ".join(re.findall(r"^#+ (.*)$", without_code_blocks(page("docs/formats.md")), re.MULTILINE)).lower()
    missing = [name for name in FORMATS if name not in headings]
    assert not missing, f"docs/formats.md has no section for {missing}"


def test_every_module_is_in_the_architecture_page():
    """The module map names every module: a new one gets its line when it lands."""
    text = page("docs/architecture.md")
    package = ROOT / "nerpipe"
    missing = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package)
        if path.name.startswith("_") or any(part.startswith(("_", ".")) for part in rel.parts[:-1]):
            continue  # __init__.py, __main__.py, private helpers
        if len(rel.parts) > 1 and f"{rel.parts[0]}/`" not in text:
            missing.append(f"{rel.parts[0]}/")
        if f"`{path.name}`" not in text:
            missing.append(str(rel))
    assert not missing, f"docs/architecture.md's module map lacks {sorted(set(missing))}"



def test_every_man_page_line_opening_with_a_dot_is_a_request():
    """A line of text that opens with a dot (".bioes, .iobes") is read as an unknown
    request and dropped without a word; so is every macro argument's double quote."""
    requests = {"B", "BI", "BR", "I", "IB", "IR", "PP", "RB", "RE", "RI", "RS", "SH", "SS", "TH", "TP", "br", "fi", "hy",
                "nf", "nh", "EX", "EE", "IP", "sp", "in", "ad", "na"}
    for number, line in enumerate(MAN.splitlines(), 1):
        if line.startswith(".") and not line.startswith('.\\"'):
            assert line[1:].split(" ")[0] in requests, f"man/nerpipe.1:{number}: {line}"
        if line.startswith((".B ", ".I ")) and line.count('"') > 2:
            raise AssertionError(f"man/nerpipe.1:{number}: quotes inside a macro's argument are eaten: {line}")
