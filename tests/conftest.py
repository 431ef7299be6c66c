import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

DATA = Path(__file__).parent / "data"
CONLL2003 = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "conll2003"


@pytest.fixture
def data_dir() -> Path:
    return DATA


def run_cli(args, input=None):
    """Invoke the real click group; stdout and stderr apart (click >= 8.2)."""
    from click.testing import CliRunner

    from nerpipe.cli import cli

    return CliRunner().invoke(cli, args, input=input, catch_exceptions=False)
