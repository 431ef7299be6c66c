import json

import pytest
from conftest import run_cli

from nerpipe.formats import read_conll, sentences_only


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


def test_records_picked_out_of_a_conll_file_come_back_as_sentences_apart(tmp_path):
    """The blank line that ends a sentence travels in the next record's "before": records
    chosen out of the file (select, jq, grep) or reordered come back with a blank line
    between every two sentences all the same, never run together into one."""
    text = ("-DOCSTART- -X- -X- O\n\n" + "".join(f"Anna{k} NNP B-NP B-PER\nran VBD B-VP O\n\n" for k in range(6))
            + "# a comment\nOslo NNP B-NP B-LOC\n")
    records = run_cli(["convert", "--from", "conll", "--to", "jsonl"], input=text).stdout.splitlines()
    assert run_cli(["convert", "--from", "jsonl", "--to", "conll"], input="\n".join(records) + "\n").stdout == text
    def bare(record):  # as nerpipe select writes a record: without the marker lines before it
        record = json.loads(record)
        record["conll"]["before"] = []
        return json.dumps(record)

    for picked in (records[2:5:2], records[::-1], [records[-1], records[3]], records[3:4], [bare(r) for r in records[1:4]],
                   [bare(r) for r in records[::-1]]):
        back = tmp_path / "back.conll"
        back.write_text(run_cli(["convert", "--from", "jsonl", "--to", "conll"], input="\n".join(picked) + "\n").stdout)
        expected = [[t["text"] for t in json.loads(r)["tokens"]] for r in picked if json.loads(r)["tokens"]]
        assert [list(s.tokens) for s in sentences_only(read_conll([str(back)]))] == expected, back.read_text()
        assert "\n\n\n" not in back.read_text()


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


@pytest.mark.parametrize("label, said, rename", [
    ("Person Name", "holds white space, which a column cannot: rename it, e.g. --map 'Person Name=Person_Name'",
     "Person Name=PER"),
    (" PER ", "holds white space", "PER=PER"),  # --map reads OLD unpadded and matches the padded label
    ("B-PER", "is a tag itself (it would be written B-B-PER): rename it, e.g. --map B-PER=PER", "B-PER=PER"),
    ("O", "is O, which means no entity: rename it, e.g. --map O= (an empty NEW drops it)", None),
])
def test_labels_a_column_cannot_hold_are_refused_by_the_writer_and_map_renames_them(tmp_path, label, said, rename):
    path = tmp_path / "l.jsonl"
    path.write_text(json.dumps({"text": "Ann met Bob", "spans": [{"start": 0, "end": 3, "label": label}]}) + "\n")
    for to in ("conll", "conllu"):
        refused = run_cli(["convert", "--to", to, str(path)])
        assert refused.exit_code == 1 and f"l.jsonl:1: label {label!r} {said}" in refused.stderr, refused.stderr
        assert refused.stdout == ""
    renamed = run_cli(["convert", "--to", "conll", "--map", rename or "O=", str(path)])
    assert renamed.exit_code == 0 and renamed.stdout.splitlines()[0] == ("Ann B-PER" if rename else "Ann O")
    kept = run_cli(["convert", "--to", "jsonl", str(path)])  # JSON holds any label as it is
    assert kept.exit_code == 0 and json.loads(kept.stdout)["spans"][0]["label"] == label
    brat = run_cli(["convert", "--to", "brat", "-o", str(tmp_path / "brat"), str(path)])
    assert (brat.exit_code == 0) == (" " not in label), brat.stderr  # an .ann line's type is one word, O or B-PER alike


def test_conll_input_renamed_by_map_is_checked_too_and_o_as_new_drops(tmp_path):
    path = tmp_path / "t.conll"
    path.write_text("Ann B-PER\nmet O\n")
    spaced = run_cli(["convert", "--to", "conll", "--map", "PER=Big One", str(path)])
    assert spaced.exit_code == 1 and "label 'Big One' holds white space" in spaced.stderr and spaced.stdout == ""
    hf = run_cli(["convert", "--to", "hf", "--map", "PER=B-PER", str(path)])  # refused by the map itself
    assert hf.exit_code == 2 and "--map 'PER=B-PER': NEW is a tag, not a label" in hf.stderr
    dropped = run_cli(["convert", "--to", "conll", "--map", "PER=O", str(path)])  # O is no entity: the same as PER=
    assert dropped.exit_code == 0 and dropped.stdout.splitlines()[0] == "Ann O"


def test_a_token_with_white_space_is_refused_by_conll_and_kept_on_one_line_by_conllu(tmp_path):
    """A JSONL record's own tokens may hold white space ("New York"); a CoNLL line would
    split it into columns, so the CoNLL writer refuses it at its line. CoNLL-U's FORM may
    hold a space, never a tab or a line break: those become spaces, one line per word."""
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"text": "I saw New York", "tokens": ["I", "saw", "New York"]}) + "\n"
                    + json.dumps({"text": "Rome\tand\nParis", "tokens": ["Rome\tand\nParis"]}) + "\n")
    for command in (["convert", "--to", "conll", str(path)], ["tag", "-f", "conll", str(path)]):
        refused = run_cli(command)
        assert refused.exit_code == 1 and "t.jsonl:1: token 'New York' holds white space" in refused.stderr, refused.stderr
        assert "-f jsonl, conllu" in refused.stderr and "Traceback" not in refused.output
    conllu = run_cli(["convert", "--to", "conllu", str(path)])
    assert conllu.exit_code == 0, conllu.stderr
    words = [line.split("\t") for line in conllu.stdout.splitlines() if line and not line.startswith("#")]
    assert [w[1] for w in words] == ["I", "saw", "New York", "Rome and Paris"] and all(len(w) == 10 for w in words)
    assert run_cli(["convert", "--to", "conll", "--from", "text"], input="I saw New York\n").exit_code == 0


def test_inputs_that_end_without_a_line_break_or_a_blank_line_stay_apart(tmp_path):
    (tmp_path / "a.conll").write_text("Anna B-PER\nBerg I-PER")
    (tmp_path / "b.conll").write_text("Oslo I-PER\n")
    (tmp_path / "c.conll").write_text("flew O\n\n")
    (tmp_path / "d.jsonl").write_text('{"text": "Anna"}')
    a, b, c, d = (str(tmp_path / name) for name in ("a.conll", "b.conll", "c.conll", "d.jsonl"))
    out = run_cli(["convert", "--to", "conll", a, b, c, c]).stdout
    assert out == "Anna B-PER\nBerg I-PER\n\nOslo I-PER\n\nflew O\n\nflew O\n\n"  # nothing added after a blank line
    jsonl = run_cli(["convert", "--to", "jsonl", a, b]).stdout.splitlines()
    assert [json.loads(line)["text"] for line in jsonl] == ["Anna Berg", "Oslo"]  # an I-PER after a file: its own entity
    assert run_cli(["convert", "--to", "jsonl", d, d]).stdout.count("\n") == 2
    assert run_cli(["convert", "--to", "conll", a]).stdout == "Anna B-PER\nBerg I-PER"  # one file: byte for byte


def test_an_output_named_gz_is_gzip(tmp_path):
    """-o out.jsonl.gz wrote plain text into a file named as gzip (inputs so named are unpacked)."""
    import gzip

    (tmp_path / "a.conll").write_text("Anna B-PER\nflew O\n")
    out = tmp_path / "out.jsonl.gz"
    assert run_cli(["convert", "--to", "jsonl", "-o", str(out), str(tmp_path / "a.conll")]).exit_code == 0
    assert json.loads(gzip.decompress(out.read_bytes()))["text"] == "Anna flew"
    back = run_cli(["convert", "--to", "conll", str(out)])
    assert back.exit_code == 0 and back.stdout == "Anna B-PER\nflew O\n"  # the CoNLL it came from, byte for byte


def test_input_options_of_another_format_are_refused_or_said_to_do_nothing(tmp_path):
    """--sep on JSONL input did nothing, silently: a usage error where the input format is
    named, a warning after the run where it was detected and no input was CoNLL."""
    refused = run_cli(["convert", "--from", "jsonl", "--sep", "tab", "--to", "conll", "-"], input='{"text": "Ann"}\n')
    assert refused.exit_code == 2 and "--sep is for conll input; --from jsonl and --to conll have no use for it" in refused.stderr
    refused = run_cli(["convert", "--from", "conll", "--annotation", "first", "--to", "jsonl", "-"], input="Ann O\n")
    assert refused.exit_code == 2 and "--annotation is for labelstudio input" in refused.stderr
    refused = run_cli(["convert", "--from", "conll", "--label-names", "O,B-PER", "--to", "jsonl", "-"], input="Ann O\n")
    assert refused.exit_code == 2 and "--label-names is for hf input or hf output" in refused.stderr
    written = run_cli(["convert", "--from", "conll", "--label-names", "O,B-PER", "--to", "hf", "-"], input="Ann B-PER\n")
    assert written.exit_code == 0 and json.loads(written.stdout)["ner_tags"] == [1]  # used by the output: fine
    fine = run_cli(["convert", "--from", "conll", "--sep", "tab", "--to", "jsonl", "-"], input="Ann\tO\n")
    assert fine.exit_code == 0 and "warning" not in fine.stderr


def test_options_for_formats_not_read_are_said():
    result = run_cli(["convert", "--to", "jsonl", "--label-names", "A,B"], input="Paris is nice.\n")
    assert result.exit_code == 0 and "--label-names did nothing: it is for hf input or hf output" in result.stderr


def test_records_without_a_word_are_said_to_be_left_out_of_conll():
    result = run_cli(["convert", "--to", "conll"], input='{"text": ""}\n{"text": "Paris is nice."}\n')
    assert result.exit_code == 0 and result.stdout.split() == ["Paris", "is", "nice", "."]
    assert "1 record without a word (empty text) left out: conll has no sentence to hold one" in result.stderr
    carried = run_cli(["convert", "--to", "jsonl"], input="-DOCSTART- O\n\nParis B-LOC\n\n")  # markers as records
    assert "without a word" not in run_cli(["convert", "--to", "conll"], input=carried.stdout).stderr


def test_document_boundaries_a_target_cannot_hold_are_said():
    conll = "-DOCSTART- O\n\nParis B-LOC\n\n-DOCSTART- O\n\nRome B-LOC\n\n"
    result = run_cli(["convert", "--to", "doccano"], input=conll)
    assert result.exit_code == 0 and "2 -DOCSTART- lines left out: doccano has no document boundary" in result.stderr
    assert "DOCSTART" not in run_cli(["convert", "--to", "conllu"], input=conll).stderr  # (# newdoc)


def test_a_record_not_annotated_is_written_as_its_tokens_alone_not_as_o_tags():
    # (such a file mixes widths, which CoNLL readers refuse: the warning says so)
    bare = run_cli(["convert", "--from", "conll", "--to", "jsonl"], input="Rome\nfalls\n\n").stdout.splitlines()[0]
    tagged = run_cli(["convert", "--to", "jsonl"], input="Paris B-LOC\nis O\n\n").stdout.splitlines()[0]
    out = run_cli(["convert", "--to", "conll"], input=tagged + "\n" + bare + "\n")
    assert out.stdout == "Paris B-LOC\nis O\n\nRome\nfalls\n" and "1 records have no annotation" in out.stderr
