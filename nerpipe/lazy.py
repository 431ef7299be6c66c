"""Names a package exports but imports on first use (PEP 562), so that `nerpipe --help`
and the command line's defaults need neither torch nor the modules behind those names."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_names(package: str, names: Mapping[str, str], module_globals: dict,
               submodules: tuple[str, ...] = ()) -> tuple[Callable, Callable]:
    """The module-level ``__getattr__`` and ``__dir__`` of ``package``: each of ``names``
    comes from the submodule it maps to, imported when the name is first asked for; each
    of ``submodules`` is imported when first asked for (``nerpipe.patterns.Patterns``
    after a plain ``import nerpipe``, as the docs write it)."""

    def __getattr__(name: str):
        if name in names:
            return getattr(importlib.import_module(f".{names[name]}", package), name)
        if name in submodules:
            return importlib.import_module(f".{name}", package)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(module_globals) | set(names) | set(submodules))

    return __getattr__, __dir__
