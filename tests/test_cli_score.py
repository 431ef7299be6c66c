import json

from conftest import run_cli

GOLD = "Ann B-PER\nmet O\nBob B-PER\n\nin O\nOslo B-LOC\n"
PRED = "Ann B-PER\nmet O\nBob O\n\nin O\nOslo B-LOC\n"
CONLLEVAL = "Ann NNP B-PER B-PER\nmet VB O O\nBob NNP B-PER O\n\nin IN O O\nOslo NNP B-LOC B-LOC\n"


def test_two_files(tmp_path):
    (tmp_path / "g").write_text(GOLD)
    (tmp_path / "p").write_text(PRED)
    result = run_cli(["score", str(tmp_path / "g"), str(tmp_path / "p"), "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["support"], data["predicted"], data["correct"]) == (3, 2, 2)
    assert data["types"]["PER"]["recall"] == 0.5


def test_stdin_in_conlleval_layout():
    result = run_cli(["score", "--format", "conlleval"], input=CONLLEVAL)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "processed 5 tokens with 3 phrases; found: 2 phrases; correct: 2."
    assert result.stdout.splitlines()[1] == "accuracy:  80.00%; precision: 100.00%; recall:  66.67%; FB1:  80.00"


def test_plain_text_report_in_a_pipe():
    result = run_cli(["score"], input=CONLLEVAL)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["type", "precision", "recall", "f1", "support", "predicted", "correct"]
    assert lines[-2].split() == ["overall", "100.00", "66.67", "80.00", "3", "2", "2"]


def test_table_format():
    result = run_cli(["score", "--format", "table"], input=CONLLEVAL)
    assert result.exit_code == 0 and "overall" in result.stdout and "80.00" in result.stdout


def test_strict_needs_scheme():
    assert run_cli(["score", "--strict"], input=CONLLEVAL).exit_code == 2
    result = run_cli(["score", "--strict", "--scheme", "iob2", "--format", "json"], input=CONLLEVAL)
    assert json.loads(result.stdout)["mode"] == "strict iob2"


def test_mismatch_and_empty(tmp_path):
    (tmp_path / "g").write_text(GOLD)
    (tmp_path / "p").write_text(GOLD.replace("Oslo", "Bergen"))
    result = run_cli(["score", str(tmp_path / "g"), str(tmp_path / "p")])
    assert result.exit_code == 1
    assert f"{tmp_path / 'g'}:6: the files part here" in result.stderr
    result = run_cli(["score", "--format", "json"], input="")
    assert result.exit_code == 0 and json.loads(result.stdout)["f1"] == 0.0


def test_wrong_columns_and_bad_tag():
    result = run_cli(["score"], input="a O O\nb O\n")
    assert result.exit_code == 1 and "<stdin>:2: expected 3 columns" in result.stderr
    result = run_cli(["score"], input="a O PERSON\n")
    assert result.exit_code == 1 and "<stdin>:1: tag 'PERSON' fits no tag scheme" in result.stderr
