"""The scripts in benchmarks/ still load, so that a change elsewhere cannot break one unnoticed.

Running them takes minutes and CoNLL-2003; here each is only imported (its ``main`` not
run), and every import it makes, those inside its functions too, must resolve.
"""

import ast
import importlib
import importlib.util
import os
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
FILES = sorted(BENCHMARKS.glob("*.py"))
SCRIPTS = [path for path in FILES if 'if __name__ == "__main__":' in path.read_text()]
HELPERS = [path for path in FILES if path not in SCRIPTS]  # modules the scripts share (detokenize.py)


@pytest.fixture(autouse=True)
def benchmarks_on_path(monkeypatch):
    """benchmarks/ first on sys.path, as when a script runs (they import their siblings);
    whatever a script does to sys.path or os.environ on import is undone afterwards."""
    monkeypatch.setattr(sys, "path", [str(BENCHMARKS), *sys.path])
    environ = dict(os.environ)
    yield
    for name in set(os.environ) - set(environ):
        del os.environ[name]
    os.environ.update(environ)


def load(path: Path, monkeypatch):
    """Import the file as a module, not as ``__main__``: its top level runs, its main() does not."""
    name = f"benchmark_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)  # as import does (dataclasses look the module up)
    spec.loader.exec_module(module)
    return module


def imports(path: Path):
    """``(module, names)`` for every import statement in the file, in its functions too."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: a relative import, which a script cannot make"
            yield node.module, tuple(alias.name for alias in node.names)


def test_there_are_scripts_and_every_helper_is_used():
    assert SCRIPTS, f"no scripts in {BENCHMARKS}"
    imported = {module for path in SCRIPTS for module, _ in imports(path)}
    for helper in HELPERS:
        assert helper.stem in imported, f"benchmarks/{helper.name} has no main() and no script imports it"


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: path.name)
def test_script_imports_and_has_a_main(path, monkeypatch):
    module = load(path, monkeypatch)
    assert callable(getattr(module, "main", None)), f"benchmarks/{path.name} has no main()"


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_every_name_a_script_imports_exists(path):
    """Imports inside main() run only when the benchmark does: check that each still finds
    its module and names (nerpipe's modules move; a sibling such as detokenize must be found)."""
    for module_name, names in imports(path):
        module = importlib.import_module(module_name)
        missing = [name for name in names if not has(module, name)]
        assert not missing, f"benchmarks/{path.name}: {module_name} has no {', '.join(missing)}"


def has(module, name: str) -> bool:
    """Whether ``from module import name`` works: an attribute (lazy ones too) or a submodule."""
    if name == "*" or hasattr(module, name):
        return True
    try:
        importlib.import_module(f"{module.__name__}.{name}")
    except ModuleNotFoundError:
        return False
    return True
