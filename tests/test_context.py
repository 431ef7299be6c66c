import json

import pytest
from conftest import run_cli

import nerpipe
import nerpipe.patterns
from nerpipe.context import ContextOptions, document_names, name_hints
from nerpipe.formats import Marker
from nerpipe.inference import Documents, group_items, split_documents


def test_document_names_vote_and_spread_the_last_word():
    sentences = [["Angela", "Merkel", "spoke"], ["Merkel", "left"], ["Acme", "rose"], ["Acme", "fell"]]
    spans = [[(0, 2, "PER")], [(0, 1, "ORG")], [(0, 1, "ORG")], [(0, 1, "LOC")]]
    scores = [[0.99], [0.6], [0.95], [0.93]]
    names = document_names(sentences, spans, scores, ContextOptions(confident=0.9))
    # "merkel" comes from the confident full name (the unsure ORG reading does not vote);
    # "acme" was ORG and LOC with about equal weight: no agreement, left out
    assert names == {("angela", "merkel"): "PER", ("merkel",): "PER"}
    assert document_names(sentences, spans, scores, ContextOptions(confident=0.9, last_word=False)) == {("angela", "merkel"): "PER"}


def test_names_that_are_no_evidence():
    names = document_names([["US", "in", "a", "7", "Ab"]], [[(0, 1, "LOC"), (1, 2, "ORG"), (3, 4, "MISC"), (4, 5, "PER")]],
                           [[1.0, 1.0, 1.0, 1.0]])
    assert names == {}  # a short word alone, a number: too easily something else elsewhere


def test_name_hints_longest_first_and_case_blind():
    names = {("angela", "merkel"): "PER", ("merkel",): "PER", ("new", "york"): "LOC"}
    assert name_hints(["ANGELA", "MERKEL", "and", "merkel", "in", "New", "York"], names, 2.0) == [
        (0, 2, "PER", 2.0), (3, 4, "PER", 2.0), (5, 7, "LOC", 2.0)]
    assert name_hints(["x"], {}, 2.0) == []


STRONG = ContextOptions(bonus=50.0)  # the document's word always wins: tests of where documents are, not of the model
LENTINI = [["Milan", "striker", "Gianluigi", "Lentini", "joined", "Atalanta", "on", "Monday", "."],
           ["the", "lentini", "deal", "was", "done", "."]]


@pytest.fixture
def tagger():
    return nerpipe.load_model()


def test_a_surname_takes_the_type_of_the_full_name_in_its_document(tagger):
    alone = tagger.predict(LENTINI)
    assert (1, 2, "PER") not in alone[1].spans and (2, 4, "PER") in alone[0].spans
    tagger.context = STRONG
    together = tagger.predict_documents([LENTINI])[0]
    assert (1, 2, "PER") in together[1].spans
    assert together[0].spans == alone[0].spans
    assert [p.spans for p in tagger.predict_documents([LENTINI[:1], LENTINI[1:]])[1]] == [alone[1].spans]  # two documents
    tagger.context = None
    assert [p.spans for p in tagger.predict_documents([LENTINI])[0]] == [p.spans for p in alone]


class _FirstPass:
    """A stand-in tagger whose first pass says what a test needs, and which records the hints of the second."""

    def __init__(self, first):
        self.first, self.context, self.hints = first, ContextOptions(), None
        self.read_caseless = True

    def predict(self, sentences, scores=False, hints=None, caseless=None):
        from nerpipe.tagger import Prediction

        if hints is None:
            return [Prediction(["O"] * len(s), spans, [0.99] * len(spans)) for s, spans in zip(sentences, self.first)]
        self.hints = hints
        return [Prediction(["O"] * len(s), [], []) for s in sentences]


def test_a_name_inside_a_longer_entity_is_no_evidence_there():
    from nerpipe.tagger import Tagger

    doc = [["France", "won", "."], ["France", "lost", "."], ["Air", "France", "unions", "protest", "in", "France", "."]]
    stand_in = _FirstPass([[(0, 1, "LOC")], [(0, 1, "LOC")], [(0, 2, "ORG")]])
    Tagger.predict_documents(stand_in, [doc])
    # "Air France" as it was found, and "France" alone; not the "France" inside "Air France"
    assert stand_in.hints == [[(0, 2, "ORG", 2.0), (5, 6, "LOC", 2.0)]]


def test_entities_forced_by_patterns_are_no_evidence(tagger):
    tagger.context = STRONG
    tagger.patterns = nerpipe.patterns.Patterns([{"label": "MISC", "pattern": "Gianluigi Lentini"}])
    found = tagger.predict_documents([LENTINI])[0]
    assert (2, 4, "MISC") in found[0].spans  # forced ...
    assert not any(label == "MISC" for _, _, label in found[1].spans)  # ... but not spread: the user said it there only


def test_documents_in_each_format():
    class Item:
        def __init__(self, record):
            self.record = record

    rule = Documents("jsonl")
    items = [Item({"doc_id": "a"}), Item({"meta": {"doc_id": "a"}}), Item({"doc_id": "b"}), Item({}), Item({})]
    assert [rule.starts(i) for i in items] == [True, False, True, True, True]
    assert split_documents(items, "jsonl") == [[0, 1], [2], [3], [4]]
    assert split_documents(items, "text") == [[0, 1, 2, 3, 4]]


def test_conll_converted_to_jsonl_keeps_its_documents(tmp_path):
    from nerpipe.formats import ReadOptions, read_records

    conll = ("-DOCSTART- -X- O\n\nBonn B-LOC\n\nParis B-LOC\n\n-DOCSTART- -X- O\n\nOslo B-LOC\n\n")
    (tmp_path / "d.conll").write_text(conll)
    (tmp_path / "d.jsonl").write_text(run_cli(["convert", "--to", "jsonl", str(tmp_path / "d.conll")]).stdout)
    records = list(read_records(str(tmp_path / "d.jsonl"), "jsonl", ReadOptions())[1])
    assert [r.text for r in records] == ["Bonn", "Paris", "Oslo", ""]  # (the last: the lines after the last sentence)
    assert split_documents(records, "jsonl") == [[0, 1], [2, 3]]  # as the CoNLL file's -DOCSTART- lines say
    (tmp_path / "n.conll").write_text("Bonn B-LOC\n\nParis B-LOC\n\n")  # none: one document, as CoNLL without them
    (tmp_path / "n.jsonl").write_text(run_cli(["convert", "--to", "jsonl", str(tmp_path / "n.conll")]).stdout)
    records = list(read_records(str(tmp_path / "n.jsonl"), "jsonl", ReadOptions())[1])
    assert split_documents(records, "jsonl") == [list(range(len(records)))]


def test_conllu_documents_start_at_newdoc():
    from nerpipe.formats.conllu import parse_conllu

    def sentence(n, *words):
        return f"# sent_id = {n}\n" + "".join(f"{i}\t{w}" + "\t_" * 8 + "\n" for i, w in enumerate(words, 1)) + "\n"

    text = (sentence(0, "Alone")  # before any newdoc: a document each
            + "# newdoc id = a\n" + sentence(1, "Gianluigi", "Lentini") + sentence(2, "LENTINI")
            + "# newdoc\n" + sentence(3, "Lentini") + sentence(4, "x") + "# newdocument = no\n" + sentence(5, "y"))
    items = list(parse_conllu(enumerate(text.splitlines(True), 1), "x.conllu"))
    assert split_documents(items, "conllu") == [[0], [1, 2], [3, 4, 5]]
    assert split_documents(items[:1] * 2, "conllu") == [[0], [1]]


def test_blocks_end_at_documents_and_records_sharing_a_doc_id_stay_together():
    class Record:
        def __init__(self, doc_id, n):
            self.record, self.n = {"doc_id": doc_id}, n

    def sentences(item):
        return [["w"] * item.n]

    items = [Record("a", 10)] * 4 + [Record("b", 10)] * 3
    blocks = list(group_items(items, sentences, 15, documents=Documents("jsonl")))
    assert [[r.record["doc_id"] for r in b] for b in blocks] == [["a"] * 4, ["b"] * 3]
    assert [len(b) for b in group_items(items, sentences, 15)] == [2, 2, 2, 1]  # without context: by size alone


def test_a_pause_ends_a_block_only_between_explicit_documents():
    marker = Marker("docstart", "-DOCSTART- O\n", "x", 1)

    class S:
        n = 5

    def sentences(item):
        return [] if isinstance(item, Marker) else [["w"] * item.n]

    items = [marker, S(), S(), S(), marker, S()]
    # the input pauses after every item: CoNLL documents still go out whole, each as soon as the next begins
    blocks = list(group_items(items, sentences, 1000, idle=lambda: True, documents=Documents("conll")))
    assert [len(b) for b in blocks] == [4, 2]
    # plain text has no explicit end: a pause ends a block (output stays prompt)
    text = [S(), S(), S()]
    assert [len(b) for b in group_items(text, sentences, 1000, idle=lambda: True, documents=Documents("text"))] == [1, 1, 1]


CONLL = """-DOCSTART- O

Milan B-ORG
striker O
Gianluigi B-PER
Lentini I-PER
joined O
Atalanta B-ORG
. O

the O
lentini B-PER
deal O
was O
done O
. O

-DOCSTART- O

the O
lentini B-PER
deal O
was O
done O
. O

"""


def _tag_file(tagger, tmp_path, name, text, fmt):
    from nerpipe.inference import TagOptions, tag_files

    path = tmp_path / name
    path.write_text(text)
    return "".join(tag_files([str(path)], tagger, TagOptions(input_format=fmt, output_format="conll" if fmt == "conll"
                                                                else "jsonl")))


def test_tag_reads_conll_by_document(tagger, tmp_path):
    tagger.context = STRONG
    out = _tag_file(tagger, tmp_path, "d.conll", CONLL, "conll")
    tags = [line.split()[-1] for line in out.splitlines() if line and not line.startswith("-DOCSTART-")]
    assert tags[8] == "B-PER"  # lentini after Gianluigi Lentini, in the same document
    assert tags[14] != "B-PER"  # in the next document there is no full name to lean on


def test_the_command_reads_documents_and_workers_agree():
    out = run_cli(["tag", "-i", "conll"], input=CONLL)
    assert out.exit_code == 0, out.output
    assert run_cli(["tag", "-i", "conll", "-j", "2"], input=CONLL).stdout == out.stdout
    alone = run_cli(["tag", "-i", "conll", "--no-context"], input=CONLL)
    assert alone.exit_code == 0 and len(alone.stdout.splitlines()) == len(out.stdout.splitlines())


@pytest.mark.parametrize("doc_ids, expected", [(["a", "a"], True), (["a", "b"], False), ([None, None], False)])
def test_jsonl_records_with_one_doc_id_are_one_document(tagger, tmp_path, doc_ids, expected):
    tagger.context = STRONG
    texts = ["Milan striker Gianluigi Lentini joined Atalanta on Monday.", "the lentini deal was done."]
    lines = [json.dumps({"text": t, **({"doc_id": d} if d else {})}) for t, d in zip(texts, doc_ids)]
    out = _tag_file(tagger, tmp_path, "d.jsonl", "\n".join(lines) + "\n", "jsonl")
    second = json.loads(out.splitlines()[1])
    assert any(s["label"] == "PER" and second["text"][s["start"]:s["end"]] == "lentini" for s in second["spans"]) is expected


def test_predict_text_reads_a_text_as_one_document(tagger):
    tagger.context = STRONG
    text = "Milan striker Gianluigi Lentini joined Atalanta on Monday.\n\nthe lentini deal was done."
    assert ("lentini", "PER") in [(e.text, e.label) for e in tagger.predict_text(text)]
    tagger.context = None
    assert ("lentini", "PER") not in [(e.text, e.label) for e in tagger.predict_text(text)]


def test_blocks_follow_documents_with_or_without_context(tmp_path):
    # the casing verdict reads whole documents too, so --no-context does not cut them either
    from nerpipe.inference import TagOptions, read_blocks

    path = tmp_path / "docs.jsonl"
    path.write_text("".join(f'{{"text": "w w w w w w w w w w", "doc_id": "{d}"}}\n' for d in "aaaabbb"))
    (_, _, blocks, _), = read_blocks([str(path)], TagOptions(), 15)
    assert [[item.record["doc_id"] for item in block] for block in blocks] == [["a"] * 4, ["b"] * 3]
