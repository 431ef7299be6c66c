import json

import pytest
import synthetic
import torch
from conftest import run_cli

from nerpipe.checkpoints import load_model
from nerpipe.errors import NerpipeError
from nerpipe.model import ModelConfig
from nerpipe.scoring import score_pairs
from nerpipe.training import Reporter, TrainConfig, train

torch.set_num_threads(1)


def tiny_config(**kw):
    """A tiny model; rounds are epochs and the cap is ``epochs`` unless ``min_steps``/``eval_steps`` say otherwise."""
    model = ModelConfig(hidden=16, char_filters=8, char_dim=8, word_dim=16, casing_dim=4, dropout=0.1,
                        crf=kw.pop("crf", True), variational=kw.pop("variational", False))
    kw = {"epochs": 12, "patience": 30, "min_steps": 0, "eval_steps": 0, "embeddings": None, **kw}
    return TrainConfig(batch_size=8, lr=0.02, lr_decay=0.0, model=model, **kw)


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


@pytest.mark.slow
@pytest.mark.parametrize("crf", [True, False])
def test_learns_the_synthetic_task_perfectly(corpus, tmp_path, crf):
    train_path, dev_path = corpus
    out = tmp_path / "m.pt"
    result = train([train_path], out, [dev_path], tiny_config(crf=crf))
    assert result.best_dev_f1 == result.best["dev_f1"] == 100.0
    assert dev_f1(out, dev_path) == 1.0


@pytest.mark.slow
@pytest.mark.parametrize("regularise,threads", [(False, 1), (True, 1), (False, 2)])
def test_same_seed_same_run(corpus, tmp_path, regularise, threads):
    train_path, dev_path = corpus
    logs = []
    for name in ("a", "b"):
        config = tiny_config(epochs=3, word_dropout=0.2 if regularise else 0.0, variational=regularise)
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


@pytest.mark.slow
def test_word_dropout_changes_training_and_still_learns(corpus, tmp_path):
    train_path, dev_path = corpus
    losses = {}
    for rate in (0.0, 0.1):
        log = tmp_path / f"{rate}.log"
        result = train([train_path], tmp_path / f"{rate}.pt", [dev_path], tiny_config(word_dropout=rate), log=str(log))
        losses[rate] = [json.loads(line)["loss"] for line in open(log)]
        assert result.best_dev_f1 >= 95.0
    assert losses[0.0][0] != losses[0.1][0]


@pytest.mark.slow
def test_lexicon_model_learns_and_keeps_its_lexicon(corpus, tmp_path):
    train_path, dev_path = corpus
    out = tmp_path / "m.pt"
    result = train([train_path], out, [dev_path], tiny_config(lexicon=True))
    assert result.best_dev_f1 == 100.0
    loaded = load_model(out)
    assert loaded.network.config.lexicon_features == 4 * len(loaded.lexicon.types) > 0
    assert len(loaded.lexicon) > 0
    assert dev_f1(out, dev_path) == 1.0


class StopAfter(Reporter):
    def __init__(self, epoch):
        self.epoch = epoch

    def end_round(self, record):
        if record["epoch"] == self.epoch:
            raise KeyboardInterrupt


@pytest.mark.slow
def test_resume_after_interruption_gives_the_same_model(corpus, tmp_path):
    train_path, dev_path = corpus
    train([train_path], tmp_path / "full.pt", [dev_path], tiny_config(epochs=4))
    with pytest.raises(KeyboardInterrupt):
        train([train_path], tmp_path / "cut.pt", [dev_path], tiny_config(epochs=4), reporter=StopAfter(2))
    assert (tmp_path / "cut.pt").exists()  # the best model so far survives the interruption
    assert load_model(tmp_path / "cut.pt").meta["training"]["stopped"] == "unfinished"  # not "not recorded"
    info = run_cli(["info", "--format", "table", str(tmp_path / "cut.pt")])
    words = " ".join(w for w in info.stdout.split() if w.strip("│┌┐└┘─┬┴┼├┤"))  # the table's wrapped cell, as words
    assert "unfinished (the run was interrupted, or is still going; train --resume continues it)" in words, info.stdout
    assert (tmp_path / "cut.pt.state").exists()  # kept for --resume
    with pytest.raises(NerpipeError, match=r"the interrupted run has done 2 epochs, more than --epochs 1 allows"):
        train([train_path], tmp_path / "cut.pt", [dev_path], tiny_config(epochs=1), resume=True)
    result = train([train_path], tmp_path / "cut.pt", [dev_path], tiny_config(epochs=4), resume=True)
    assert result.epochs == 4 and result.steps == 4 * 19
    assert not (tmp_path / "cut.pt.state").exists()  # the run ended: no 85 MB left beside the model
    full = torch.load(tmp_path / "full.pt", weights_only=True)
    cut = torch.load(tmp_path / "cut.pt", weights_only=True)
    assert all(torch.equal(full["state_dict"][k], cut["state_dict"][k]) for k in full["state_dict"])
    assert full["meta"]["training"]["history"][-1]["dev_f1"] == cut["meta"]["training"]["history"][-1]["dev_f1"]
    elapsed = [h["elapsed_s"] for h in cut["meta"]["training"]["history"]]
    assert elapsed == sorted(elapsed) and elapsed[2] >= elapsed[1]  # after the resume it goes on, not from 0


@pytest.mark.slow
def test_resume_refuses_other_options(corpus, tmp_path):
    train_path, dev_path = corpus
    train([train_path], tmp_path / "m.pt", [dev_path], tiny_config(epochs=1), keep_state=True)
    assert (tmp_path / "m.pt.state").exists()
    with pytest.raises(NerpipeError, match="options differ"):
        train([train_path], tmp_path / "m.pt", [dev_path], tiny_config(epochs=1, seed=7), resume=True)
    with pytest.raises(NerpipeError, match="nothing to resume"):
        train([train_path], tmp_path / "other.pt", [dev_path], tiny_config(epochs=1), resume=True)


@pytest.mark.slow
def test_resume_with_another_thread_count_says_the_model_will_differ(corpus, tmp_path):
    class Collect(Reporter):
        def __init__(self):
            self.warnings = []

        def warning(self, text):
            self.warnings.append(text)

    train_path, dev_path = corpus
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        train([train_path], tmp_path / "m.pt", [dev_path], tiny_config(epochs=1), keep_state=True)
        assert load_model(tmp_path / "m.pt").meta["training"]["threads"] == 1
        torch.set_num_threads(2)
        seen = Collect()
        train([train_path], tmp_path / "m.pt", [dev_path], tiny_config(epochs=2), resume=True, reporter=seen)
    finally:
        torch.set_num_threads(before)
    assert any("the interrupted run had 1 torch thread(s), this one 2" in w for w in seen.warnings)


@pytest.mark.slow
def test_resume_refuses_other_data(corpus, tmp_path):
    train_path, dev_path = corpus
    (tmp_path / "train.conll").write_text(open(train_path).read())
    train([str(tmp_path / "train.conll")], tmp_path / "m.pt", [dev_path], tiny_config(epochs=1), keep_state=True)
    with open(tmp_path / "train.conll", "a") as f:
        f.write("\nOslo B-LOC\n")
    with pytest.raises(NerpipeError, match=r"cannot resume: these differ from the interrupted run's: training sentences \("):
        train([str(tmp_path / "train.conll")], tmp_path / "m.pt", [dev_path], tiny_config(epochs=2), resume=True)


def test_configuration_errors(tmp_path, corpus):
    train_path, _ = corpus
    (tmp_path / "o.conll").write_text("a O\nb O\n")
    with pytest.raises(NerpipeError, match="no entities"):
        train([str(tmp_path / "o.conll")], tmp_path / "m.pt", config=tiny_config())
    (tmp_path / "empty.conll").write_text("")
    with pytest.raises(NerpipeError, match="holds no sentences"):
        train([str(tmp_path / "empty.conll")], tmp_path / "m.pt", config=tiny_config())
    (tmp_path / "dev.conll").write_text("Zed O\n\nZed B-ANIMAL\n")
    with pytest.raises(NerpipeError, match="dev.conll:3: the dev data has labels the training data lacks: ANIMAL"):
        train([train_path], tmp_path / "m.pt", [str(tmp_path / "dev.conll")], tiny_config())
    (tmp_path / "dev.conll").write_text("Zed O\n\nZed O\n")  # F1 0 every round: the first round's model kept, silently
    with pytest.raises(NerpipeError, match="dev.conll:1: the dev data has no entities"):
        train([train_path], tmp_path / "m.pt", [str(tmp_path / "dev.conll")], tiny_config())
    (tmp_path / "vec.txt").write_text("the 0.1 0.2\ncat 0.3\n")
    with pytest.raises(NerpipeError, match=r"vec.txt:2: expected a word and 2 numbers"):
        train([train_path], tmp_path / "m.pt", config=tiny_config(embeddings=str(tmp_path / "vec.txt")))
    (tmp_path / "vec.txt").write_text("the x y\n")
    with pytest.raises(NerpipeError, match=r"vec.txt:1: expected numbers"):
        train([train_path], tmp_path / "m.pt", config=tiny_config(embeddings=str(tmp_path / "vec.txt")))
    assert not (tmp_path / "m.pt").exists()


@pytest.mark.slow
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


@pytest.mark.slow
def test_case_variants_train_and_pick_on_every_casing(corpus, tmp_path):
    train_path, dev_path = corpus
    out = tmp_path / "m.pt"
    result = train([train_path], out, [dev_path], tiny_config(epochs=6, case_variants=("lower", "upper", "title")),
                   log=str(tmp_path / "log"))
    best = result.best
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
        examples = trainer.data.examples(1)
        assert len(examples) == per_sentence * len(data.sentences)
        assert {v for _, v in examples} == {0, 1, 2, 3}
        assert sorted({i for i, _ in examples}) == list(range(len(data.sentences)))
        i, v = examples[-1]
        assert trainer.data.tokens[v][i] == [{"cased": t, "lower": t.lower(), "upper": t.upper(), "title": t[:1].upper() + t[1:]}[
            trainer.variants[v]] for t in data.sentences[i].tokens]
        batches = trainer.data.batches(1)
        assert sorted(e for b in batches for e in b) == sorted(examples)


def test_a_very_long_sentence_does_not_pad_a_whole_batch_and_is_named(corpus, tmp_path):
    from nerpipe.training import Trainer, read_corpus
    from nerpipe.training.batches import ROW_POSITIONS

    train_path, _ = corpus
    config = tiny_config()
    plain = Trainer(config, read_corpus([train_path], config, "training"), None, torch.device("cpu"), Reporter())
    long = tmp_path / "long.conll"  # the blank lines of 3,000 tokens lost: one sentence
    long.write_text("".join("Paris B-LOC\n" if i % 50 == 0 else "and O\n" for i in range(3000)) + "\n"
                    + open(train_path).read())
    data = read_corpus([str(long)], config, "training")
    assert data.notes == (f"{long}:1: a sentence of 3,000 tokens in the training data, which slows each step it is in: "
                          "are blank lines missing between sentences there?",)
    trainer = Trainer(config, data, None, torch.device("cpu"), Reporter())
    for epoch in (1, 2):
        batches = trainer.data.batches(epoch)
        assert sorted(e for b in batches for e in b) == sorted(trainer.data.examples(epoch))
        assert [b for b in batches if any(i == 0 for i, _ in b)] == [[(0, 0)]]  # alone: 2 x 3,000 > 8 x 256 positions
        assert all(len(b) * max(len(trainer.data.tag_ids[i]) for i, _ in b) <= 8 * ROW_POSITIONS
                   for b in batches if len(b) > 1)
    # sentences no longer than ROW_POSITIONS batch by count alone, as before
    n = len(plain.data.examples(1))
    assert sorted(len(b) for b in plain.data.batches(1)) == sorted([8] * (n // 8) + [n % 8] * (n % 8 > 0))


@pytest.mark.slow
def test_lower_chars_model_spells_every_casing_alike(corpus, tmp_path):
    train_path, dev_path = corpus
    out = tmp_path / "m.pt"
    train([train_path], out, [dev_path], tiny_config(epochs=1, lower_chars=True))
    vocab = load_model(out).vocab
    assert vocab.lower_chars
    assert vocab.char_ids("OSLO") == vocab.char_ids("Oslo") == vocab.char_ids("oslo")
    assert not any(c.isupper() for c in vocab.chars)


# ---------------------------------------------------------------- frozen configs, typed result


@pytest.mark.slow
def test_configs_are_frozen_and_the_run_records_what_the_data_decided(corpus, tmp_path):
    import dataclasses

    train_path, dev_path = corpus
    vectors = tmp_path / "vec.txt"
    vectors.write_text("anna 0.5 0.25 -1\noslo 1 2 3\n")
    config = tiny_config(epochs=1, embeddings=str(vectors), lexicon=True, sentence_case=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.epochs = 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.model.word_dim = 3
    before = config.to_dict()
    train([train_path], tmp_path / "m.pt", [dev_path], config)
    assert config.to_dict() == before  # the caller's config is untouched
    recorded = torch.load(tmp_path / "m.pt", weights_only=True)["meta"]["training"]["config"]["model"]
    # the vectors' size, the lexicon's width and the sentence casing went into the effective config
    assert recorded["word_dim"] == 3 and recorded["pretrained"] is True
    assert recorded["lexicon_features"] == 4 * 3 and recorded["sentence_case"] is True
    assert recorded == {**config.model.to_dict(), "word_dim": 3, "pretrained": True, "lexicon_features": 12,
                        "sentence_case": True}


@pytest.mark.slow
def test_resume_compares_the_effective_config(corpus, tmp_path):
    """Vectors and a lexicon change the model config the run derives; a resumed run derives the same."""
    train_path, dev_path = corpus
    vectors = tmp_path / "vec.txt"
    vectors.write_text("anna 0.5 0.25 -1\noslo 1 2 3\n")
    config = tiny_config(epochs=3, embeddings=str(vectors), lexicon=True)
    with pytest.raises(KeyboardInterrupt):
        train([train_path], tmp_path / "m.pt", [dev_path], config, reporter=StopAfter(1))
    result = train([train_path], tmp_path / "m.pt", [dev_path], config, resume=True)
    assert result.epochs == 3


@pytest.mark.slow
def test_result_says_why_the_run_stopped(corpus, tmp_path):
    train_path, dev_path = corpus
    # the synthetic task is learnt perfectly within a few epochs; then dev F1 cannot improve
    result = train([train_path], tmp_path / "p.pt", [dev_path], tiny_config(epochs=40, patience=2))
    assert result.stopped == "patience" and not result.still_improving
    assert result.epochs == result.best_epoch + 2 < 40
    assert result.best_dev_f1 == 100.0 and result.best["epoch"] == result.best_epoch
    assert result.advice() is None
    # one epoch: one evaluation, nothing to compare it with: not "still improving", but measured once
    result = train([train_path], tmp_path / "c.pt", [dev_path], tiny_config(epochs=1))
    assert result.stopped == "max-epochs" and not result.still_improving and result.evaluations == 1
    assert "measured once" in result.advice() and "still improving" not in result.advice()
    # two epochs, the second the best: still improving at the cap
    result = train([train_path], tmp_path / "d.pt", [dev_path], tiny_config(epochs=2))
    assert result.evaluations == 2 and result.still_improving == (result.best_epoch == 2)
    if result.still_improving:
        assert "still improving" in result.advice() and "a higher --epochs" in result.advice()
    # without dev data: the last epoch is kept, there is no dev F1, nothing to improve on
    result = train([train_path], tmp_path / "n.pt", [], tiny_config(epochs=2))
    assert (result.stopped, result.best_epoch, result.best_dev_f1, result.still_improving) == ("max-epochs", 2, None, False)
    assert result.output == str(tmp_path / "n.pt") and (result.rank, result.world) == (0, 1)


@pytest.mark.slow
def test_checkpoint_stores_the_best_epoch_and_why_it_stopped(corpus, tmp_path):
    train_path, dev_path = corpus
    result = train([train_path], tmp_path / "m.pt", [dev_path], tiny_config(epochs=40, patience=2))
    training = torch.load(tmp_path / "m.pt", weights_only=True)["meta"]["training"]
    assert (training["best_epoch"], training["best_dev_f1"]) == (result.best_epoch, 100.0)
    assert training["epochs_run"] == result.epochs and training["steps_run"] == result.steps == 19 * result.epochs
    assert (training["stopped"], training["still_improving"]) == ("patience", False)
    assert [h["epoch"] for h in training["history"]] == list(range(1, result.epochs + 1))


@pytest.mark.slow
def test_warnings_reach_the_reporter(corpus, tmp_path):
    class Collect(Reporter):
        def __init__(self):
            self.warnings, self.messages = [], []

        def warning(self, text):
            self.warnings.append(text)

        def message(self, text):
            self.messages.append(text)

    train_path, _ = corpus
    seen = Collect()
    train([train_path], tmp_path / "m.pt", [], tiny_config(epochs=2), reporter=seen)
    assert seen.warnings == [("no --dev data: nothing to stop early on, so training runs all 2 epochs (38 steps) "
                              "and keeps the last model")]
    assert any("19 steps an epoch; at most 2 epochs" in m for m in seen.messages)


# ---------------------------------------------------------------- the schedule


def test_schedule_leaves_large_data_as_it_was():
    """CoNLL-2003 makes about 220 steps an epoch: a round is an epoch, the cap 30 epochs,
    and the learning rate the old per-epoch lr / (1 + 0.05 (e - 1))."""
    from nerpipe.training import Schedule

    config = TrainConfig()
    plan = Schedule.plan(config, 220)
    assert (plan.epochs_per_round, plan.max_epochs) == (1, 30)
    assert all(plan.round_epochs(e) == range(e, e + 1) for e in range(1, 31))
    assert all(plan.lr(config, e) == pytest.approx(0.003 / (1 + 0.05 * (e - 1))) for e in range(1, 31))
    # down to eval_steps steps an epoch, and min_steps / epochs steps an epoch for the cap
    assert Schedule.plan(config, 200).epochs_per_round == 1 and Schedule.plan(config, 200).max_epochs == 30


def test_schedule_gives_small_data_steps_not_epochs():
    from nerpipe.training import Schedule

    config = TrainConfig()
    plan = Schedule.plan(config, 24)  # 1,500 sentences at 64 a batch
    assert plan.epochs_per_round == 9  # 216 steps between evaluations
    assert plan.max_epochs == 250 and plan.max_steps == 6000
    assert plan.round_epochs(1) == range(1, 10) and plan.round_epochs(28) == range(244, 251)  # the last round is cut
    assert plan.round_of(9) == 1 and plan.round_of(10) == 2
    assert plan.lr(config, 9) == config.lr and plan.lr(config, 10) == pytest.approx(config.lr / 1.05)
    # the learning rate falls with steps, not epochs: after ~2,000 steps it is where large data has it
    assert plan.lr(config, 90) == pytest.approx(Schedule.plan(config, 220).lr(config, 10))
    # explicit: no step minimum, evaluate every epoch
    plain = Schedule.plan(TrainConfig(epochs=4, min_steps=0, eval_steps=0), 24)
    assert (plain.epochs_per_round, plain.max_epochs) == (1, 4)
    # epochs the user gives are the cap, never raised by the step minimum (300 sentences: 5 steps an epoch)
    assert Schedule.plan(TrainConfig(epochs=1), 5).max_epochs == 1
    assert Schedule.plan(TrainConfig(), 5).max_epochs == 1200
    assert Schedule.plan(TrainConfig(epochs=1), 5).describe() == "5 steps an epoch; at most 1 epoch (5 steps); dev once, at the end"
    assert Schedule.plan(TrainConfig(epochs=1), 1).describe().startswith("1 step an epoch; at most 1 epoch (1 step)")
    with pytest.raises(ValueError, match="min_steps >= 0"):
        TrainConfig(min_steps=-1)


@pytest.mark.slow
def test_rounds_evaluate_every_few_epochs(corpus, tmp_path):
    train_path, dev_path = corpus
    log = tmp_path / "log"
    # 19 steps an epoch: a round of 40 steps is 3 epochs; a cap of 6 epochs ends the second round
    result = train([train_path], tmp_path / "m.pt", [dev_path], tiny_config(epochs=6, min_steps=100, eval_steps=40),
                   log=str(log))
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["epoch"], r["steps"]) for r in records] == [(3, 57), (6, 114)]
    assert all("dev_f1" in r for r in records)
    assert result.epochs == 6 and result.best_epoch in (3, 6)
    # without epochs, the step minimum raises the default cap (30): 1,000 steps of 19 are 53 epochs
    from nerpipe.training import Schedule

    assert Schedule.plan(tiny_config(epochs=None, min_steps=1000, eval_steps=40), 19).max_epochs == 53


def test_progress_counts_a_round_best_only_when_its_shown_f1_is_higher():
    # one unit (percent, two decimals, as every report shows it): a round can no longer be
    # starred while showing the same F1 as the best one
    from nerpipe.training import Progress

    progress = Progress()
    assert progress.count({"epoch": 1, "dev_f1": 90.12}, 90.12)
    assert not progress.count({"epoch": 2, "dev_f1": 90.12}, 90.12)
    assert progress.count({"epoch": 3, "dev_f1": 90.13}, 90.13)
    assert (progress.best_epoch, progress.bad_rounds, [r["best"] for r in progress.history]) == (3, 0, [True, False, True])
    assert progress.best_record()["dev_f1"] == 90.13
    assert progress.count({"epoch": 4}, None) and progress.best_epoch == 4  # without dev data every round is kept


def test_dev_f1_reads_iobes_training_data_as_entities(tmp_path, monkeypatch):
    """With IOBES training data the dev predictions are IOBES: conlleval's rules on them as
    written joined S-LOC S-LOC into one entity, and that figure chose the model kept.
    A tagger that predicts the dev gold exactly (in IOBES) must score 100."""
    import nerpipe.tagger
    from nerpipe.schemes import Scheme, convert_tags, tags_to_spans

    data = synthetic.write(tmp_path / "t.conll", 60, seed=3)
    blocks = [b.splitlines() for b in open(data).read().strip().split("\n\n")]
    iobes = tmp_path / "t.iobes"
    iobes.write_text("\n\n".join("\n".join(f"{line.rsplit(' ', 1)[0]} {tag}" for line, tag in
                                            zip(b, convert_tags([line.rsplit(' ', 1)[1] for line in b], Scheme.IOBES)))
                                  for b in blocks) + "\n")
    dev = tmp_path / "dev.conll"
    dev.write_text("Oslo B-LOC\nParis B-LOC\nrocks O\n\nAnna B-PER\n")  # two one-token LOCs side by side
    gold = {("Oslo", "Paris", "rocks"): ["B-LOC", "B-LOC", "O"], ("Anna",): ["B-PER"]}

    def perfect(self, sentences, **kw):
        return [nerpipe.tagger.Prediction(convert_tags(gold[tuple(s)], Scheme.IOBES), tags_to_spans(gold[tuple(s)]), None,
                                          None, None, None, None) for s in sentences]

    monkeypatch.setattr(nerpipe.tagger.Tagger, "predict", perfect)
    result = train([str(iobes)], tmp_path / "m.pt", [str(dev)], tiny_config(epochs=1))
    assert result.best_dev_f1 == 100.0


def test_a_run_that_never_found_a_dev_entity_says_so_not_still_improving(tmp_path):
    from nerpipe.training.result import TrainResult

    result = TrainResult(epochs=3, steps=18, max_epochs=3, best_epoch=3, best_dev_f1=0.0, best={}, output="m.pt", rank=0,
                         world=1, stopped="max-epochs", still_improving=True)
    assert result.advice().startswith("dev F1 was 0.00 at every evaluation (18 steps): the model found no dev entity")


def test_a_config_value_nothing_would_read_is_refused_when_the_config_is_made():
    """What the command line's option types check, TrainConfig checks too: from Python an
    optimizer named "Adam" trained with... Adam, whatever it said, and case_mix "halves" as concat."""
    bad = [({"optimizer": "Adam"}, ValueError, "optimizer: expected one of adam, nadam, sgd"),
           ({"case_mix": "halves"}, ValueError, "case_mix: expected one of"),
           ({"case_variants": "lower"}, TypeError, "case_variants: expected a tuple"),
           ({"case_variants": ("lower", "weird")}, ValueError, "case_variants: unknown 'weird'"),
           ({"epochs": "2"}, TypeError, "epochs: expected a whole number"),
           ({"epochs": 1.5}, TypeError, "epochs: expected a whole number"),
           ({"seed": None}, TypeError, "seed: expected a whole number"),
           ({"word_dropout": 1.5}, ValueError, "word_dropout >= 0 and < 1"),
           ({"clip": -1}, ValueError, "clip >= 0"),
           ({"lr": 0}, ValueError, "lr > 0"),
           ({"label_map": "PERSON=PER"}, TypeError, "label_map: expected a tuple"),
           ({"model": {"hidden": 50}}, TypeError, "model: expected a ModelConfig")]
    for options, error, said in bad:
        with pytest.raises(error, match=said):
            TrainConfig(**options)
    with pytest.raises(ValueError, match="hidden: expected a whole number, at least 1"):
        ModelConfig(hidden=0)
    assert TrainConfig.from_options({"hidden": 50, "epochs": 2}).model.hidden == 50  # the model's names, flat
    assert TrainConfig(case_variants=["lower"], label_map=["A=B"]).case_variants == ("lower",)
    import numpy as np

    assert type(TrainConfig(epochs=np.int64(3)).epochs) is int and type(ModelConfig(hidden=np.int32(8)).hidden) is int
    assert TrainConfig(unk_replace=1.0).unk_replace == 1.0  # a chance of 1: always
    with pytest.raises(ValueError, match="expected lr > 0, got nan"):
        TrainConfig(lr=float("nan"))
    with pytest.raises(TypeError, match="hidden: expected a whole number, got str"):
        ModelConfig(hidden="8")


def test_train_takes_paths_as_str_or_path_one_or_many(corpus, tmp_path):
    from pathlib import Path

    train_path, dev_path = corpus
    one = train(Path(train_path), tmp_path / "a.pt", Path(dev_path), tiny_config(epochs=1))
    many = train([Path(train_path)], tmp_path / "b.pt", [dev_path], tiny_config(epochs=1))
    assert one.best_dev_f1 == many.best_dev_f1 is not None
    with pytest.raises(TypeError, match="config: expected a TrainConfig"):
        train([train_path], tmp_path / "c.pt", config={"epochs": 1})
    if not torch.cuda.is_available():
        with pytest.raises(NerpipeError, match="CUDA is not available"):
            train([train_path], tmp_path / "d.pt", config=tiny_config(epochs=1), device="cuda")
