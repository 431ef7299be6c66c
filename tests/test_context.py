import json

import pytest
from conftest import run_cli

import nerpipe
from nerpipe.context import ContextOptions, document_names, name_hints
from nerpipe.inference import document_starts, group_items, split_documents


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


def test_a_surname_takes_the_type_of_the_full_name_in_its_document():
    tagger = nerpipe.load_model()
    doc = [["Milan", "striker", "Gianluigi", "Lentini", "joined", "Atalanta", "on", "Monday", "."],
           ["SOCCER", "-", "MILAN", "'S", "LENTINI", "MOVES", "TO", "ATALANTA", "."]]
    alone = tagger.predict(doc)
    together = tagger.predict_documents([doc])[0]
    assert (4, 5, "PER") not in alone[1].spans  # the headline alone reads LENTINI as a club
    assert (4, 5, "PER") in together[1].spans
    assert together[0].spans == alone[0].spans
    assert (7, 8, "ORG") in together[1].spans  # the rest of the sentence is decoded as before
    tagger.context = None
    assert [p.spans for p in tagger.predict_documents([doc])[0]] == [p.spans for p in alone]


def test_a_name_inside_a_longer_entity_is_left_alone():
    tagger = nerpipe.load_model()
    doc = [["France", "expels", "African", ",", "Air", "France", "unions", "protest", "."]]
    assert (0, 1, "LOC") in tagger.predict(doc, scores=True)[0].spans  # "France" is a confident LOC ...
    assert (4, 6, "ORG") in tagger.predict_documents([doc])[0][0].spans  # ... but not where it is part of "Air France"


def test_documents_in_each_format():
    class Item:
        def __init__(self, record):
            self.record = record

    starts = document_starts("jsonl")
    items = [Item({"doc_id": "a"}), Item({"meta": {"doc_id": "a"}}), Item({"doc_id": "b"}), Item({}), Item({})]
    assert [starts(i) for i in items] == [True, False, True, True, True]
    assert split_documents(items, "jsonl") == [[0, 1], [2], [3], [4]]
    assert split_documents(items, "text") == [[0, 1, 2, 3, 4]]


def test_blocks_end_at_documents():
    items = [("D", 0)] + [("s", 10)] * 5 + [("D", 0)] + [("s", 10)] * 2

    def sentences(item):
        return [["w"] * item[1]] if item[1] else []

    blocks = list(group_items(items, sentences, 15, starts_document=lambda item: item[0] == "D"))
    assert [len(b) for b in blocks] == [6, 3]  # not cut inside the first document
    assert [len(b) for b in group_items(items, sentences, 15)] == [3, 2, 3, 1]


CONLL = """-DOCSTART- O

Milan B-ORG
striker O
Gianluigi B-PER
Lentini I-PER
joined O
Atalanta B-ORG
. O

SOCCER O
- O
MILAN B-ORG
'S O
LENTINI B-PER
MOVES O
TO O
ATALANTA B-ORG
. O

-DOCSTART- O

SOCCER O
- O
MILAN B-ORG
'S O
LENTINI B-PER
MOVES O
TO O
ATALANTA B-ORG
. O

"""


def test_tag_reads_conll_by_document():
    out = run_cli(["tag", "-i", "conll"], input=CONLL)
    assert out.exit_code == 0, out.output
    tags = [line.split()[-1] for line in out.stdout.splitlines() if line and not line.startswith("-DOCSTART-")]
    assert tags[11] == "B-PER"  # LENTINI after Gianluigi Lentini, in the same document
    assert tags[20] == "B-ORG"  # the same headline in the next document has no full name to lean on
    sentence_only = run_cli(["tag", "-i", "conll", "--no-context"], input=CONLL).stdout
    assert [line.split()[-1] for line in sentence_only.splitlines() if line and not line.startswith("-DOC")][11] == "B-ORG"
    parallel = run_cli(["tag", "-i", "conll", "-j", "2"], input=CONLL)
    assert parallel.stdout == out.stdout


@pytest.mark.parametrize("doc_ids, expected", [(["a", "a"], True), (["a", "b"], False), ([None, None], False)])
def test_jsonl_records_with_one_doc_id_are_one_document(doc_ids, expected):
    texts = ["Milan striker Gianluigi Lentini joined Atalanta on Monday.", "SOCCER - MILAN 'S LENTINI MOVES TO ATALANTA ."]
    lines = [json.dumps({"text": t, **({"doc_id": d} if d else {})}) for t, d in zip(texts, doc_ids)]
    out = run_cli(["tag", "-i", "jsonl", "-f", "jsonl"], input="\n".join(lines) + "\n")
    second = json.loads(out.stdout.splitlines()[1])
    assert any(s["label"] == "PER" and second["text"][s["start"]:s["end"]] == "LENTINI" for s in second["spans"]) is expected


def test_predict_text_reads_a_text_as_one_document():
    tagger = nerpipe.load_model()
    text = "Milan striker Gianluigi Lentini joined Atalanta on Monday.\n\nSOCCER - MILAN 'S LENTINI MOVES TO ATALANTA ."
    found = [(e.text, e.label) for e in tagger.predict_text(text)]
    assert ("LENTINI", "PER") in found
