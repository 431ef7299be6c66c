"""brat standoff: .txt/.ann pairs read as records, written into a directory; brat to brat is lossless."""

import json
from pathlib import Path

import pytest
from conftest import run_cli

from nerpipe.errors import NerpipeError
from nerpipe.formats import ReadOptions, read_records
from nerpipe.formats.brat import EXAMPLE

TEXT = "Angela Merkel met Emmanuel Macron in Paris.\r\nThen Siemens hired Anna.\n"
ANN = ("T1\tPER 0 13\tAngela Merkel\n"
       "T2\tPER 18 33\tEmmanuel Macron\n"
       "T3\tMeeting 14 17\tmet\n"
       "E1\tMeeting:T3 Agent:T1 Agent:T2\n"
       "T4\tLOC 37 42\tParis\n"
       "A1\tNegated E1\n"
       "R1\tLocated Arg1:T1 Arg2:T4\n"
       "#1\tAnnotatorNotes T4\tthe capital\n"
       "N1\tReference T4 Wikipedia:22989\tParis\n"
       "T5\tORG 50 57\tSiemens\n")


def corpus(where: Path, docs: dict[str, tuple[str, str | None]]) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    for name, (text, ann) in docs.items():
        (where / f"{name}.txt").parent.mkdir(parents=True, exist_ok=True)
        (where / f"{name}.txt").write_text(text, encoding="utf-8", newline="")
        if ann is not None:
            (where / f"{name}.ann").write_text(ann, encoding="utf-8", newline="")
    return where


def spans(path, fmt="auto"):
    _, records, _ = read_records(str(path), fmt, ReadOptions())
    return [[(d.text[s:e], label) for s, e, label in d.char_spans(d.spans or [])] for d in records]


def test_text_bound_annotations_are_spans_and_triggers_are_not(tmp_path):
    where = corpus(tmp_path / "c", {"news": (TEXT, ANN)})
    # offsets count "\r\n" as two characters; T3 is the trigger of event E1, not an entity
    assert spans(where) == [[("Angela Merkel", "PER"), ("Emmanuel Macron", "PER"), ("Paris", "LOC"), ("Siemens", "ORG")]]
    assert spans(where / "news.ann") == spans(where / "news.txt", "brat") == spans(where)


def test_brat_to_brat_gives_the_same_files_and_a_map_relabels_in_place(tmp_path):
    where = corpus(tmp_path / "c", {"news": (TEXT, ANN), "sub/empty": ("Nothing here.\n", ""), "new": ("Not annotated.\n", None)})
    result = run_cli(["convert", "--to", "brat", "-o", str(tmp_path / "out"), str(where)])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out/news.txt").read_bytes() == TEXT.encode()
    assert (tmp_path / "out/news.ann").read_text() == ANN  # relations, events, attributes, notes and ids as they were
    assert (tmp_path / "out/sub/empty.ann").read_text() == ""
    assert not (tmp_path / "out/new.ann").exists()  # not annotated: no .ann, as it came
    mapped = run_cli(["convert", "--to", "brat", "--map", "PER=PERSON", "-o", str(tmp_path / "mapped"), str(where)])
    assert mapped.exit_code == 0, mapped.stderr
    assert (tmp_path / "mapped/news.ann").read_text() == ANN.replace("\tPER ", "\tPERSON ")


def test_discontinuous_and_overlapping_spans_are_located_errors_or_skipped(tmp_path):
    where = corpus(tmp_path / "c", {"d": ("Bank of New York Mellon\n", "T1\tORG 0 4;17 23\tBank Mellon\nT2\tLOC 8 16\tNew York\n")})
    with pytest.raises(NerpipeError, match=r"d.ann:1: T1 is discontinuous"):
        spans(where)
    skipped = run_cli(["convert", "--to", "jsonl", "--on-error", "skip", str(where)])
    assert skipped.exit_code == 0 and "d.ann:1: T1 is discontinuous" in skipped.stderr
    assert [s["label"] for s in json.loads(skipped.stdout)["spans"]] == ["LOC"]
    nested = corpus(tmp_path / "n", {"d": ("New York City\n", "T1\tLOC 0 13\tNew York City\nT2\tLOC 0 8\tNew York\n")})
    with pytest.raises(NerpipeError, match=r"d.ann:\d: T\d .*overlaps"):
        spans(nested)


@pytest.mark.parametrize("ann, said", [
    ("T1\tPER 0 99\tAngela\n", "outside the text"),
    ("T1\tPER 0 6\tAngelo\n", "says it holds 'Angelo'"),
    ("T1 PER 0 6 Angela\n", "expected 'ID<tab>TYPE START END<tab>TEXT'"),
])
def test_bad_annotations_are_located(tmp_path, ann, said):
    where = corpus(tmp_path / "c", {"d": ("Angela Merkel\n", ann)})
    result = run_cli(["convert", "--to", "jsonl", str(where)])
    assert result.exit_code == 1 and "d.ann:1: " in result.stderr and said in result.stderr


def test_what_cannot_be_read_or_written_is_said(tmp_path):
    assert "brat reads files" in run_cli(["convert", "--from", "brat", "--to", "jsonl"], input="x").stderr
    (tmp_path / "orphan.ann").write_text("")
    assert "orphan.ann: no .txt beside it" in run_cli(["convert", "--to", "jsonl", str(tmp_path)]).stderr
    (tmp_path / "orphan.ann").unlink()
    (tmp_path / "a.jsonl").write_text('{"text": "Anna"}\n')
    no_dir = run_cli(["convert", "--to", "brat", str(tmp_path / "a.jsonl")])
    assert no_dir.exit_code == 2 and "give it with -o DIR" in no_dir.stderr
    full = run_cli(["convert", "--to", "brat", "-o", str(tmp_path), str(tmp_path / "a.jsonl")])
    assert full.exit_code == 2 and "not empty" in full.stderr  # nothing there is overwritten
    twice = run_cli(["convert", "--to", "brat", "-o", str(tmp_path / "o"), str(tmp_path / "a.jsonl"), str(tmp_path / "a.jsonl")])
    assert twice.exit_code == 1 and "two records are named 'a-000001'" in twice.stderr


def test_records_are_named_by_id_else_by_input_and_line(tmp_path):
    (tmp_path / "in.jsonl").write_text('{"id": "a/../b c", "text": "Anna"}\n{"text": "Berlin"}\n{"id": 7, "text": "Oslo"}\n')
    assert run_cli(["convert", "--to", "brat", "-o", str(tmp_path / "o"), str(tmp_path / "in.jsonl")]).exit_code == 0
    assert sorted(p.relative_to(tmp_path / "o").as_posix() for p in (tmp_path / "o").rglob("*.txt")) == [
        "7.txt", "a/b_c.txt", "in-000002.txt"]


def test_the_example_tagged_into_brat_has_predictions_with_scores(tmp_path):
    where = corpus(tmp_path / "c", {"doc": (EXAMPLE["doc.txt"], EXAMPLE["doc.ann"])})
    result = run_cli(["tag", "-f", "brat", "-o", str(tmp_path / "out"), str(where)])
    assert result.exit_code == 0 and result.stdout == "", result.stderr
    lines = (tmp_path / "out/doc.ann").read_text().splitlines()
    assert lines[:3] == ["T1\tPER 0 13\tAngela Merkel", "T2\tPER 18 33\tEmmanuel Macron", "T3\tLOC 37 42\tParis"]
    assert lines[3].startswith("#1\tAnnotatorNotes T1\tscore 0.")
    scored = run_cli(["score", str(where), str(tmp_path / "out"), "--format", "json"])
    assert json.loads(scored.stdout)["f1"] == 1.0


def test_a_map_that_drops_a_type_takes_the_lines_that_refer_to_it_and_keeps_the_rest(tmp_path):
    where = corpus(tmp_path / "c", {"news": (TEXT, ANN)})
    dropped = run_cli(["convert", "--to", "brat", "--map", "LOC=", "-o", str(tmp_path / "out"), str(where)])
    assert dropped.exit_code == 0, dropped.stderr
    kept = [line for line in ANN.splitlines(keepends=True)
            if not line.startswith(("T4\t", "R1\t", "#1\t", "N1\t"))]  # Paris, and what refers to it
    assert (tmp_path / "out/news.ann").read_text() == "".join(kept)


def test_skip_leaves_out_overlapping_and_misaligned_spans_at_their_own_lines(tmp_path):
    ann = "T1\tLOC 0 8\tNew York\nT2\tLOC 4 13\tYork City\nT3\tPER 14 16\tis\n"
    where = corpus(tmp_path / "c", {"d": ("New York City is big\n", ann.replace("14 16\tis", "15 17\ts "))})
    result = run_cli(["convert", "--to", "jsonl", "--on-error", "skip", str(where)])
    assert result.exit_code == 0, result.stderr
    assert "d.ann:2: T2 (LOC) overlaps T1 (LOC, line 1)" in result.stderr
    assert "d.ann:3: T3: span 15-17" in result.stderr and "token boundaries" in result.stderr
    assert [s["label"] for s in json.loads(result.stdout)["spans"]] == ["LOC"]


def test_line_breaks_in_a_span_read_back(tmp_path):
    jsonl = json.dumps({"text": "New\r\nYork and Zoë\u2028Berg", "spans": [{"start": 0, "end": 9, "label": "LOC"},
                                                                           {"start": 14, "end": 22, "label": "PER"}]})
    (tmp_path / "in.jsonl").write_text(jsonl + "\n", encoding="utf-8")
    assert run_cli(["convert", "--to", "brat", "-o", str(tmp_path / "o"), str(tmp_path / "in.jsonl")]).exit_code == 0
    back = run_cli(["convert", "--to", "jsonl", str(tmp_path / "o")])
    assert back.exit_code == 0, back.stderr
    assert [s["label"] for s in json.loads(back.stdout)["spans"]] == ["LOC", "PER"]


@pytest.mark.slow
def test_train_reads_a_brat_collection(tmp_path):
    from conftest import TINY

    docs = {f"d{k}": ("Anna Berg flew to Oslo and Lima .\n", "T1\tPER 0 9\tAnna Berg\nT2\tLOC 18 22\tOslo\nT3\tLOC 27 31\tLima\n")
            for k in range(4)}
    where = corpus(tmp_path / "c", docs)
    result = run_cli(["train", str(where), *TINY, "--epochs", "1", "-o", str(tmp_path / "m.pt")])
    assert result.exit_code == 0, result.stderr
    info = json.loads(run_cli(["info", "--format", "json", str(tmp_path / "m.pt")]).stdout)
    assert info["labels"] == ["LOC", "PER"]


def test_train_leaves_out_the_documents_not_annotated_yet_and_says_how_many(tmp_path):
    from nerpipe.training import TrainConfig, read_corpus

    where = corpus(tmp_path / "c", {"done": ("Anna Berg flew .\n", "T1\tPER 0 9\tAnna Berg\n"), "todo": ("Tom flew .\n", None)})
    data = read_corpus([str(where)], TrainConfig(), "training")
    assert [s.tokens[0] for s in data.sentences] == ["Anna"]
    assert data.notes == ("1 brat document(s) (a .txt without its .ann) of the training data without an annotation are "
                          "left out",)


def test_each_brat_document_opens_with_docstart_in_conll(tmp_path):
    where = corpus(tmp_path / "c", {"a": ("Anna flew .\n", "T1\tPER 0 4\tAnna\n"), "b": ("Tom stayed .\n", "T1\tPER 0 3\tTom\n")})
    out = run_cli(["convert", "--to", "conll", str(where)]).stdout
    assert out.count("-DOCSTART- O\n\n") == 2 and out.startswith("-DOCSTART- O\n\nAnna B-PER\n")
