import json

from conftest import run_cli


def test_conll_scheme_rewrite_keeps_other_columns(data_dir):
    result = run_cli(["convert", "--to", "conll", "--scheme", "iobes", str(data_dir / "mixed.conll")])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "-DOCSTART- -X- -X- O"
    assert "# sent_id = 1" in lines
    assert "Anna NNP B-NP B-PER" in lines and "Berg NNP I-NP E-PER" in lines and "Oslo NNP B-NP S-LOC" in lines


def test_conll_to_jsonl_and_back(data_dir):
    out = run_cli(["convert", "--to", "jsonl", str(data_dir / "mixed.conll")]).stdout
    records = [json.loads(line) for line in out.splitlines()]
    first = records[0]
    assert first["text"] == "Anna Berg flew to Oslo ."
    assert [(s["label"], first["text"][s["start"]:s["end"]]) for s in first["spans"]] == [("PER", "Anna Berg"), ("LOC", "Oslo")]
    back = run_cli(["convert", "--from", "jsonl", "--to", "conll"], input=out).stdout
    assert back == (data_dir / "mixed.conll").read_text()  # other columns, comments and -DOCSTART- travel too


def test_jsonl_without_tokens_is_tokenised():
    out = run_cli(["convert", "--to", "conll"], input='{"text": "Hi, U.S. friends!", "spans": []}\n').stdout
    assert out == "Hi O\n, O\nU.S. O\nfriends O\n! O\n\n"
    # a record without "spans" is not annotated: its tokens alone (untagged CoNLL), not gold without entities
    bare = run_cli(["convert", "--to", "conll"], input='{"text": "Hi, U.S. friends!"}\n').stdout
    assert bare == "Hi\n,\nU.S.\nfriends\n!\n\n"


def test_bad_tag_fails():
    # detected as CoNLL (most of the first lines are columns ending in a tag), or said to be
    for args, text in (([], "a B-PER\nb PER\nc O\n"), (["--from", "conll"], "a B-PER\nb PER\n")):
        result = run_cli(["convert", "--to", "jsonl", *args], input=text)
        assert result.exit_code == 1 and "<stdin>:2: tag 'PER'" in result.stderr


def test_a_label_with_a_space_is_refused_as_a_conll_column_and_can_be_renamed(tmp_path):
    path = tmp_path / "sp.jsonl"
    path.write_text('{"text": "Ann met Bob", "spans": [{"start": 0, "end": 3, "label": "Person Name"}]}\n')
    refused = run_cli(["convert", "--to", "conll", str(path)])
    assert refused.exit_code == 1 and "label 'Person Name' holds white space" in refused.stderr and refused.stdout == ""
    renamed = run_cli(["convert", "--to", "conll", "--map", "Person Name=PER", str(path)])
    assert renamed.exit_code == 0 and renamed.stdout.splitlines()[0] == "Ann B-PER"
    kept = run_cli(["convert", "--to", "jsonl", str(path)])  # JSON holds it as it is
    assert kept.exit_code == 0 and '"label": "Person Name"' in kept.stdout
