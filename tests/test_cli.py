"""The command as a whole: help, version, exit codes, pipes, start-up cost."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli

COMMANDS = ["tag", "train", "score", "convert", "info"]


def test_version_and_help():
    from nerpipe import __version__

    result = run_cli(["--version"])
    assert result.exit_code == 0 and __version__ in result.stdout
    result = run_cli(["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    result = run_cli([command, "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and f"nerpipe {command}" in result.stdout


def test_usage_error_exits_2():
    result = run_cli(["score", "--format", "yaml"])
    assert result.exit_code == 2
    result = run_cli(["score", "/no/such/file"])
    assert result.exit_code == 2 and "does not exist" in result.stderr


@pytest.mark.slow
def test_import_does_not_load_torch():
    code = "import nerpipe.cli, nerpipe, sys; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _nerpipe(*args, **kw):
    return subprocess.run([sys.executable, "-m", "nerpipe", *args], capture_output=True, **kw)


def test_closed_standard_streams_are_errors_or_empty_never_tracebacks(tmp_path):
    data = tmp_path / "a.conll"
    data.write_text("Paris B-LOC\n\n")

    def run(shell: str):
        return subprocess.run(f"{sys.executable} -m nerpipe {shell}", shell=True, capture_output=True, text=True,
                              executable="/bin/bash")

    for command in (f"convert --to jsonl {data}", "score --help", "--version"):
        closed = run(f"{command} >&-")
        assert closed.returncode == 1 and "Traceback" not in closed.stderr, (command, closed.stderr)
        assert "standard output is closed" in closed.stderr
    empty = run("convert --to jsonl - <&-")  # stdin closed: empty input
    assert (empty.returncode, empty.stdout) == (0, "") and "Traceback" not in empty.stderr
    usage = run(f"convert --to nosuch {data} 2>&-")  # stderr closed: the message goes nowhere, never into the data
    assert (usage.returncode, usage.stdout) == (2, "")


def test_output_is_utf8_whatever_the_locale(tmp_path):
    data = tmp_path / "u.conll"
    data.write_text("Jürgen B-PER\nMüller I-PER\n\n", encoding="utf-8")
    env = {**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": ""}
    result = subprocess.run([sys.executable, "-m", "nerpipe", "convert", "--to", "jsonl", str(data)], capture_output=True,
                            env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.decode("utf-8").splitlines()[0])["text"] == "Jürgen Müller"


@pytest.mark.slow
def test_broken_pipe_is_quiet_and_succeeds(tmp_path):
    big = tmp_path / "big.conll"
    big.write_text("Ann B-PER B-PER\nsat O O\n\n" * 50000)
    proc = subprocess.Popen(f"{sys.executable} -m nerpipe convert --to jsonl {big} | head -1", shell=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, executable="/bin/bash")
    out, err = proc.communicate(timeout=60)
    assert out.count(b"\n") == 1 and err == b""
    status = subprocess.run(f"set -o pipefail; {sys.executable} -m nerpipe convert --to jsonl {big} | head -1 >/dev/null",
                            shell=True, executable="/bin/bash")
    assert status.returncode == 0


@pytest.mark.slow
def test_ctrl_c_exits_130_without_traceback():
    import json
    import os

    from conftest import Lines, default_sigint

    # unbuffered: convert's first record then shows that it is up and waiting for more input
    proc = subprocess.Popen([sys.executable, "-m", "nerpipe", "convert", "--to", "jsonl"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=default_sigint,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        out, err = Lines(proc.stdout), Lines(proc.stderr)
        proc.stdin.write(b"Ann B-PER B-PER\n\n")
        proc.stdin.flush()
        assert json.loads(out.next())["text"] == "Ann"
        proc.send_signal(signal.SIGINT)  # while it reads standard input, which stays open
        status = proc.wait(timeout=30)
        said = err.rest()
        assert status == 130, said
        assert b"Traceback" not in said
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_bad_data_exits_1_with_location(tmp_path):
    f = tmp_path / "bad.conll"
    f.write_bytes(b"a O O\nb\xff O O\n")
    result = _nerpipe("score", str(f))
    assert result.returncode == 1
    assert result.stderr.decode().strip() == (f"Error: {f}:2: invalid UTF-8 (byte 0xff at column 2); the file is not UTF-8; "
                                              "convert it, e.g. with: iconv -f LATIN1 -t UTF-8")


@pytest.mark.slow
def test_score_and_convert_do_not_load_torch(tmp_path):
    f = tmp_path / "f.conll"
    f.write_text("Ann B-PER B-PER\n")
    code = (
        "import sys; from click.testing import CliRunner; from nerpipe.cli import cli;"
        f"r = CliRunner().invoke(cli, ['score', '{f}']); assert r.exit_code == 0, r.output;"
        f"r = CliRunner().invoke(cli, ['convert', '--to', 'jsonl', '{f}']); assert r.exit_code == 0, r.output;"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_help_names_no_file_a_wheel_lacks_and_every_input_train_reads():
    for command in COMMANDS:
        assert "benchmarks/" not in run_cli([command, "--help"]).stdout
    assert "on CoNLL or JSONL files" in run_cli(["train", "--help"]).stdout


def test_info_says_why_the_embedded_model_s_run_stopped():
    import json

    training = json.loads(run_cli(["info", "--format", "json"]).stdout)["training"]
    # the run went 5 epochs past its best (14) without a better dev F1: patience, as recorded
    assert (training["epochs_run"], training["best_epoch"], training["stopped"]) == (19, 14, "patience")
    table = run_cli(["info", "--format", "table"]).stdout
    assert "patience" in table
    assert "training.train_files" in table and training["train_files"][0]["path"] in table  # what it learned from


def test_info_on_an_older_model_file_says_why_its_run_stopped_is_not_recorded(tmp_path):
    import json

    import torch

    from nerpipe.checkpoints import default_model_path

    data = torch.load(default_model_path(), weights_only=False)
    del data["meta"]["training"]["stopped"]  # as files written before the reason was kept
    old = tmp_path / "old.pt"
    torch.save(data, old)
    assert json.loads(run_cli(["info", "--format", "json", str(old)]).stdout)["training"]["stopped"] is None
    assert "not recorded (an older model file)" in run_cli(["info", "--format", "table", str(old)]).stdout


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("args, said", [
    (["convert", "--to", "jsonl", "F"], "Error: <stdout>: cannot write: No space left on device"),
    (["convert", "--to", "jsonl", "-o", "/dev/full", "F"], "Error: /dev/full: cannot write: No space left on device"),
    (["score", "F"], "nerpipe: No space left on device"),
    (["--help"], "nerpipe: No space left on device"),
])
def test_a_full_disk_is_an_error_not_a_traceback(tmp_path, args, said):
    f = tmp_path / "f.conll"
    f.write_text("Ann B-PER B-PER\n")
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "nerpipe", *[str(f) if a == "F" else a for a in args]],
                                stdout=full, stderr=subprocess.PIPE, text=True)
    assert result.returncode == 1 and result.stderr == said + "\n"


@pytest.mark.parametrize("args", [["convert", "--to", "conll"], ["tag", "-f", "conll"]])
def test_output_into_the_file_standard_input_reads_is_refused(tmp_path, args):
    path = tmp_path / "in.conll"
    path.write_text("Ann B-PER B-PER\n")
    with open(path) as stdin:
        result = _nerpipe(*args, "-o", str(path), stdin=stdin, text=True)
    assert result.returncode == 2 and "is standard input too" in result.stderr
    assert path.read_text() == "Ann B-PER B-PER\n"
    with open(path) as stdin:  # another file is fine
        assert _nerpipe(*args, "-o", str(tmp_path / "out"), stdin=stdin).returncode == 0


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_bad_data_into_a_full_disk_says_the_data_error_alone(tmp_path):
    import os

    bad = tmp_path / "bad.conll"
    bad.write_text("a O\n\nb O\nc\n")  # a record written (buffered), then a bad line
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "nerpipe", "convert", "--to", "jsonl", str(bad)], stdout=full,
                                stderr=subprocess.PIPE, text=True, env=env)
    assert result.returncode == 1 and result.stderr == f"Error: {bad}:4: expected 2 columns (as on line 1), found 1\n"

