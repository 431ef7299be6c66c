import json

import pytest
import torch

import synthetic
from conftest import TINY, run_cli


def test_train_reports_each_epoch_and_writes_a_model(tiny_model):
    assert tiny_model.exists()
    result = run_cli(["info", str(tiny_model), "--format", "json"])
    data = json.loads(result.stdout)
    assert data["labels"] == ["LOC", "ORG", "PER"]
    best = data["training"]["best_epoch"]
    assert next(h for h in data["training"]["history"] if h["epoch"] == best)["dev_f1"] == 100.0


def test_progress_lines_and_log(tmp_path):
    data = synthetic.write(tmp_path / "t.conll", 30)
    result = run_cli(["train", data, "--dev", data, "-o", str(tmp_path / "m.pt"), "--epochs", "2",
                      "--log", str(tmp_path / "log.jsonl"), *TINY])
    assert result.exit_code == 0
    lines = [l for l in result.stderr.splitlines() if l.startswith("epoch")]
    assert len(lines) == 2 and "dev P" in lines[0] and "tokens/s" in lines[0]
    records = [json.loads(l) for l in open(tmp_path / "log.jsonl")]
    assert [r["epoch"] for r in records] == [1, 2] and "dev_f1" in records[0]
    assert result.stdout == ""


def test_device_errors_are_usage_errors(tmp_path):
    data = synthetic.write(tmp_path / "t.conll", 5)
    if not torch.cuda.is_available():
        result = run_cli(["train", data, "-o", str(tmp_path / "m.pt"), "--device", "cuda"])
        assert result.exit_code == 2 and "CUDA is not available" in result.stderr
    result = run_cli(["train", data, "-o", str(tmp_path / "m.pt"), "--device", "quantum"])
    assert result.exit_code == 2


def test_bad_training_data_is_a_located_error(tmp_path):
    (tmp_path / "bad.conll").write_text("Ann B-PER\nsat O\nhere\n")
    result = run_cli(["train", str(tmp_path / "bad.conll"), "-o", str(tmp_path / "m.pt")])
    assert result.exit_code == 1
    assert f"{tmp_path / 'bad.conll'}:3: expected 2 columns" in result.stderr
    (tmp_path / "o.conll").write_text("a O\n")
    result = run_cli(["train", str(tmp_path / "o.conll"), "-o", str(tmp_path / "m.pt")])
    assert result.exit_code == 1 and "no entities" in result.stderr


def test_info_of_a_bad_file(tmp_path):
    (tmp_path / "x.pt").write_text("nope")
    result = run_cli(["info", str(tmp_path / "x.pt")])
    assert result.exit_code == 1 and "not a readable checkpoint" in result.stderr


def test_ctrl_c_keeps_the_best_model_and_resume_finishes(tmp_path):
    import signal
    import subprocess
    import sys

    data = synthetic.write(tmp_path / "t.conll", 400)
    args = [sys.executable, "-m", "nerpipe", "train", data, "--dev", data, "-o", str(tmp_path / "m.pt"),
            "--epochs", "500", "--patience", "500", *TINY]
    from conftest import default_sigint

    proc = subprocess.Popen(args, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)
    for line in proc.stderr:
        if line.startswith("epoch   2"):
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err and "continue with --resume" in err
    from nerpipe.checkpoints import load_model

    load_model(tmp_path / "m.pt")
    args[args.index("500")] = "4"
    done = subprocess.run([*args, "--resume"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "resuming after epoch" in done.stderr and "model written" in done.stderr


def test_unknown_case_variant_is_a_usage_error(tmp_path):
    import synthetic

    data = synthetic.write(tmp_path / "t.conll", 10)
    result = run_cli(["train", data, "-o", str(tmp_path / "m.pt"), "--case-variants", "lower,shouty"])
    assert result.exit_code == 2
    assert "unknown casing variant shouty" in result.stderr
