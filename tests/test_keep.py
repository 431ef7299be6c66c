"""Adapting without forgetting: the base model's pseudo-labels for the types the new data
lacks (--keep-types) and the pull towards the starting weights (--l2sp)."""

from types import SimpleNamespace

import pytest
import synthetic
import torch
from conftest import run_cli

from nerpipe.schemes import Scheme
from nerpipe.training.corpus import Corpus, GoldSentence
from nerpipe.training.keep import Anchor, pseudo_labels


class FakeBase:
    labels = ("LOC", "MISC", "PER")

    def predict(self, sentences):
        # a MISC on "German", a LOC on "Oslo", a PER on "Anna" (which the gold holds already as ORG)
        out = []
        for tokens in sentences:
            spans = [(i, i + 1, {"German": "MISC", "Oslo": "LOC", "Anna": "PER"}[t]) for i, t in enumerate(tokens)
                     if t in ("German", "Oslo", "Anna")]
            out.append(SimpleNamespace(spans=spans))
        return out


def test_pseudo_labels_fill_the_missing_types_where_no_gold_entity_is():
    corpus = Corpus.of([GoldSentence(("Anna", "met", "German", "Oslo", "fans"), ("B-ORG", "O", "O", "B-LOC", "O"), "x", 1),
                        GoldSentence(("German", "Anna"), ("O", "B-PER"), "x", 7)], ["x"])
    labelled, added = pseudo_labels(corpus, FakeBase(), Scheme.IOB2)
    assert added == {"MISC": 2}  # LOC and PER are annotated in the data: taught as they are
    reviewed = Corpus.of([GoldSentence(("German", "fans"), ("O", "O"), "x", 1, reviewed=True)], ["x"])
    assert pseudo_labels(reviewed, FakeBase(), Scheme.IOB2)[0].sentences[0].tags == ("O", "O")  # a person removed it
    assert [s.tags for s in labelled.sentences] == [("B-ORG", "O", "B-MISC", "B-LOC", "O"), ("B-MISC", "B-PER")]
    assert labelled.digest() != corpus.digest() and len(labelled.sentences) == 2


def test_a_person_decided_only_the_types_they_were_offered():
    """select --labels PER,ORG,LOC, then annotate: a reviewed record's missing MISC was never
    asked about (annotate's _labels say so), so it is pseudo-labelled as on any record; a
    type they were offered and left out stays out."""
    from nerpipe.training.corpus import labels_offered

    def reviewed(offered):
        sentence = GoldSentence(("German", "Oslo", "fans"), ("O", "B-LOC", "O"), "x", 1, reviewed=True, offered=offered)
        return pseudo_labels(Corpus.of([sentence], ["x"]), FakeBase(), Scheme.IOB2)

    assert reviewed(frozenset({"PER", "ORG", "LOC"})) == (Corpus.of([GoldSentence(
        ("German", "Oslo", "fans"), ("B-MISC", "B-LOC", "O"), "x", 1, reviewed=True, offered=frozenset({"PER", "ORG", "LOC"}))],
        ["x"]), {"MISC": 1})
    assert reviewed(frozenset({"MISC", "LOC"}))[1] == {} and reviewed(None)[1] == {}
    from nerpipe.labelmap import parse_label_map

    assert labels_offered({"answer": "accept", "_labels": ["PER"], "meta": {"labels": ["LOC"]}}) == {"PER"}
    # select's meta.labels prove nothing (annotate --labels may have offered others): every type counts as decided
    assert labels_offered({"answer": "accept", "meta": {"labels": ["LOC", "ORG"]}}) is None
    assert labels_offered({"answer": "accept"}) is None
    assert labels_offered({"_labels": ["PERSON", "GPE", "DATE"]}, parse_label_map(["ontonotes-conll"])) == {"PER", "LOC"}


@pytest.mark.slow
def test_annotate_records_the_types_it_offered_and_train_reads_them(tmp_path):
    from nerpipe.annotation import Session, prepare
    from nerpipe.training import TrainConfig, read_corpus

    batch = tmp_path / "batch.txt"
    batch.write_text("German fans met Anna .\n")
    session = Session(prepare(str(batch)), str(tmp_path / "gold.jsonl"), ["PER", "ORG", "LOC"])
    try:
        session.decide(0, "accept", [[3, 4, "PER"]])
    finally:
        session.close()
    [sentence] = read_corpus([str(tmp_path / "gold.jsonl")], TrainConfig(), "training").sentences
    assert sentence.reviewed and sentence.offered == {"PER", "ORG", "LOC"}


def test_the_anchor_costs_nothing_at_the_start_and_grows_with_the_distance():
    model = torch.nn.Linear(3, 2)
    anchor = Anchor(model, 0.5)
    assert anchor.penalty().item() == 0
    with torch.no_grad():
        model.weight += 1.0
    assert anchor.penalty().item() == pytest.approx(0.5 * 6)


def test_they_go_with_init_model(tmp_path):
    train = synthetic.write(tmp_path / "t.conll", 10, seed=5)
    for option, said in ((["--keep-types"], "--keep-types keeps what the --init-model knew: it goes with --init-model"),
                         (["--l2sp", "0.1"], "--l2sp keeps what the --init-model knew: it goes with --init-model"),
                         (["--l2sp", "0.1", "--no-keep-types"], "--keep-types and --l2sp keep what the --init-model knew: they")):
        result = run_cli(["train", train, "-o", str(tmp_path / "m.pt"), "--embeddings", "none", *option])
        assert result.exit_code == 2 and said in result.stderr, result.stderr


@pytest.mark.slow
def test_a_type_the_new_data_lacks_is_kept(tiny_model, tmp_path):
    from test_transfer import ADAPT

    from nerpipe.checkpoints import load_model

    path = tmp_path / "noloc.conll"
    with open(path, "w", encoding="utf-8") as f:  # the same kind of sentences, their places not annotated
        for tokens, tags in synthetic.sentences(120, seed=3):
            f.writelines(f"{t} {'O' if 'LOC' in g else g}\n" for t, g in zip(tokens, tags))
            f.write("\n")
    out = tmp_path / "kept.pt"
    result = run_cli(["train", str(path), "-o", str(out), "--init-model", str(tiny_model), "--epochs", "8", *ADAPT,
                      "--keep-types", "--l2sp", "0.001"])
    assert result.exit_code == 0, result.stderr
    assert "--keep-types: the base model's" in result.stderr and "LOC entities added" in result.stderr
    sentences = [tokens for tokens, _ in synthetic.sentences(60, seed=9)]
    base, kept = load_model(tiny_model), load_model(out)
    locs = sum(label == "LOC" for p in base.predict(sentences) for *_, label in p.spans)
    assert sum(label == "LOC" for p in kept.predict(sentences) for *_, label in p.spans) >= 0.9 * locs > 0
