"""The formats registry: every format in every command, nothing lost without a word."""

import gzip
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerpipe.cli import cli
from nerpipe.errors import NerpipeError
from nerpipe.formats import FORMATS, INPUT_FORMATS, OUTPUT_FORMATS, ConllReader, Sentence, align_spans, make_doc
from nerpipe.formats.text import parse_paragraphs
from nerpipe.tokenize import tokenize


def lines_of(text):
    return list(enumerate(io.StringIO(text, newline="").readlines(), 1))


def test_cli_choices_come_from_the_registry():
    tag, convert = cli.commands["tag"], cli.commands["convert"]
    choices = {p.name: list(p.type.choices) for c in (tag, convert) for p in c.params if hasattr(p.type, "choices")}
    assert choices["input_format"] == ["auto", *INPUT_FORMATS]
    assert choices["fmt"] == list(OUTPUT_FORMATS)
    assert choices["to"] == list(OUTPUT_FORMATS)
    assert set(INPUT_FORMATS) == {"conll", "jsonl", "doccano", "labelstudio", "brat", "conllu", "hf", "text", "lines"}
    for name, f in FORMATS.items():
        assert f.name == name and f.help and (f.parse or f.writer)


# --------------------------------------------------------------------------- CoNLL <-> JSONL

token = st.text(st.characters(whitelist_categories=("L", "N", "P", "S")), min_size=1, max_size=6).filter(
    lambda t: not t.startswith("#") and t != "-DOCSTART-" and "\ufeff" not in t)
tag = st.sampled_from(["O", "B-PER", "I-PER", "B-LOC", "I-creative-work", "B-creative-work"])


@st.composite
def conll_files(draw):
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    sep = draw(st.sampled_from([" ", "\t"]))
    ncols = draw(st.integers(2, 4))
    out = []
    if draw(st.booleans()):
        out.append(sep.join(["-DOCSTART-"] + ["-X-"] * (ncols - 2) + ["O"]) + eol + eol)
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            out.append("# a comment" + eol)
        for _ in range(draw(st.integers(1, 5))):
            cols = [draw(token)] + [draw(st.sampled_from(["NN", "VB", "-X-"])) for _ in range(ncols - 2)] + [draw(tag)]
            out.append(sep.join(cols) + eol)
        out.append(eol * draw(st.integers(1, 2)))
    return "".join(out)


@settings(max_examples=60, deadline=None)
@given(conll_files())
def test_conll_to_jsonl_to_conll_is_byte_identical(tmp_path_factory, text):
    from nerpipe.convert import convert_files

    path = tmp_path_factory.mktemp("rt") / "in.conll"
    path.write_bytes(text.encode())
    jsonl = "".join(convert_files([str(path)], "conll", "jsonl"))
    back = tmp_path_factory.mktemp("rt") / "in.jsonl"
    back.write_bytes(jsonl.encode())
    assert "".join(convert_files([str(back)], "jsonl", "conll")).encode() == text.encode()


# --------------------------------------------------------------------------- span alignment

@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab .,'-\n", max_size=30), st.lists(st.tuples(st.integers(-2, 32), st.integers(-2, 32)), max_size=3),
       st.sampled_from(["strict", "expand", "contract"]))
def test_spans_align_exactly_or_fail_with_a_location(text, raw, mode):
    tokens = tokenize(text)
    spans = [(a, b, "X") for a, b in raw]
    try:
        aligned = align_spans(text, tokens, spans, mode, "f.jsonl", 7)
    except NerpipeError as err:
        assert str(err).startswith("f.jsonl:7: span ")
        return
    assert len(aligned) == len(spans)  # never a silent drop
    for (a, b, _), (s, e, _) in zip(spans, aligned):
        start, end = tokens[s][0], tokens[e - 1][1]
        if mode == "strict":
            assert (start, end) == (a, b)
        elif mode == "expand":  # exactly the tokens the span touches
            touched = [i for i, (ts, te) in enumerate(tokens) if ts < b and te > a]
            assert (s, e) == (touched[0], touched[-1] + 1)
        else:
            assert a <= start and end <= b


def test_overlapping_spans_are_an_error():
    with pytest.raises(NerpipeError, match="f:3: span 4-11 'met Bob' .PER. overlaps span 0-7 'Ann met' .ORG."):
        make_doc("Ann met Bob.", {}, "f", 3, char_spans=[(0, 7, "ORG"), (4, 11, "PER")])


def test_sentences_never_split_an_annotated_span():
    doc = make_doc("I met Dr. Who. He left.", {}, "f", 1, char_spans=[(6, 13, "PER")])
    assert [" ".join(s) for s in doc.sentences] == ["I met Dr. Who .", "He left ."]
    doc = make_doc("It was U.S. He said so.", {}, "f", 1, char_spans=[(7, 14, "MISC")])
    assert len(doc.sentences) == 1  # the abbreviation break would cut "U.S. He"


# --------------------------------------------------------------------------- plain text

@pytest.mark.parametrize("text, sentences", [
    ("Tim Cook visited Berlin\nAngela Merkel met the Pope\n", ["Tim Cook visited Berlin", "Angela Merkel met the Pope"]),
    ("Paris\nLondon\nApple\n", ["Paris", "London", "Apple"]),
    ("omg just saw taylor swift. she was in new york! so cool", ["omg just saw taylor swift .", "she was in new york !", "so cool"]),
    ("He moved to the U.S. He left in May.", ["He moved to the U.S.", "He left in May ."]),
    ("She has a Ph.D. from Oxford.", ["She has a Ph.D. from Oxford ."]),
    ("MR. SMITH WENT TO WASHINGTON. HE LEFT.", ["MR. SMITH WENT TO WASHINGTON .", "HE LEFT ."]),
    ("A long line of prose that was wrapped by an editor at\nseventy characters and goes on here.",
     ["A long line of prose that was wrapped by an editor at seventy characters and goes on here ."]),
])
def test_sentence_splitting_holds_up_on_real_text(text, sentences):
    [doc] = parse_paragraphs(lines_of(text), "t")
    assert [" ".join(s) for s in doc.sentences] == sentences
    assert all(doc.text[s:e] for s, e in doc.tokens)


# --------------------------------------------------------------------------- corpus quirks

def test_corpus_quirks_read_exactly():
    text = ("Anna\tB-PER\t\nBerg\tI-PER\n\n"  # a trailing tab on one line only
            "\ufeff\n"  # a lone byte-order mark between sentences (files joined with cat)
            "\ufeffLima\tB-LOC\nis\tO\n"  # a BOM at the start of a line
            " \t \n"  # a separator of blanks
            "Tom\tB-PER\n")
    items = list(ConllReader().parse(lines_of(text), "q.conll"))
    sentences = [i for i in items if isinstance(i, Sentence)]
    assert [s.tokens for s in sentences] == [("Anna", "Berg"), ("Lima", "is"), ("Tom",)]
    assert sentences[0].tags == ("B-PER", "I-PER")
    with pytest.raises(NerpipeError, match="q.conll:2: expected 2 columns"):
        list(ConllReader().parse(lines_of("a\tO\nb\tO\tX\n"), "q.conll"))  # still strict otherwise


def test_gzip_is_read_in_every_command(tmp_path):
    from conftest import run_cli

    plain = "Anna B-PER\nBerg I-PER\nflew O\n\n"
    path = tmp_path / "g.conll.gz"
    path.write_bytes(gzip.compress(plain.encode()))
    assert run_cli(["convert", "--to", "conll", str(path)]).stdout == plain
    score = run_cli(["score", "--format", "json", str(path), str(path)])
    assert score.exit_code == 0 and json.loads(score.stdout)["f1"] == 1.0
    piped = run_cli(["convert", "--to", "conll"], input=gzip.compress(plain.encode()) + gzip.compress(plain.encode()))
    assert piped.stdout == plain + plain  # concatenated members, from standard input
    broken = run_cli(["convert", "--to", "conll"], input=gzip.compress(plain.encode())[:-9])
    assert broken.exit_code == 1 and "gzip data ends early" in broken.stderr
