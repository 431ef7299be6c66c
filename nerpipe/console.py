"""The rich console every terminal output goes through (no torch).

Rich follows ``NO_COLOR`` by dropping colours alone, keeping bold, dim and italic; under
``NO_COLOR`` nerpipe writes no escape sequence at all, as its manual page says.
"""

from __future__ import annotations

import os
from typing import Any


def console(**options: Any):
    """A :class:`rich.console.Console` with ``options``; none of its styles under ``NO_COLOR``."""
    from rich.console import Console

    if os.environ.get("NO_COLOR"):  # (set and not empty, as no-color.org has it)
        options.setdefault("color_system", None)
    return Console(**options)
