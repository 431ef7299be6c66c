import json

import pytest
import torch

import synthetic
from nerpipe.checkpoints import load_model
from nerpipe.errors import NerpipeError
from nerpipe.model import ModelConfig
from nerpipe.scoring import score_pairs
from nerpipe.training import Reporter, TrainConfig, train

torch.set_num_threads(1)


def tiny_config(**kw):
    model = ModelConfig(hidden=16, char_filters=8, char_dim=8, word_dim=16, casing_dim=4, dropout=0.1,
                        crf=kw.pop("crf", True))
    return TrainConfig(epochs=kw.pop("epochs", 12), batch_size=8, lr=0.02, lr_decay=0.0, patience=30, model=model, **kw)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("corpus")
    return synthetic.write(d / "train.conll", 150, seed=1), synthetic.write(d / "dev.conll", 40, seed=2)


def dev_f1(model_path, dev):
    from nerpipe.formats import read_conll, sentences_only

    loaded = load_model(model_path)
    sents = list(sentences_only(read_conll([dev])))
    pred = [p.tags for p in loaded.predict([s.tokens for s in sents])]
    return score_pairs((s.tags, p) for s, p in zip(sents, pred)).overall.f1


@pytest.mark.parametrize("crf", [True, False])
def test_learns_the_synthetic_task_perfectly(corpus, tmp_path, crf):
    train_path, dev_path = corpus
    out = tmp_path / "m.pt"
    summary = train([train_path], out, [dev_path], tiny_config(crf=crf))
    assert summary["best"]["dev_f1"] == 100.0
    assert dev_f1(out, dev_path) == 1.0


@pytest.mark.parametrize("regularise,threads", [(False, 1), (True, 1), (False, 2)])
def test_same_seed_same_run(corpus, tmp_path, regularise, threads):
    train_path, dev_path = corpus
    logs = []
    for name in ("a", "b"):
        config = tiny_config(epochs=3, word_dropout=0.2 if regularise else 0.0)
        config.model.variational = regularise
        torch.set_num_threads(threads)
        try:
            train([train_path], tmp_path / f"{name}.pt", [dev_path], config, log=str(tmp_path / f"{name}.log"))
        finally:
            torch.set_num_threads(1)
        logs.append([{k: v for k, v in json.loads(l).items() if k in ("loss", "dev_f1")} for l in open(tmp_path / f"{name}.log")])
    assert logs[0] == logs[1]
    a = torch.load(tmp_path / "a.pt", weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "b.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_word_dropout_changes_training_and_still_learns(corpus, tmp_path):
    train_path, dev_path = corpus
    losses = {}
    for rate in (0.0, 0.1):
        log = tmp_path / f"{rate}.log"
        summary = train([train_path], tmp_path / f"{rate}.pt", [dev_path], tiny_config(word_dropout=rate), log=str(log))
        losses[rate] = [json.loads(line)["loss"] for line in open(log)]
        assert summary["best"]["dev_f1"] >= 95.0
    assert losses[0.0][0] != losses[0.1][0]


def test_lexicon_model_learns_and_keeps_its_lexicon(corpus, tmp_path):
    train_path, dev_path = corpus
    out = tmp_path / "m.pt"
    summary = train([train_path], out, [dev_path], tiny_config(lexicon=True))
    assert summary["best"]["dev_f1"] == 100.0
    loaded = load_model(out)
    assert loaded.network.config.lexicon_features == 4 * len(loaded.lexicon.types) > 0
    assert len(loaded.lexicon) > 0
    assert dev_f1(out, dev_path) == 1.0


class StopAfter(Reporter):
    def __init__(self, epoch):
        self.epoch = epoch

    def end_epoch(self, record):
        if record["epoch"] == self.epoch:
            raise KeyboardInterrupt


def test_resume_after_interruption_gives_the_same_model(corpus, tmp_path):
    train_path, dev_path = corpus
    train([train_path], tmp_path / "full.pt", [dev_path], tiny_config(epochs=4))
    with pytest.raises(KeyboardInterrupt):
        train([train_path], tmp_path / "cut.pt", [dev_path], tiny_config(epochs=4), reporter=StopAfter(2))
    assert (tmp_path / "cut.pt").exists()  # the best model so far survives the interruption
    load_model(tmp_path / "cut.pt")
    summary = train([train_path], tmp_path / "cut.pt", [dev_path], tiny_config(epochs=4), resume=True)
    assert summary["epochs"] == 4
    full = torch.load(tmp_path / "full.pt", weights_only=True)
    cut = torch.load(tmp_path / "cut.pt", weights_only=True)
    assert all(torch.equal(full["state_dict"][k], cut["state_dict"][k]) for k in full["state_dict"])
    assert full["meta"]["training"]["history"][-1]["dev_f1"] == cut["meta"]["training"]["history"][-1]["dev_f1"]


def test_resume_refuses_other_options(corpus, tmp_path):
    train_path, dev_path = corpus
    train([train_path], tmp_path / "m.pt", [dev_path], tiny_config(epochs=1))
    with pytest.raises(NerpipeError, match="options differ"):
        train([train_path], tmp_path / "m.pt", [dev_path], tiny_config(epochs=1, seed=7), resume=True)
    with pytest.raises(NerpipeError, match="nothing to resume"):
        train([train_path], tmp_path / "other.pt", [dev_path], tiny_config(epochs=1), resume=True)


def test_configuration_errors(tmp_path, corpus):
    train_path, _ = corpus
    (tmp_path / "o.conll").write_text("a O\nb O\n")
    with pytest.raises(NerpipeError, match="no entities"):
        train([str(tmp_path / "o.conll")], tmp_path / "m.pt", config=tiny_config())
    (tmp_path / "empty.conll").write_text("")
    with pytest.raises(NerpipeError, match="holds no sentences"):
        train([str(tmp_path / "empty.conll")], tmp_path / "m.pt", config=tiny_config())
    (tmp_path / "dev.conll").write_text("Zed B-ANIMAL\n")
    with pytest.raises(NerpipeError, match="labels the training data lacks: ANIMAL"):
        train([train_path], tmp_path / "m.pt", [str(tmp_path / "dev.conll")], tiny_config())
    (tmp_path / "vec.txt").write_text("the 0.1 0.2\ncat 0.3\n")
    with pytest.raises(NerpipeError, match=r"vec.txt:2: expected a word and 2 numbers"):
        train([train_path], tmp_path / "m.pt", config=tiny_config(embeddings=str(tmp_path / "vec.txt")))
    (tmp_path / "vec.txt").write_text("the x y\n")
    with pytest.raises(NerpipeError, match=r"vec.txt:1: expected numbers"):
        train([train_path], tmp_path / "m.pt", config=tiny_config(embeddings=str(tmp_path / "vec.txt")))
    assert not (tmp_path / "m.pt").exists()


def test_pretrained_words_outside_training_keep_their_vectors(corpus, tmp_path):
    train_path, dev_path = corpus
    vectors = tmp_path / "vec.txt"
    vectors.write_text("2 3\nanna 0.5 0.25 -1\nzanzibar 1 2 3\n")  # word2vec text, with a header
    train([train_path], tmp_path / "m.pt", [dev_path], tiny_config(epochs=1, embeddings=str(vectors)))
    loaded = load_model(tmp_path / "m.pt")
    row = loaded.vocab.word_id("Zanzibar")
    assert row >= loaded.vocab.n_train_words
    # stored as int8 rows: equal to within 1/127 of the row's largest value
    assert loaded.network.word_vectors(torch.tensor([row])).tolist()[0] == pytest.approx([1.0, 2.0, 3.0], abs=3 / 127)


def test_case_variants_train_and_pick_on_every_casing(corpus, tmp_path):
    train_path, dev_path = corpus
    out = tmp_path / "m.pt"
    summary = train([train_path], out, [dev_path], tiny_config(epochs=6, case_variants=("lower", "upper", "title")),
                    log=str(tmp_path / "log"))
    best = summary["best"]
    assert set(best["dev_f1_by_case"]) == {"cased", "lower", "upper", "title"}
    # early stopping follows the dev data in all four casings pooled: it lies among the four
    assert min(best["dev_f1_by_case"].values()) <= best["dev_f1"] <= max(best["dev_f1_by_case"].values())
    loaded = load_model(out)
    assert {"A", "a", "N", "n"} <= set(loaded.vocab.chars)  # every casing's characters have their own ids
    from nerpipe.formats import read_conll, sentences_only
    from nerpipe.recase import recase

    sents = list(sentences_only(read_conll([dev_path])))
    for variant in ("lower", "upper", "title"):
        pred = [p.tags for p in loaded.predict([recase(s.tokens, variant) for s in sents])]
        assert score_pairs((s.tags, p) for s, p in zip(sents, pred)).overall.f1 > 0.9, variant


def test_case_mix_concat_shows_every_casing_and_sample_one_per_sentence(corpus):
    from nerpipe.training import Trainer, read_corpus

    train_path, _ = corpus
    for mix, per_sentence in (("concat", 4), ("sample", 1), ("half", 2)):
        config = tiny_config(case_variants=("lower", "upper", "title"), case_mix=mix)
        data = read_corpus([train_path], config, "training")
        trainer = Trainer(config, data, None, torch.device("cpu"), Reporter())
        examples = trainer.examples(1)
        assert len(examples) == per_sentence * len(data.sentences)
        assert {v for _, v in examples} == {0, 1, 2, 3}
        assert sorted({i for i, _ in examples}) == list(range(len(data.sentences)))
        i, v = examples[-1]
        assert trainer.tokens[v][i] == [{"cased": t, "lower": t.lower(), "upper": t.upper(), "title": t[:1].upper() + t[1:]}[
            trainer.variants[v]] for t in data.sentences[i].tokens]
        batches = trainer.batches(1)
        assert sorted(e for b in batches for e in b) == sorted(examples)


def test_lower_chars_model_spells_every_casing_alike(corpus, tmp_path):
    train_path, dev_path = corpus
    out = tmp_path / "m.pt"
    train([train_path], out, [dev_path], tiny_config(epochs=1, lower_chars=True))
    vocab = load_model(out).vocab
    assert vocab.lower_chars
    assert vocab.char_ids("OSLO") == vocab.char_ids("Oslo") == vocab.char_ids("oslo")
    assert not any(c.isupper() for c in vocab.chars)
