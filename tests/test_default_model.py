"""The embedded English model: shipped, small, and still accurate."""

import json

import pytest
from conftest import CONLL2003, run_cli

from nerpipe.checkpoints import default_model_path

pytestmark = pytest.mark.skipif(not default_model_path().exists(), reason="no embedded model in this checkout")


def test_size_and_metadata():
    assert default_model_path().stat().st_size <= 25_000_000  # 25 MB (SI), the budget for a model inside the package
    info = json.loads(run_cli(["info", "--format", "json"]).stdout)
    assert info["labels"] == ["LOC", "MISC", "ORG", "PER"]
    assert info["scheme"] == "iob2"


def test_finds_entities_in_plain_text():
    out = run_cli(["tag"], input="Angela Merkel met Emmanuel Macron in Paris on Tuesday.\n").stdout
    record = json.loads(out)
    found = {(s["label"], record["text"][s["start"]:s["end"]]) for s in record["spans"]}
    assert {("PER", "Angela Merkel"), ("PER", "Emmanuel Macron"), ("LOC", "Paris")} <= found


@pytest.mark.slow  # tags all of CoNLL-2003 test.txt (46,000 tokens)
@pytest.mark.skipif(not (CONLL2003 / "test.txt").exists(), reason="needs ../shared/data/conll2003")
def test_still_scores_at_least_90_on_conll2003_test():
    tagged = run_cli(["tag", "--threads", "2", str(CONLL2003 / "test.txt")]).stdout
    score = json.loads(run_cli(["score", "--format", "json"], input=tagged).stdout)
    assert score["f1"] >= 0.905, score["f1"]


# The shipped model on CoNLL-2003 test.txt with only the token column recased, read by
# document as `nerpipe tag` reads it (caseless documents read both ways). Targets: 90.5 /
# 88.0 / 88.0 / 87.0; the bars are a point under each (measured 90.98 / 88.20 / 88.20 /
# 88.20 with benchmarks/bench_casing.py; docs/benchmarks.md).
CASE_BARS = {"cased": 89.5, "lower": 87.0, "upper": 87.0, "title": 86.0}


@pytest.mark.slow  # tags CoNLL-2003 test.txt in four casings
@pytest.mark.skipif(not (CONLL2003 / "test.txt").exists(), reason="needs ../shared/data/conll2003")
def test_reads_text_in_any_casing_on_conll2003_test():
    import torch

    from nerpipe.checkpoints import load_model
    from nerpipe.formats import Marker, Sentence, read_conll

    loaded = load_model()
    documents: list[list] = [[]]
    for item in read_conll([str(CONLL2003 / "test.txt")]):
        if isinstance(item, Marker) and item.kind == "docstart" and documents[-1]:
            documents.append([])
        elif isinstance(item, Sentence):
            documents[-1].append(item)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the benchmark measured: sums split across threads can move a borderline entity
    try:
        _check_casings(loaded, documents)
    finally:
        torch.set_num_threads(threads)


def _check_casings(loaded, documents):
    from nerpipe.recase import recase
    from nerpipe.scoring import score_pairs

    gold = [s.tags for doc in documents for s in doc]
    for variant, bar in CASE_BARS.items():
        predicted = [p for doc in loaded.predict_documents([[recase(s.tokens, variant) for s in doc] for doc in documents])
                     for p in doc]
        f1 = 100 * score_pairs((g, p.tags) for g, p in zip(gold, predicted)).overall.f1
        assert f1 >= bar, (variant, f1)


def test_finds_entities_in_lower_case_and_headlines():
    for text, expected in [("omg just saw taylor swift in new york\n", {("PER", "taylor swift"), ("LOC", "new york")}),
                           ("ANGELA MERKEL MEETS EMMANUEL MACRON IN PARIS\n",
                            {("PER", "ANGELA MERKEL"), ("PER", "EMMANUEL MACRON"), ("LOC", "PARIS")})]:
        record = json.loads(run_cli(["tag"], input=text).stdout)
        found = {(s["label"], record["text"][s["start"]:s["end"]]) for s in record["spans"]}
        assert expected <= found, found


def test_decomposed_accents_read_as_composed_ones():
    """Text in Unicode's decomposed form (NFD: macOS file names, some PDF tools) is the
    same text: the same entities, labels and scores, at its own offsets."""
    import unicodedata

    from nerpipe.checkpoints import load_model

    tagger = load_model()
    text = "Angela Merkel flew from Zürich to São Paulo with Gérard Depardieu and Björn Borg ."
    composed, decomposed = (tagger.predict_text(unicodedata.normalize(form, text)) for form in ("NFC", "NFD"))
    assert [(e.label, round(e.score, 4), unicodedata.normalize("NFC", e.text)) for e in decomposed] == \
        [(e.label, round(e.score, 4), e.text) for e in composed]
    assert any(e.text == unicodedata.normalize("NFD", "Zürich") for e in decomposed)  # the text as given
    assert tagger.vocab.encode(unicodedata.normalize("NFD", "Björn")) == tagger.vocab.encode("Björn")
