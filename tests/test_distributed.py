"""Data-parallel training under torchrun: two CPU processes with gloo."""

import json
import os
import subprocess
import sys

import pytest
import synthetic
from conftest import TINY
from test_training import dev_f1

import nerpipe
from nerpipe.checkpoints import load_model

pytestmark = pytest.mark.slow  # torchrun starts three processes


def torchrun(*args):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "nerpipe", "train", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_two_processes_learn_as_well_as_one_and_resume(tmp_path):
    train = synthetic.write(tmp_path / "train.conll", 150, seed=1)
    dev = synthetic.write(tmp_path / "dev.conll", 40, seed=2)
    tiny = [t for t in TINY if t not in ("--threads", "1")]
    common = [train, "--dev", dev, "-o", str(tmp_path / "ddp.pt"), "--patience", "20", *tiny]
    first = torchrun(*common, "--epochs", "3", "--keep-state", "--log-file", str(tmp_path / "log.jsonl"))
    assert first.returncode == 0, first.stderr
    assert "2 processes" in first.stderr
    # only rank 0 reports and writes
    assert first.stderr.count("model written") == 1
    assert [json.loads(l)["epoch"] for l in open(tmp_path / "log.jsonl")] == [1, 2, 3]
    assert (tmp_path / "ddp.pt.state").exists()  # --keep-state
    resumed = torchrun(*common, "--epochs", "6", "--resume", "--log-file", str(tmp_path / "log.jsonl"))
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming after epoch 3" in resumed.stderr
    assert [json.loads(l)["epoch"] for l in open(tmp_path / "log.jsonl")] == [1, 2, 3, 4, 5, 6]
    assert not (tmp_path / "ddp.pt.state").exists()  # removed by rank 0 when the run ended
    # each process took half of every epoch's 19 batches (10, the sampler pads), so 6 epochs are 60 steps
    assert json.loads((tmp_path / "log.jsonl").read_text().splitlines()[-1])["steps"] == 60
    load_model(tmp_path / "ddp.pt")
    assert dev_f1(tmp_path / "ddp.pt", dev) == 1.0


def test_a_resume_error_stops_every_rank(tmp_path):
    """Rank 0 reads the state; its error reaches the other ranks instead of leaving them waiting."""
    train = synthetic.write(tmp_path / "train.conll", 40, seed=1)
    tiny = [t for t in TINY if t not in ("--threads", "1")]
    failed = torchrun(train, "-o", str(tmp_path / "none.pt"), "--resume", *tiny)
    assert failed.returncode != 0
    # each rank says why (torchrun then adds its own report); no rank fails inside nerpipe
    assert failed.stderr.count("nothing to resume") == 2
    # (the package's own directory: a checkout's interpreter, nerpipe/.venv/bin/python, appears in torchrun's report)
    package = os.path.dirname(nerpipe.__file__) + os.sep
    assert package not in failed.stderr and "Warning" not in failed.stderr
