"""CoNLL-U with the entity tag in MISC: every line kept, the tag read from and written into its key."""

import json

import pytest
from conftest import run_cli

from nerpipe.errors import NerpipeError
from nerpipe.formats.conllu import parse_conllu

# a multiword token (3-4), an empty node (5.1), other MISC entries, a comment block and CRLF line ends
UD = ("# newdoc id = d1\r\n# sent_id = s1\r\n# text = Anna vive del Prado.\r\n"
      "1\tAnna\tAnna\tPROPN\t_\t_\t2\tnsubj\t_\tNER=B-PER\r\n"
      "2\tvive\tvivir\tVERB\t_\t_\t0\troot\t_\t_\r\n"
      "3-4\tdel\t_\t_\t_\t_\t_\t_\t_\t_\r\n"
      "3\tde\tde\tADP\t_\t_\t5\tcase\t_\t_\r\n"
      "4\tel\tel\tDET\t_\t_\t5\tdet\t_\t_\r\n"
      "5\tPrado\tPrado\tPROPN\t_\t_\t2\tobl\t_\tNER=B-LOC|SpaceAfter=No\r\n"
      "5.1\tvive\tvivir\tVERB\t_\t_\t_\t_\t2:conj\t_\r\n"
      "6\t.\t.\tPUNCT\t_\t_\t2\tpunct\t_\tGloss=.\r\n"
      "\r\n"
      "# sent_id = s2\r\n# text = Hola.\r\n"
      "1\tHola\thola\tINTJ\t_\t_\t0\troot\t_\tSpaceAfter=No\r\n"
      "2\t.\t.\tPUNCT\t_\t_\t1\tpunct\t_\t_\r\n"
      "\r\n")


def read(text, **options):
    return list(parse_conllu(list(enumerate(text.splitlines(keepends=True), 1)), "ud.conllu", **options))


def test_words_are_the_tokens_and_the_tag_comes_from_misc():
    first, second = read(UD)
    # "del" is one token of the text but two words: the words are joined instead of # text
    assert first.sentences == (("Anna", "vive", "de", "el", "Prado", "."),)
    assert first.text == "Anna vive de el Prado."
    assert [(first.text[s:e], label) for s, e, label in first.char_spans(first.spans)] == [("Anna", "PER"), ("Prado", "LOC")]
    assert first.record["id"] == "s1" and second.spans is None  # no word of s2 has NER=: not annotated
    assert second.text == "Hola."  # from # text


def test_convert_gives_every_line_back_and_tag_writes_its_key_only(tmp_path):
    (tmp_path / "ud.conllu").write_bytes(UD.encode())
    same = run_cli(["convert", "--to", "conllu", str(tmp_path / "ud.conllu")])
    assert same.stdout_bytes == UD.encode()  # (click's stdout turns "\r\n" into "\n")
    tagged = run_cli(["tag", str(tmp_path / "ud.conllu")])
    assert tagged.exit_code == 0, tagged.stderr
    lines = tagged.stdout_bytes.decode().splitlines(keepends=True)
    assert len(lines) == len(UD.splitlines())
    for before, after in zip(UD.splitlines(keepends=True), lines):
        cols, new = before.rstrip("\r\n").split("\t"), after.rstrip("\r\n").split("\t")
        assert after.endswith("\r\n") and cols[:9] == new[:9]
        if len(cols) == 10 and cols[0].isdigit():
            assert new[9].split("|")[0].startswith("NER=")
            assert [m for m in new[9].split("|") if not m.startswith("NER=")] == [
                m for m in cols[9].split("|") if not m.startswith("NER=") and m != "_"]
        else:
            assert after == before  # comments, blank lines, the multiword token and the empty node
    assert "Anna\tAnna\tPROPN\t_\t_\t2\tnsubj\t_\tNER=B-PER\r\n" in tagged.stdout_bytes.decode()


def test_another_key_and_scheme_and_other_formats_in(tmp_path):
    text = UD.replace("NER=", "Entity=")
    assert read(text, key="Entity")[0].spans == read(UD)[0].spans
    out = run_cli(["convert", "--to", "conllu", "--conllu-key", "Entity"], input=text)
    assert out.stdout_bytes.decode() == text
    jsonl = '{"text": "Angela Merkel lives in Berlin.", "spans": [{"start": 0, "end": 13, "label": "PER"}]}\n'
    made = run_cli(["convert", "--from", "jsonl", "--to", "conllu"], input=jsonl).stdout
    assert made.splitlines()[1] == "# text = Angela Merkel lives in Berlin."
    assert made.splitlines()[3] == "2\tMerkel\t_\t_\t_\t_\t_\t_\t_\tNER=I-PER"
    assert made.splitlines()[6] == "5\tBerlin\t_\t_\t_\t_\t_\t_\t_\tNER=O|SpaceAfter=No"
    back = json.loads(run_cli(["convert", "--from", "conllu", "--to", "jsonl"], input=made).stdout)
    assert back["text"] == "Angela Merkel lives in Berlin." and [s["label"] for s in back["spans"]] == ["PER"]


@pytest.mark.parametrize("bad, said", [
    ("1\tAnna\tAnna\n\n", "ud.conllu:1: expected 10 tab-separated columns"),
    ("x\tAnna\t_\t_\t_\t_\t_\t_\t_\t_\n\n", "ud.conllu:1: ID 'x' is not a word id"),
    ("1\tAnna\t_\t_\t_\t_\t_\t_\t_\tNER=Q-PER\n\n", "ud.conllu:1: "),
])
def test_bad_lines_are_located(bad, said):
    with pytest.raises(NerpipeError, match=said):
        read(bad)


def test_auto_detects_it():
    out = run_cli(["tag", "-v", "-f", "tsv"], input=UD)
    assert "reading conllu" in out.stderr


def test_tags_come_back_in_their_scheme_unless_another_is_asked_for():
    iobes = UD.replace("NER=B-PER", "NER=S-PER").replace("NER=B-LOC", "NER=S-LOC")
    assert run_cli(["convert", "--to", "conllu"], input=iobes).stdout_bytes.decode() == iobes
    bilou = run_cli(["convert", "--to", "conllu", "--scheme", "bilou"], input=iobes).stdout_bytes.decode()
    assert "NER=U-PER" in bilou and "NER=U-LOC" in bilou


def test_document_boundaries_cross_between_conll_and_conllu():
    """-DOCSTART- became nothing in CoNLL-U (and # newdoc nothing in CoNLL), so a converted
    corpus lost its documents and tagging read each sentence alone (test.txt: 90.49
    instead of 90.98). Each is now the other's, also through JSONL."""
    conll = "-DOCSTART- -X- O\n\nAnn B-PER\nmet O\n\n-DOCSTART- -X- O\n\nBob B-PER\n"
    conllu = run_cli(["convert", "--from", "conll", "--to", "conllu", "-"], input=conll).stdout
    assert conllu.count("# newdoc\n") == 2 and conllu.startswith("# newdoc\n# sent_id")
    assert conllu.split("\n\n")[1].startswith("# newdoc\n")  # before Bob's sentence
    via_jsonl = run_cli(["convert", "--from", "jsonl", "--to", "conllu", "-"],
                        input=run_cli(["convert", "--from", "conll", "--to", "jsonl", "-"], input=conll).stdout).stdout
    assert via_jsonl.count("# newdoc\n") == 2
    back = run_cli(["convert", "--from", "conllu", "--to", "conll", "-"], input=conllu).stdout
    assert back == "-DOCSTART- O\n\nAnn B-PER\nmet O\n\n-DOCSTART- O\n\nBob B-PER\n\n"
    plain = run_cli(["convert", "--from", "conll", "--to", "conllu", "-"], input="Ann B-PER\n").stdout
    assert "newdoc" not in plain  # no boundary, none made up


def test_a_sentence_without_entity_keys_is_said_in_conllu_words(tmp_path):
    """score and train named JSONL's "spans", which a CoNLL-U file has none of."""
    path = tmp_path / "nk.conllu"
    path.write_text("# text = Ann met\n1\tAnn\t_\t_\t_\t_\t_\t_\t_\t_\n2\tmet\t_\t_\t_\t_\t_\t_\t_\t_\n\n")
    said = "nk.conllu:1: expected gold entities: no word of this CoNLL-U sentence has NER= in its MISC column"
    scored = run_cli(["score", str(path), str(path)])
    assert scored.exit_code == 1 and said in scored.stderr and '"spans"' not in scored.stderr
    trained = run_cli(["train", str(path), "-o", str(tmp_path / "m.pt"), "--epochs", "1"])
    assert trained.exit_code == 1 and "training data needs gold entities: no word of this CoNLL-U" in trained.stderr


def test_sentence_ids_come_from_the_records_id_else_from_where_it_is():
    records = '{"id": "doc 7", "text": "Anna flew. Tom stayed."}\n{"text": "Oslo."}\n'
    out = run_cli(["convert", "--to", "conllu"], input=records).stdout
    assert [line for line in out.splitlines() if "sent_id" in line] == [
        "# sent_id = doc 7-1", "# sent_id = doc 7-2", "# sent_id = <stdin>:2"]


def test_conll_comments_become_the_next_sentences_comments():
    conll = "# doc one\nParis B-LOC\n\n# second\nRome B-LOC\n\n"
    for source in (conll, run_cli(["convert", "--to", "jsonl"], input=conll).stdout):
        out = run_cli(["convert", "--to", "conllu"], input=source).stdout
        blocks = out.strip("\n").split("\n\n")
        assert [b.splitlines()[0] for b in blocks] == ["# doc one", "# second"]
