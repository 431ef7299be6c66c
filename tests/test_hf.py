"""Hugging Face token classification JSON lines, as `datasets` writes them (`Dataset.to_json`)."""

import json

from conftest import run_cli

from nerpipe.formats import detect_format

CONLL2003_NAMES = "O,B-PER,I-PER,B-ORG,I-ORG,B-LOC,I-LOC,B-MISC,I-MISC"  # the Hub's conll2003 ClassLabel names
EXPORT = ('{"id": "0", "tokens": ["EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", "."], '
          '"pos_tags": [22, 42, 16, 21, 35, 37, 16, 21, 7], "ner_tags": [3, 0, 7, 0, 0, 0, 7, 0, 0]}\n'
          '{"id": "1", "tokens": ["Peter", "Blackburn"], "pos_tags": [22, 22], "ner_tags": [1, 2]}\n')


def test_detected_and_read_with_label_names_then_written_back_byte_for_byte():
    assert detect_format(EXPORT.splitlines())[0] == "hf"
    as_jsonl = run_cli(["convert", "--to", "jsonl", "--label-names", CONLL2003_NAMES], input=EXPORT)
    assert as_jsonl.exit_code == 0, as_jsonl.stderr
    records = [json.loads(line) for line in as_jsonl.stdout.splitlines()]
    assert [[(s["start"], s["end"], s["label"]) for s in r["spans"]] for r in records] == [
        [(0, 2, "ORG"), (11, 17, "MISC"), (34, 41, "MISC")], [(0, 15, "PER")]]
    back = run_cli(["convert", "--to", "hf", "--label-names", CONLL2003_NAMES], input=as_jsonl.stdout)
    assert back.stdout == EXPORT
    names = run_cli(["convert", "--to", "hf"], input=as_jsonl.stdout).stdout
    assert json.loads(names.splitlines()[1])["ner_tags"] == ["B-PER", "I-PER"]


def test_integers_without_names_or_out_of_range_are_located_errors(tmp_path):
    result = run_cli(["convert", "--to", "jsonl"], input=EXPORT)
    assert result.exit_code == 1 and "<stdin>:1: integer ner_tags need the label names: --label-names" in result.stderr
    result = run_cli(["convert", "--to", "jsonl", "--label-names", "O,B-PER,I-PER"], input=EXPORT)
    assert result.exit_code == 1 and "<stdin>:1: ner_tag 3 is not one of the 3 label names" in result.stderr
    (tmp_path / "names.txt").write_text(CONLL2003_NAMES.replace(",", "\n") + "\n")
    assert run_cli(["convert", "--to", "conll", "--label-names", str(tmp_path / "names.txt")], input=EXPORT).exit_code == 0
    result = run_cli(["convert", "--to", "jsonl"], input='{"tokens": ["a", "b"], "ner_tags": ["O"]}\n')
    assert result.exit_code == 1 and '"ner_tags" must be a list of 2 tags' in result.stderr


def test_tag_writes_predictions_as_ner_tags_and_scores_against_the_gold():
    tagged = run_cli(["tag", "--label-names", CONLL2003_NAMES], input=EXPORT)  # hf in, hf out (in a pipe)
    assert tagged.exit_code == 0, tagged.stderr
    first = json.loads(tagged.stdout.splitlines()[0])
    assert first["pos_tags"][0] == 22 and all(isinstance(t, int) for t in first["ner_tags"])
    scored = run_cli(["score", "--format", "json"],
                     input=run_cli(["tag", "-f", "jsonl", "--label-names", CONLL2003_NAMES], input=EXPORT).stdout)
    assert json.loads(scored.stdout)["support"] == 4
