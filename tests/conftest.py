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


TINY_MODEL = ["--embeddings", "none", "--hidden", "16", "--char-filters", "8", "--lr", "0.02", "--lr-decay", "0", "--batch-size", "8",
              "--dropout", "0.1", "--threads", "1"]
# ... whose rounds are epochs and whose cap is --epochs (no step minimum), so tests count epochs
TINY = [*TINY_MODEL, "--min-steps", "0", "--eval-steps", "0"]


# Fixtures that train a model: every test that uses one, directly or through another
# fixture, is slow. Mark such tests @pytest.mark.slow yourself; the hook below is the net.
TRAINING_FIXTURES = frozenset({"tiny_model"})


@pytest.hookimpl(tryfirst=True)  # before -m "not slow" deselects anything
def pytest_collection_modifyitems(items):
    """Mark slow every test that uses a training fixture, so that a new one cannot land in the
    quick tier (python -m pytest -m "not slow") by a forgotten marker."""
    for item in items:
        if TRAINING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """A tiny model trained through the real command on the synthetic data."""
    import synthetic

    d = tmp_path_factory.mktemp("tiny")
    train = synthetic.write(d / "train.conll", 150, seed=1)
    dev = synthetic.write(d / "dev.conll", 40, seed=2)
    result = run_cli(["train", train, "--dev", dev, "-o", str(d / "model.pt"), "--epochs", "12", *TINY])
    assert result.exit_code == 0, result.stderr
    return d / "model.pt"


def default_sigint() -> None:
    """For Popen(preexec_fn=...): a shell that starts jobs in the background (as CI
    runners may) hands them SIGINT ignored, and Python keeps it so; give the child the
    default so Ctrl-C tests see what a user at a terminal sees."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Lines:
    """A child's output pipe, read line by line in a thread, so that a test waits for the
    line that proves the child got somewhere (its first record, a progress line) instead
    of sleeping for a guessed time, and fails instead of hanging when the line never comes.

    The deadline is a hang detector, not a speed check: a working child answers in a
    second or two, so 60 seconds passes on any machine and still ends a broken run."""

    DEADLINE = 60.0

    def __init__(self, pipe):
        import queue
        import threading

        self._queue = queue.Queue()
        self._empty = queue.Empty
        threading.Thread(target=self._read, args=(pipe,), daemon=True).start()

    def _read(self, pipe) -> None:
        while True:
            line = pipe.readline()
            self._queue.put(line)
            if not line:  # "" or b"": the end of the stream
                return

    def next(self, timeout: float = DEADLINE):
        """The next line, "" (or b"") at the end of the stream."""
        try:
            return self._queue.get(timeout=timeout)
        except self._empty:
            pytest.fail(f"no line from the child within {timeout:.0f} s", pytrace=False)

    def rest(self, timeout: float = DEADLINE):
        """Every line to the end of the stream, joined."""
        lines = []
        while True:
            lines.append(self.next(timeout))
            if not lines[-1]:
                return lines[-1][:0].join(lines)
