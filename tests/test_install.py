"""What `pip install` puts where: the wheel's contents, the manual page where `man`
finds it, and shell completion through the installed `nerpipe` command."""

import importlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import nerpipe

ROOT = Path(__file__).resolve().parents[1]
MAN_PAGE = ROOT / "man" / "nerpipe.1"
BIN = Path(sys.prefix) / "bin"
NERPIPE = BIN / "nerpipe"

pytestmark = pytest.mark.slow  # builds a wheel; runs man, the installed command and shells


@pytest.fixture(scope="module")
def wheel(tmp_path_factory, request) -> zipfile.ZipFile:
    """A wheel built from this source tree by the project's own build backend (PEP 517)."""
    backend_name = re.search(r'^build-backend\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)[1]
    try:
        backend = importlib.import_module(backend_name)
    except ImportError:
        pytest.skip(f"the build backend {backend_name} is not installed (it comes with the test extra)")
    out = tmp_path_factory.mktemp("wheel")
    cwd = os.getcwd()
    os.chdir(ROOT)  # PEP 517 hooks run in the source tree
    try:
        name = backend.build_wheel(str(out))
    finally:
        os.chdir(cwd)
    archive = zipfile.ZipFile(out / name)
    request.addfinalizer(archive.close)
    return archive


def test_wheel_ships_every_subpackage_and_module(wheel):
    names = set(wheel.namelist())
    package = ROOT / "nerpipe"
    subpackages = [d for d in package.rglob("*") if d.is_dir() and (d / "__init__.py").is_file()]
    assert package / "formats" in subpackages  # the one a wheel once lacked
    for directory in [package, *subpackages]:
        init = (directory / "__init__.py").relative_to(ROOT).as_posix()
        assert init in names, f"the wheel lacks the package {init}"
    modules = [p.relative_to(ROOT).as_posix() for p in package.rglob("*.py") if "__pycache__" not in p.parts]
    assert not [m for m in modules if m not in names], "the wheel lacks modules"


def test_wheel_ships_the_model_the_man_page_and_the_command(wheel):
    names = set(wheel.namelist())
    assert "nerpipe/models/en-conll2003.pt" in names
    data = f"nerpipe-{nerpipe.__version__}.data/data/share/man/man1/nerpipe.1"
    assert data in names, "the man page is not installed into <prefix>/share/man/man1"
    assert wheel.read(data) == MAN_PAGE.read_bytes()
    entry_points = wheel.read(f"nerpipe-{nerpipe.__version__}.dist-info/entry_points.txt").decode()
    assert "nerpipe = nerpipe.cli:main" in entry_points
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/")) or "__pycache__" in n]


def installed() -> None:
    if not NERPIPE.is_file():
        pytest.skip(f"nerpipe is not installed in {sys.prefix} (tests run from the source tree)")


def test_man_page_is_installed_where_man_finds_it():
    installed()
    page = Path(sys.prefix) / "share" / "man" / "man1" / "nerpipe.1"
    assert page.is_file(), f"{page} is missing: install again (pip install -e '.[test,glove]')"
    assert page.read_text().startswith(".TH NERPIPE 1 ")
    if shutil.which("man") is None:
        pytest.skip("man is not installed")
    # as in a fresh shell with the virtualenv activated: man derives its path from PATH
    env = {k: v for k, v in os.environ.items() if k not in ("MANPATH", "MANPAGER", "PAGER")}
    env["PATH"] = f"{BIN}{os.pathsep}/usr/bin{os.pathsep}/bin"
    found = subprocess.run(["man", "-w", "nerpipe"], check=False, capture_output=True, text=True, env=env, timeout=60)
    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.strip()).samefile(page)


def completion_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra}


def complete(words: str, cword: int) -> list[str]:
    """click's bash protocol: what the installed command offers for COMP_WORDS."""
    env = completion_env(COMP_WORDS=words, COMP_CWORD=str(cword), _NERPIPE_COMPLETE="bash_complete")
    done = subprocess.run([str(NERPIPE)], check=False, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return done.stdout.splitlines()


@pytest.mark.parametrize("words, cword, expected", [
    ("nerpipe ta", 1, {"plain,tag"}),
    ("nerpipe ", 1, {"plain,tag", "plain,train", "plain,score", "plain,convert", "plain,info"}),
    ("nerpipe tag --min-s", 2, {"plain,--min-score"}),
    ("nerpipe score --format ", 3, {"plain,conlleval", "plain,json"}),
    ("nerpipe convert --scheme io", 3, {"plain,iob1", "plain,iob2", "plain,iobes"}),
    ("nerpipe tag examp", 2, {"file,examp"}),
])
def test_completion_protocol(words, cword, expected):
    installed()
    offered = complete(words, cword)
    assert expected <= set(offered), offered


def completion_script(shell: str, tmp_path: Path) -> Path:
    """The script the README and the man page tell each shell to load."""
    env = completion_env(_NERPIPE_COMPLETE=f"{shell}_source")
    done = subprocess.run([str(NERPIPE)], capture_output=True, text=True, env=env, timeout=60, check=True)
    script = tmp_path / f"nerpipe.{shell}"
    script.write_text(done.stdout)
    return script


def need(shell: str) -> str:
    installed()
    path = shutil.which(shell)
    if path is None:
        pytest.skip(f"{shell} is not installed")
    return path


def test_bash_completion_script(tmp_path):
    bash = need("bash")
    script = completion_script("bash", tmp_path)
    run = (f'source {script} && complete -p nerpipe && COMP_WORDS=(nerpipe tag --lab) COMP_CWORD=2 '
           '&& _nerpipe_completion nerpipe && printf "<%s>\\n" "${COMPREPLY[@]}"')
    done = subprocess.run([bash, "--norc", "--noprofile", "-c", run], check=False, capture_output=True, text=True,
                          env=completion_env(), timeout=60)
    assert done.returncode == 0, done.stderr
    assert "complete -o nosort -F _nerpipe_completion nerpipe" in done.stdout
    assert "<--labels>" in done.stdout.splitlines()


def test_zsh_completion_script(tmp_path):
    """Types `nerpipe ta<Tab>` into an interactive zsh on a pseudo-terminal."""
    zsh = need("zsh")
    script = completion_script("zsh", tmp_path)
    result = tmp_path / "buffer"
    driver = tmp_path / "drive.zsh"
    driver.write_text(f"""
zmodload zsh/zpty
zpty z '{zsh} -f -i'
zpty -w z 'autoload -Uz compinit && compinit -u -D && source {script}'
zpty -w z 'save() {{ print -r -- "$BUFFER" > {result} }}; zle -N save; bindkey "^X" save'
zpty -w -n z $'nerpipe score --form\\t\\C-x'
for i in {{1..300}}; do [[ -s {result} ]] && break; sleep 0.1; done
zpty -d z
""")
    subprocess.run([zsh, "-f", str(driver)], check=False, capture_output=True, env=completion_env(), timeout=60)
    assert result.is_file(), "zsh never ran the key binding"
    assert result.read_text() == "nerpipe score --format \n"


def test_fish_completion_script(tmp_path):
    fish = need("fish")
    script = completion_script("fish", tmp_path)
    done = subprocess.run([fish, "--no-config", "-c", f"source {script}; complete -C 'nerpipe tag --in'"],
                          check=False, capture_output=True, text=True, env=completion_env(), timeout=60)
    assert done.returncode == 0, done.stderr
    assert "--input-format" in [line.split("\t")[0] for line in done.stdout.splitlines()]
