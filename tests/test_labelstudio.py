"""Label Studio tasks: an export read (one annotation per task), pre-annotations written as a JSON array."""

import json
import xml.etree.ElementTree as ET

import pytest
from conftest import run_cli

from nerpipe.errors import NerpipeError
from nerpipe.formats.labelstudio import labeling_config, parse_labelstudio


def result(start, end, label, text=None):
    value = {"start": start, "end": end, "labels": [label]}
    if text is not None:
        value["text"] = text
    return {"id": f"r{start}", "from_name": "ner", "to_name": "body", "type": "labels", "value": value}


TEXT = "Siemens hired Anna Berg in Munich."
TASK = {"id": 4, "data": {"body": TEXT, "source": "hr"}, "meta": {"batch": 2},
        "annotations": [
            {"id": 1, "was_cancelled": False, "created_at": "2026-11-01T09:00:00Z", "updated_at": "2026-11-01T09:00:00Z",
             "result": [result(0, 7, "ORG", "Siemens")]},
            {"id": 2, "was_cancelled": False, "created_at": "2026-11-02T09:00:00Z", "updated_at": "2026-11-03T09:00:00Z",
             "result": [result(0, 7, "ORG", "Siemens"), result(14, 23, "PER", "Anna Berg"),
                        {"type": "choices", "from_name": "topic", "to_name": "body", "value": {"choices": ["jobs"]}}]},
            {"id": 3, "was_cancelled": True, "created_at": "2026-11-04T09:00:00Z", "result": []}],
        "predictions": [{"model_version": "old", "result": [result(27, 33, "LOC", "Munich")]}]}


def read(text, **options):
    return list(parse_labelstudio(list(enumerate(text.splitlines(keepends=True), 1)), "export.json", **options))


def labels(doc):
    return [(doc.text[s:e], label) for s, e, label in doc.char_spans(doc.spans or [])]


def test_the_latest_live_annotation_is_read_or_the_one_asked_for():
    export = json.dumps([TASK], indent=2)
    assert labels(read(export)[0]) == [("Siemens", "ORG"), ("Anna Berg", "PER")]  # not the cancelled one
    assert labels(read(export, annotation="first")[0]) == [("Siemens", "ORG")]
    assert labels(read(export, annotation="prediction")[0]) == [("Munich", "LOC")]
    untouched = dict(TASK, annotations=[])
    assert read(json.dumps([untouched]))[0].spans is None  # not annotated: no gold
    assert labels(read(json.dumps(TASK) + "\n" + json.dumps(TASK) + "\n")[1]) == labels(read(export)[0])  # JSON lines too


@pytest.mark.parametrize("earlier, later", [
    ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00.100000Z"),  # as strings, 'Z' sorts after '.'
    ("2024-05-01T11:00:00+02:00", "2024-05-01T10:00:00Z"),  # zones
    ("2024-05-01T10:00:00", "2024-05-01T10:00:00.5+00:00"),  # no zone: UTC
    ("2021-03-03T14:01:11.31+00:00", "2021-03-03T14:01:11.317166Z"),  # fractions of any length (Python 3.10 reads 3 or 6)
    (None, "2024-05-01T10:00:00Z"),  # none: before any
])
def test_the_latest_annotation_is_chosen_by_time_not_by_string(earlier, later):
    from nerpipe.formats.labelstudio import _when

    assert _when(later) > _when(earlier) or earlier is None
    old = {"id": 1, "updated_at": earlier, "result": [result(27, 33, "LOC", "Munich")]}
    new = {"id": 2, "updated_at": later, "result": [result(14, 23, "PER", "Anna Berg")]}
    for annotations in ([old, new], [new, old]):
        task = dict(TASK, annotations=annotations)
        assert labels(read(json.dumps([task]))[0]) == [("Anna Berg", "PER")]
        first = [dict(a, created_at=a.pop("updated_at")) for a in map(dict, annotations)]
        assert labels(read(json.dumps([dict(TASK, annotations=first)]), annotation="first")[0]) == [("Munich", "LOC")]


def test_offsets_in_utf16_units_are_read_and_written_as_label_studio_counts():
    text = "🚀 Launch by Acme in Oslo"
    # Label Studio (JavaScript) counts the rocket as two units: Acme is 13-17 there, 12-16 in Python
    task = {"data": {"text": text}, "annotations": [{"result": [
        {"type": "labels", "value": {"start": 13, "end": 17, "text": "Acme", "labels": ["ORG"]}}]}]}
    assert labels(read(json.dumps([task]))[0]) == [("Acme", "ORG")]
    out = run_cli(["convert", "--to", "labelstudio"], input=json.dumps([task]))
    assert json.loads(out.stdout)[0]["annotations"][0]["result"][0]["value"]["start"] == 13


def test_convert_gives_a_task_back_with_every_field_and_result():
    export = json.dumps([TASK, dict(TASK, id=5)])
    out = run_cli(["convert", "--to", "labelstudio", "--map", "PER=PERSON"], input=export)
    assert out.exit_code == 0, out.stderr
    tasks = json.loads(out.stdout)
    assert len(tasks) == 2 and out.stdout.count("\n") == 2  # a task a line, commas between
    task = tasks[0]
    assert task["data"] == TASK["data"] and task["meta"] == TASK["meta"] and task["predictions"] == TASK["predictions"]
    chosen = task["annotations"][1]["result"]
    assert [(r["value"]["labels"], r["from_name"], r["to_name"]) for r in chosen if r["type"] == "labels"] == [
        (["ORG"], "ner", "body"), (["PERSON"], "ner", "body")]
    assert {"type": "choices", "from_name": "topic", "to_name": "body", "value": {"choices": ["jobs"]}} in chosen
    assert task["annotations"][0] == TASK["annotations"][0] and task["annotations"][2] == TASK["annotations"][2]


def test_a_task_through_jsonl_comes_back_as_the_task_it_was_with_its_edits():
    export = json.dumps([TASK])
    direct = run_cli(["convert", "--to", "labelstudio"], input=export).stdout
    as_jsonl = run_cli(["convert", "--to", "jsonl"], input=export).stdout
    assert run_cli(["convert", "--to", "labelstudio"], input=as_jsonl).stdout == direct  # not nested in a new task
    record = json.loads(as_jsonl)
    record["spans"][1]["label"] = "ORG"  # Anna Berg, corrected by hand in the JSONL
    task = json.loads(run_cli(["convert", "--to", "labelstudio"], input=json.dumps(record) + "\n").stdout)[0]
    assert "text" not in task and "tokens" not in task and task["data"] == TASK["data"]
    chosen = task["annotations"][1]
    assert (chosen["id"], chosen["updated_at"]) == (2, "2026-11-03T09:00:00Z")  # the annotation read, in place
    assert [r["value"]["labels"] for r in chosen["result"] if r["type"] == "labels"] == [["ORG"], ["ORG"]]


def test_the_annotation_read_is_the_one_written_back_through_jsonl_and_none_is_overwritten_by_a_guess():
    first = json.dumps([TASK])
    as_jsonl = run_cli(["convert", "--annotation", "first", "--to", "jsonl"], input=first).stdout
    task = json.loads(run_cli(["convert", "--to", "labelstudio"], input=as_jsonl).stdout)[0]
    assert task["annotations"] == TASK["annotations"]  # the first was read and written back: the latest untouched
    edited = json.loads(as_jsonl)
    edited["text"] = edited["text"].replace("hired", "hires")  # its text changed: the places read no longer hold
    edited["tokens"] = [dict(t, text="hires") if t["text"] == "hired" else t for t in edited["tokens"]]
    task = json.loads(run_cli(["convert", "--to", "labelstudio"], input=json.dumps(edited) + "\n").stdout)[0]
    assert task["annotations"][:3] == TASK["annotations"] and len(task["annotations"]) == 4
    assert task["data"] == {**TASK["data"], "body": edited["text"]}  # the text in its own field, not a new "text"
    dropped = json.loads(as_jsonl)
    dropped["annotations"][0]["result"] = []  # a result the record says it read is gone: no traceback, no overwrite
    out = run_cli(["convert", "--to", "labelstudio"], input=json.dumps(dropped) + "\n")
    assert out.exit_code == 0 and len(json.loads(out.stdout)[0]["annotations"]) == 4
    record = json.loads(as_jsonl)
    del record["_labelstudio"]  # a record that no longer says which annotation it is
    record["spans"] = record["spans"][:0]
    task = json.loads(run_cli(["convert", "--to", "labelstudio"], input=json.dumps(record) + "\n").stdout)[0]
    assert task["annotations"][:3] == TASK["annotations"] and task["annotations"][3]["result"] == []  # one more


def test_tag_writes_predictions_with_scores_a_data_key_and_a_config(tmp_path):
    out = run_cli(["tag", "-f", "labelstudio", "--data-key", "content", "--config", str(tmp_path / "config.xml")],
                  input="Angela Merkel visited Paris.\n\nNothing here.\n")
    assert out.exit_code == 0, out.stderr
    tasks = json.loads(out.stdout)
    assert [t["data"]["content"] for t in tasks] == ["Angela Merkel visited Paris.", "Nothing here."]
    prediction = tasks[0]["predictions"][0]
    assert [(r["value"]["text"], r["value"]["labels"]) for r in prediction["result"]] == [
        ("Angela Merkel", ["PER"]), ("Paris", ["LOC"])]
    assert all(0 < r["score"] <= 1 for r in prediction["result"]) and 0 < prediction["score"] <= 1
    assert tasks[1]["predictions"][0]["result"] == []
    config = ET.parse(tmp_path / "config.xml").getroot()
    assert [label.get("value") for label in config.iter("Label")] == ["LOC", "MISC", "ORG", "PER"]
    assert config.find("Text").get("value") == "$content" and config.find("Labels").get("toName") == "text"
    # read back: the predictions are what a person corrects
    again = run_cli(["convert", "--to", "jsonl", "--annotation", "prediction", "--data-key", "content"], input=out.stdout)
    assert [s["label"] for s in json.loads(again.stdout.splitlines()[0])["spans"]] == ["PER", "LOC"]


def test_an_empty_output_is_an_empty_array():
    assert run_cli(["convert", "--from", "jsonl", "--to", "labelstudio"], input="").stdout == "[]\n"


def test_a_config_names_are_escaped():
    assert ET.fromstring(labeling_config(['A"<&>', "PER"])).find("Labels")[0].get("value") == 'A"<&>'


@pytest.mark.parametrize("export, said", [
    ('[{"data": {"a": "x", "b": "y"}}]', 'no "text" field; say which holds the text with --data-key (tag, convert, select, '
                                        'annotate; one of a, b)'),
    ('[{"data": {"text": "Anna"}, "annotations": [{"result": [{"type": "labels", "value": {"start": 0, "end": 4, '
     '"labels": ["PER", "ORG"]}}]}]}]', "has 2 labels"),
    ('[{"data": {"text": "Anna"}, "annotations": [{"result": [{"type": "labels", "value": {"start": 0, "end": 4, '
     '"text": "Bert", "labels": ["PER"]}}]}]}]', "says it holds 'Bert'"),
    ('[{"data": {"text": "Anna"}},\n {"data": {"text": "Bob"}}\n', "no closing ']'"),
    ('[{"data": {"text": "Anna"}},\n {"data": \n', "invalid JSON"),
])
def test_bad_tasks_are_located_errors(export, said):
    with pytest.raises(NerpipeError, match="export.json:[123]: .*" + said.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        read(export)


@pytest.mark.slow
def test_with_workers_the_array_stays_one_json_value():
    text = "".join(f"Angela Merkel visited Paris on day {i}.\n\n" for i in range(300))
    out = run_cli(["tag", "-f", "labelstudio", "-j", "2"], input=text)
    assert out.exit_code == 0, out.stderr
    assert len(json.loads(out.stdout)) == 300


def test_predictions_are_scored_against_annotations(tmp_path):
    task = {"data": {"text": "Siemens hired Anna Berg in Munich ."},
            "annotations": [{"result": [result(0, 7, "ORG"), result(14, 23, "PER"), result(27, 33, "LOC")]}],
            "predictions": [{"result": [result(0, 7, "ORG"), result(27, 33, "PER")]}]}
    (tmp_path / "export.json").write_text(json.dumps([task], indent=2))
    one = run_cli(["score", "--format", "json", str(tmp_path / "export.json")])  # its prediction against its annotation
    assert one.exit_code == 0, one.stderr
    assert (json.loads(one.stdout)["support"], json.loads(one.stdout)["correct"]) == (3, 1)
    (tmp_path / "gold.conll").write_text("Siemens B-ORG\nhired O\nAnna B-PER\nBerg I-PER\nin O\nMunich B-LOC\n. O\n")
    tagged = run_cli(["tag", "-f", "labelstudio", str(tmp_path / "gold.conll")]).stdout
    (tmp_path / "pred.json").write_text(tagged)
    for gold in ("gold.conll", "export.json"):  # a Label Studio PRED is read from its predictions, not annotations
        two = run_cli(["score", "--format", "json", str(tmp_path / gold), str(tmp_path / "pred.json")])
        assert two.exit_code == 0, two.stderr
        assert json.loads(two.stdout)["predicted"] == 3


def test_a_task_nobody_labelled_is_not_gold_without_entities(tmp_path):
    export = json.dumps([TASK, {"id": 9, "data": {"text": "Not labelled yet."}, "annotations": []}])
    hf = run_cli(["convert", "--to", "hf"], input=export)
    assert hf.exit_code == 0 and len(hf.stdout.splitlines()) == 1
    assert "1 records have no annotation (not labelled yet): left out" in hf.stderr
    conll = run_cli(["convert", "--to", "conll"], input=export)
    assert conll.stdout.endswith("Not\nlabelled\nyet\n.\n\n") and "written as tokens without a tag column" in conll.stderr
    jsonl = [json.loads(line) for line in run_cli(["convert", "--to", "jsonl"], input=export).stdout.splitlines()]
    assert "spans" in jsonl[0] and "spans" not in jsonl[1]  # written, as not annotated


def test_lines_of_a_pretty_printed_export_are_its_own():
    export = json.dumps([TASK, TASK, {"data": {"text": 3}}], indent=2)
    docs = read(json.dumps([TASK, TASK], indent=2))
    starts = [k + 1 for k, line in enumerate(export.splitlines()) if line == "  {"]
    assert [d.line for d in docs] == starts[:2]
    with pytest.raises(NerpipeError, match=f"export.json:{starts[2]}: "):
        read(export)


def test_an_empty_export_is_no_tasks():
    out = run_cli(["tag", "-f", "jsonl"], input="[]\n")
    assert out.exit_code == 0 and out.stdout == ""


def test_train_leaves_out_the_tasks_nobody_annotated_and_says_how_many(tmp_path):
    from nerpipe.training import TrainConfig, read_corpus

    export = tmp_path / "export.json"
    export.write_text(json.dumps([TASK, {"id": 9, "data": {"text": "Not labelled yet."}, "annotations": []},
                                  {"id": 10, "data": {"text": "Nor this."}}]))
    corpus = read_corpus([str(export)], TrainConfig(), "training")
    assert [s.tokens[0] for s in corpus.sentences] == ["Siemens"]
    assert corpus.notes == ("2 Label Studio task(s) of the training data without an annotation are left out",)
    only_open = tmp_path / "open.json"
    only_open.write_text(json.dumps([{"id": 9, "data": {"text": "Not labelled yet."}, "annotations": []}]))
    with pytest.raises(NerpipeError, match="holds no sentences"):
        read_corpus([str(only_open)], TrainConfig(), "training")
