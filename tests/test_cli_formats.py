"""Each format problem a new user met, through the real commands, with its exit status."""

import contextlib
import json
import os
import subprocess
import sys

import pytest
import synthetic
from conftest import TINY, default_sigint, run_cli

RECORD = '{"text":"Ann met Bob.","spans":[{"start":0,"end":3,"label":"PER"}]}\n'


def test_jsonl_spans_without_tokens_are_kept():
    assert run_cli(["convert", "--to", "conll"], input=RECORD).stdout == "Ann B-PER\nmet O\nBob O\n. O\n\n"
    out = json.loads(run_cli(["convert", "--to", "jsonl"], input=RECORD).stdout)
    assert [(s["start"], s["end"], s["label"]) for s in out["spans"]] == [(0, 3, "PER")]


@pytest.mark.parametrize("span, message", [
    ('{"start":4,"end":9,"label":"PER"}', "<stdin>:1: span 4-9 'met B' (PER) does not start and end on token boundaries"),
    ('{"start":8,"end":30,"label":"PER"}', "<stdin>:1: span 8-30 (PER) lies outside the text (12 characters)"),
    ('{"start":3,"end":0,"label":"PER"}', "<stdin>:1: span 3-0 (PER) ends before it starts"),
    ('{"start":3,"end":3,"label":"PER"}', "<stdin>:1: span 3-3 (PER) ends where it starts"),
])
def test_bad_spans_are_located_errors_or_skipped(span, message):
    bad = '{"text":"Ann met Bob.","spans":[' + span + ']}\n'
    result = run_cli(["convert", "--to", "conll"], input=bad)
    assert result.exit_code == 1 and message in result.stderr and result.stdout == ""
    skipped = run_cli(["convert", "--to", "conll", "--on-error", "skip"], input=bad + RECORD)
    assert skipped.exit_code == 0 and message in skipped.stderr
    assert skipped.stdout.startswith("Ann B-PER\n")


def test_align_snaps_spans_outward_or_inward():
    bad = '{"text":"Ann met Bob.","spans":[{"start":5,"end":10,"label":"PER"}]}\n'
    expand = json.loads(run_cli(["convert", "--to", "jsonl", "--align", "expand"], input=bad).stdout)
    assert [(s["start"], s["end"]) for s in expand["spans"]] == [(4, 11)]
    contract = run_cli(["convert", "--to", "jsonl", "--align", "contract"], input=bad)
    assert contract.exit_code == 1 and "holds no whole token" in contract.stderr


def test_overlapping_spans_fail():
    bad = '{"text":"Ann met Bob.","spans":[{"start":0,"end":7,"label":"ORG"},{"start":4,"end":11,"label":"PER"}]}\n'
    result = run_cli(["convert", "--to", "conll"], input=bad)
    assert result.exit_code == 1 and "<stdin>:1: span 4-11 'met Bob' (PER) overlaps span 0-7" in result.stderr


@pytest.mark.slow
def test_tag_keeps_gold_spans_and_writes_predictions_beside(tiny_model):
    record = '{"text": "Anna Berg flew to Oslo .", "spans": [{"start": 0, "end": 9, "label": "ORG"}]}\n'
    out = json.loads(run_cli(["tag", "-m", str(tiny_model), "--threads", "1"], input=record).stdout)
    assert [(s["start"], s["end"], s["label"]) for s in out["spans"]] == [(0, 9, "ORG")]
    assert [(s["start"], s["end"], s["label"]) for s in out["predicted_spans"]] == [(0, 9, "PER"), (18, 22, "LOC")]
    replaced = json.loads(run_cli(["tag", "-m", str(tiny_model), "--threads", "1", "--replace"], input=record).stdout)
    assert [s["label"] for s in replaced["spans"]] == ["PER", "LOC"] and "predicted_spans" not in replaced
    # gold beside predictions scores as it stands, by character offsets
    scored = json.loads(run_cli(["score", "--format", "json"], input=json.dumps(out) + "\n").stdout)
    assert scored["mode"] == "character offsets" and scored["correct"] == 0 and scored["support"] == 1


@pytest.mark.slow
def test_tag_and_convert_segment_alike(tiny_model):
    record = '{"text": "Anna Berg flew to Oslo. Tom Hale works for Acme.", "spans": []}\n'
    tagged = run_cli(["tag", "-m", str(tiny_model), "--threads", "1", "-f", "conll"], input=record).stdout
    converted = run_cli(["convert", "--to", "conll"], input=record).stdout
    assert [l.split(" ")[0] for l in tagged.splitlines()] == [l.split(" ")[0] for l in converted.splitlines()]
    assert tagged.count("\n\n") == converted.count("\n\n") == 2


@pytest.mark.slow
def test_train_and_score_read_jsonl(tmp_path):
    conll = synthetic.write(tmp_path / "t.conll", 60, seed=3)
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text(run_cli(["convert", "--to", "jsonl", conll]).stdout)
    for record in map(json.loads, jsonl.read_text().splitlines()):
        record.pop("tokens"), record.pop("conll")  # Prodigy style: text and character spans only
        for span in record["spans"]:
            span.pop("token_start"), span.pop("token_end")
    result = run_cli(["train", str(jsonl), "--dev", str(jsonl), "-o", str(tmp_path / "m.pt"), "--epochs", "2", *TINY])
    assert result.exit_code == 0, result.stderr
    score = json.loads(run_cli(["score", "--format", "json", str(jsonl), str(jsonl)]).stdout)
    assert score["f1"] == 1.0 and score["support"] > 0
    nospans = tmp_path / "nospans.jsonl"
    nospans.write_text('{"text": "Anna flew."}\n')
    bad = run_cli(["train", str(nospans), "-o", str(tmp_path / "m.pt")])
    assert bad.exit_code == 1 and "nospans.jsonl:1: training data needs \"spans\"" in bad.stderr


@pytest.mark.slow
def test_one_item_per_line_is_never_glued(tiny_model):
    out = run_cli(["tag", "-m", str(tiny_model), "--threads", "1", "-f", "conll"], input="Oslo\nLima\nAcme\n").stdout
    assert out == "Oslo B-LOC\n\nLima B-LOC\n\nAcme B-ORG\n\n"
    lines = run_cli(["tag", "-m", str(tiny_model), "--threads", "1", "-i", "lines"], input="Anna Berg\n\nOslo\n").stdout
    assert [json.loads(l)["meta"]["line"] for l in lines.splitlines()] == [1, 2, 3]


def test_lines_gives_one_record_per_input_line_blank_ones_included():
    # so that paste and Spark's RDD.pipe line up (5 lines in once gave 3 records out)
    text = "Angela Merkel\n\nParis\n   \n\n"
    out = run_cli(["tag", "-i", "lines", "-f", "jsonl"], input=text).stdout.splitlines()
    assert [json.loads(line)["text"] for line in out] == ["Angela Merkel", "", "Paris", "   ", ""]
    assert [json.loads(line)["spans"] for line in out][1] == []
    assert run_cli(["tag", "-i", "lines", "-f", "redact"], input=text).stdout == "[PER]\n\n[LOC]\n   \n\n"


@pytest.mark.slow
def test_min_score_and_labels_in_every_format(tiny_model):
    text = "Anna Berg flew to Oslo .\n"
    for fmt in ("conll", "jsonl"):
        everything = run_cli(["tag", "-m", str(tiny_model), "--threads", "1", "-f", fmt, "--min-score", "1.0"], input=text).stdout
        assert "PER" not in everything and "LOC" not in everything  # no confidence reaches exactly 1.0 here
        people = run_cli(["tag", "-m", str(tiny_model), "--threads", "1", "-f", fmt, "--labels", "PER"], input=text).stdout
        assert "PER" in people and "LOC" not in people
    conll = run_cli(["tag", "-m", str(tiny_model), "--threads", "1", "-f", "conll", "--min-score", "1.0"], input=text).stdout
    assert conll.splitlines()[:2] == ["Anna O", "Berg O"]


@contextlib.contextmanager
def streaming_tag(model, *args: str):
    """``nerpipe tag`` reading a pipe this test writes and holds open: its process, and its
    output lines as they come (:class:`conftest.Lines`)."""
    from conftest import Lines

    env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}  # what tag flushes, no more
    proc = subprocess.Popen([sys.executable, "-m", "nerpipe", "tag", "-m", str(model), "--threads", "1", *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, preexec_fn=default_sigint)
    try:
        yield proc, Lines(proc.stdout)
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


def send(proc, text: bytes) -> None:
    proc.stdin.write(text)
    proc.stdin.flush()


@pytest.mark.slow
def test_output_arrives_while_the_input_pauses(tiny_model):
    """Each sentence comes out while the writer holds the pipe open and sends nothing more:
    tag neither waits for a full block or the end of its input, nor leaves its output in a
    buffer."""
    with streaming_tag(tiny_model, "-f", "conll") as (proc, out):
        send(proc, b"Anna Berg flew to Oslo .\n\n")
        assert out.next() == b"Anna B-PER\n"  # (the model loads first)
        assert [out.next() for _ in range(6)][-1] == b"\n"  # the sentence's other five tokens, then its end
        send(proc, b"Tom Hale works for Acme .\n\n")
        assert out.next() == b"Tom B-PER\n"
        assert proc.poll() is None  # still reading: its input has not ended


@pytest.mark.slow
@pytest.mark.parametrize("args", [["-f", "jsonl"], ["-i", "lines", "-f", "jsonl", "--workers", "2"]])
def test_each_line_streamed_is_answered_while_the_input_pauses(tiny_model, args):
    """Plain text without blank lines (tail -f log | nerpipe tag) and --workers: each line
    comes out before the next is sent, not at the end of the input."""
    with streaming_tag(tiny_model, *args) as (proc, out):
        for line in ("Anna Berg flew to Oslo .", "Tom Hale works for Acme ."):
            send(proc, line.encode() + b"\n")
            assert json.loads(out.next())["text"] == line
        assert proc.poll() is None


@pytest.mark.slow
def test_a_conll_sentences_closing_blank_line_comes_out_with_it(tiny_model):
    """A reader that waits for the blank line after a sentence is not one sentence behind."""
    with streaming_tag(tiny_model, "-i", "conll") as (proc, out):
        send(proc, b"Anna\nBerg\n\n")
        assert [out.next().split()[0] for _ in range(2)] == [b"Anna", b"Berg"]
        assert out.next() == b"\n"  # before the next sentence is sent


INPUTS = {
    "conll": "-DOCSTART- X O\n\nAnna X B-PER\nBerg X I-PER\nflew X O\n\nTom X B-PER\n\n",
    "jsonl": '{"text": "Anna Berg flew to Oslo. Tom Hale works.", "spans": [{"start": 0, "end": 9, "label": "PER"}]}\n'
             '{"text": "Lima", "tokens": ["Lima"]}\n',
    "text": "Anna Berg flew to Oslo. Tom Hale works.\n\nLima\nAcme\n",
    "lines": "Anna Berg flew to Oslo.\nLima\n",
}


def _layout(out: str, fmt: str):
    """What both commands must agree on: records, sentences and tokens."""
    if fmt == "jsonl":
        return [(r["text"], [t["text"] for t in r["tokens"]]) for r in map(json.loads, out.splitlines())]
    return [line.split(" ")[0] for line in out.splitlines()]


@pytest.mark.slow
@pytest.mark.parametrize("source", sorted(INPUTS))
@pytest.mark.parametrize("target", ["conll", "jsonl"])
def test_tag_and_convert_agree_on_every_format_pair(tiny_model, source, target):
    tagged = run_cli(["tag", "-m", str(tiny_model), "--threads", "1", "-i", source, "-f", target], input=INPUTS[source])
    converted = run_cli(["convert", "--from", source, "--to", target], input=INPUTS[source])
    assert tagged.exit_code == converted.exit_code == 0, (tagged.stderr, converted.stderr)
    assert _layout(tagged.stdout, target) == _layout(converted.stdout, target)


def test_a_damaged_conll_field_is_a_located_error():
    bad = '{"text":"a b","conll":{"lines":["a O\\n","b O X\\n"],"sep":" "}}\n'
    result = run_cli(["convert", "--to", "conll"], input=bad)
    assert result.exit_code == 1 and '<stdin>:1: "conll" lines: expected 2 columns' in result.stderr


def test_convert_scheme_without_conll_output_is_a_usage_error():
    for to in ("jsonl", "tsv"):
        result = run_cli(["convert", "--to", to, "--scheme", "iobes"], input="Ann B-PER\nBerg I-PER\n")
        assert result.exit_code == 2 and f"--scheme rewrites CoNLL tags; --to {to} writes entities" in result.stderr


def test_convert_reads_prose_as_text_as_tag_does(tmp_path):
    # once read as CoNLL: "expected 5 columns"
    (tmp_path / "p.txt").write_text("Angela Merkel met Emmanuel Macron.\nHe left.\nThen it rained.\n")
    result = run_cli(["convert", "--to", "jsonl", str(tmp_path / "p.txt")])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["text"].startswith("Angela Merkel met")


def test_a_json_array_is_read_as_label_studio_tasks_and_other_arrays_are_said_to_be_arrays():
    # read as text, a JSON array was once tagged as prose
    export = ('[{"id": 1, "data": {"text": "Angela Merkel met Macron."}, "annotations": [{"result": [{"value": '
              '{"start": 0, "end": 13, "labels": ["PER"]}, "type": "labels"}]}]}]\n')
    converted = run_cli(["convert", "--to", "jsonl"], input=export)
    assert converted.exit_code == 0, converted.stderr
    assert [(s["start"], s["end"], s["label"]) for s in json.loads(converted.stdout)["spans"]] == [(0, 13, "PER")]
    records = '[{"text": "Angela Merkel met Macron.", "spans": []}]\n'
    for command in (["tag"], ["score"], ["convert", "--to", "jsonl"]):
        result = run_cli(command, input=records)
        assert result.exit_code == 1 and "<stdin>:1: expected a Label Studio task" in result.stderr, command
        assert "jq -c '.[]'" in result.stderr
    assert run_cli(["tag", "-f", "tsv"], input="[1] A footnote about Paris.\n").exit_code == 0  # prose that opens with [


def test_output_into_an_input_is_refused(tmp_path):
    path = tmp_path / "same.jsonl"
    path.write_text('{"text": "Anna"}\n')
    result = run_cli(["convert", "--to", "jsonl", "-o", str(path), str(path)])
    assert result.exit_code == 2 and "is an input too" in result.stderr and path.read_text() == '{"text": "Anna"}\n'


def test_a_labeling_config_never_overwrites_an_input_or_the_output(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "Anna"}\n')
    into_input = run_cli(["convert", "--to", "labelstudio", "--config", str(path), str(path)])
    assert into_input.exit_code == 2 and f"--config {path} is an input too" in into_input.stderr
    into_output = run_cli(["convert", "--to", "labelstudio", "--config", str(tmp_path / "x"), "-o", str(tmp_path / "x"),
                           str(path)])
    assert into_output.exit_code == 2 and "is the -o file too" in into_output.stderr
    assert path.read_text() == '{"text": "Anna"}\n' and not (tmp_path / "x").exists()
