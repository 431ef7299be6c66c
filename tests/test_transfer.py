"""train --init-model: a trained model grown to new words and labels, then trained on."""

import json
import shutil

import pytest
import synthetic
import torch
from conftest import TINY, run_cli

from nerpipe.checkpoints import load_model
from nerpipe.model import CRF_SCORES

# TINY without its architecture options (--hidden, --char-filters): the base model fixes those
ADAPT = ["--lr", "0.02", "--lr-decay", "0", "--batch-size", "8", "--dropout", "0.1", "--threads", "1",
         "--min-steps", "0", "--eval-steps", "0"]
assert set(ADAPT) <= set(TINY)

pytestmark = pytest.mark.slow  # every test trains from tiny_model


def write_with_new_label(path, n, seed, label="PROD"):
    """Synthetic sentences whose places are ``label``s, plus a word the base never saw."""
    with open(path, "w", encoding="utf-8") as f:
        for tokens, tags in synthetic.sentences(n, seed):
            tags = [t.replace("LOC", label) for t in tags]
            f.writelines(f"{t} {g}\n" for t, g in zip(tokens + ["Zyxq"], tags + ["O"]))
            f.write("\n")
    return str(path)


def test_adapting_with_no_learning_keeps_the_base_model(tiny_model, tmp_path):
    """Words and characters new to the base model start as it read them (its unknown word's
    and character's rows), so the starting model tags as the base model, to the score."""
    train = tmp_path / "more.conll"
    train.write_text(open(synthetic.write(tmp_path / "s.conll", 40, seed=5)).read()
                     + "".join(f"{w} O\n" for w in ("Zyxq", "Ørnsø", "Qwv1996", "ŽŽ")) + "\n")
    out = tmp_path / "adapted.pt"
    result = run_cli(["train", str(train), "-o", str(out), "--init-model", str(tiny_model), "--epochs", "1",
                      *ADAPT, "--lr", "1e-12", "--average", "0"])
    assert result.exit_code == 0, result.stderr
    assert "starting from" in result.stderr and "words of the new data were new to it" in result.stderr
    base, adapted = load_model(tiny_model), load_model(out)
    assert {"zyxq", "ørnsø"} <= set(adapted.vocab.words) - set(base.vocab.words)
    assert {"Ø", "Ž"} <= set(adapted.vocab.chars) - set(base.vocab.chars)
    sentences = [tokens for tokens, _ in synthetic.sentences(60, seed=9)]
    sentences += [[w if k % 3 else "Zyxq", "Ørnsø", "Qwv1996", "ŽŽ"] for k, (s, _) in enumerate(synthetic.sentences(30, 4))
                  for w in s[:1]]
    for a, b in zip(adapted.predict(sentences, scores=True), base.predict(sentences, scores=True)):
        assert a.tags == b.tags and a.scores == pytest.approx(b.scores, abs=2e-3)  # (the int8 table is rounded anew)
    assert adapted.labels == base.labels


@pytest.mark.parametrize("label", ["PROD", "ANI"])  # ANI sorts before every old label: the tags are reordered
def test_new_labels_grow_the_output_and_keep_old_transitions(tiny_model, tmp_path, label):
    train = write_with_new_label(tmp_path / "new.conll", 120, seed=3, label=label)
    dev = write_with_new_label(tmp_path / "dev.conll", 30, seed=4, label=label)
    out = tmp_path / "grown.pt"
    result = run_cli(["train", train, "--dev", dev, "-o", str(out), "--init-model", str(tiny_model), "--epochs", "6", *ADAPT,
                      "--lr", "1e-12", "--average", "0"])
    assert result.exit_code == 0, result.stderr
    assert f"adding {label}" in result.stderr
    base, grown = load_model(tiny_model), load_model(out)
    assert set(grown.labels) == set(base.labels) | {label}
    assert "zyxq" in grown.vocab.word_index and "zyxq" not in base.vocab.word_index
    old = [t for t in grown.vocab.tags if t in base.vocab.tag_index]
    i = torch.tensor([grown.vocab.tag_index[t] for t in old])
    j = torch.tensor([base.vocab.tag_index[t] for t in old])
    new_state, old_state = grown.network.state_dict(), base.network.state_dict()
    pairs = CRF_SCORES.format("transitions")
    assert torch.allclose(new_state[pairs][i][:, i], old_state[pairs][j][:, j], atol=1e-6)
    for name in (CRF_SCORES.format("start_transitions"), "projection.weight", "projection.bias"):
        assert torch.allclose(new_state[name][i], old_state[name][j], atol=1e-6)
    assert grown.network.config.dropout == 0.1 and not grown.network.config.variational


def test_adapting_learns_the_new_label(tiny_model, tmp_path):
    train = write_with_new_label(tmp_path / "prod.conll", 150, seed=3)
    dev = write_with_new_label(tmp_path / "dev.conll", 40, seed=4)
    out = tmp_path / "learnt.pt"
    result = run_cli(["train", train, "--dev", dev, "-o", str(out), "--init-model", str(tiny_model), "--epochs", "12", *ADAPT])
    assert result.exit_code == 0, result.stderr
    pred = load_model(out).predict([["Raj", "flew", "to", "Oslo", "with", "Ines", "."]])[0]
    assert pred.tags == ["B-PER", "O", "O", "B-PROD", "O", "B-PER", "O"]


def test_architecture_options_and_missing_base_are_errors(tiny_model, tmp_path):
    train = synthetic.write(tmp_path / "t.conll", 10, seed=5)
    result = run_cli(["train", train, "-o", str(tmp_path / "m.pt"), "--init-model", str(tiny_model), "--hidden", "32"])
    assert result.exit_code == 2 and "--hidden" in result.stderr
    result = run_cli(["train", train, "-o", str(tmp_path / "m.pt"), "--init-model", str(tmp_path / "nope.pt")])
    assert result.exit_code == 1 and "nope.pt: no such model file" in result.stderr


def test_the_run_sets_dropout_and_library_options_that_cannot_apply_are_errors(tiny_model, tmp_path):
    from nerpipe.errors import NerpipeError
    from nerpipe.training import TrainConfig, train

    data = synthetic.write(tmp_path / "t.conll", 30, seed=5)
    result = run_cli(["train", data, "-o", str(tmp_path / "v.pt"), "--init-model", str(tiny_model), "--epochs", "1", *ADAPT,
                      "--dropout", "0.3", "--variational"])
    assert result.exit_code == 0, result.stderr
    config = load_model(tmp_path / "v.pt").network.config
    assert config.dropout == 0.3 and config.variational
    with pytest.raises(NerpipeError, match="architecture and words; drop --lexicon$"):
        train([data], tmp_path / "w.pt", config=TrainConfig(init_model=str(tiny_model), lexicon=True, epochs=1))
    # the library refuses what the command line refuses (it once ignored these without a word)
    from nerpipe.model_config import ModelConfig

    shaped = TrainConfig(init_model=str(tiny_model), keep_pretrained=10, model=ModelConfig(hidden=32, layers=2, crf=False))
    with pytest.raises(NerpipeError, match="drop --hidden, --layers, --crf, --keep-pretrained$"):
        train([data], tmp_path / "w.pt", config=shaped)


def test_resume_refuses_a_changed_base_model(tiny_model, tmp_path):
    train = synthetic.write(tmp_path / "more.conll", 40, seed=5)
    base = tmp_path / "base.pt"
    shutil.copy(tiny_model, base)
    args = ["train", train, "-o", str(tmp_path / "a.pt"), "--init-model", str(base), *ADAPT]
    assert run_cli([*args, "--epochs", "1", "--keep-state"]).exit_code == 0
    base.write_bytes((tmp_path / "a.pt").read_bytes())  # another model in the base's place
    result = run_cli([*args, "--epochs", "2", "--resume"])
    assert result.exit_code == 1
    assert "cannot resume: these differ from the interrupted run's: --init-model file (" in result.stderr


def test_the_starting_model_is_scored_on_dev_and_kept_until_a_round_beats_it(tiny_model, tmp_path):
    # training data that contradicts the base model (people and places swapped): every round scores worse
    swapped = tmp_path / "swapped.conll"
    with open(swapped, "w", encoding="utf-8") as f:
        for tokens, tags in synthetic.sentences(60, seed=5):
            tags = [t.replace("PER", "TMP").replace("LOC", "PER").replace("TMP", "LOC") for t in tags]
            f.writelines(f"{t} {g}\n" for t, g in zip(tokens, tags))
            f.write("\n")
    dev = synthetic.write(tmp_path / "dev.conll", 40, seed=2)
    out, log = tmp_path / "kept.pt", tmp_path / "log.jsonl"
    result = run_cli(["train", str(swapped), "--dev", dev, "-o", str(out), "--init-model", str(tiny_model), "--epochs", "3",
                      *ADAPT, "--log", str(log)])
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["epoch"], r["steps"], r["best"]) for r in records] == [(0, 0, True), (1, 8, False), (2, 16, False), (3, 24, False)]
    start = records[0]["dev_f1"]
    assert f"before training, the starting model scores dev F1 {start:.2f}" in result.stderr
    assert all(r["dev_f1"] < start for r in records[1:])
    assert f"warning: no round beat the starting model's dev F1 ({start:.2f})" in result.stderr
    base, kept = load_model(tiny_model), load_model(out)
    sentences = [tokens for tokens, _ in synthetic.sentences(60, seed=9)]
    assert [p.tags for p in kept.predict(sentences)] == [p.tags for p in base.predict(sentences)]
    info = json.loads(run_cli(["info", "--format", "json", str(out)]).stdout)
    assert (info["training"]["best_epoch"], info["training"]["best_dev_f1"]) == (0, start)


def test_a_base_trained_in_every_casing_passes_its_casings_on_unless_told_otherwise(tmp_path):
    """The embedded model reads text in any casing (trained with --case-variants all --case-mix
    half); adapting it on cased data alone would unlearn that, and silently stop the tagger
    reading caseless text both ways: the run takes the base's casings unless given others."""
    from nerpipe.tagger import trained_caseless

    data = synthetic.write(tmp_path / "more.conll", 24, seed=5)

    def adapt(name, *options):
        out = tmp_path / f"{name}.pt"
        result = run_cli(["train", data, "-o", str(out), "--init-model", "default", "--epochs", "1", *ADAPT, *options])
        assert result.exit_code == 0, result.stderr
        config = load_model(out).meta["training"]["config"]
        return list(config["case_variants"]), config["case_mix"], trained_caseless(load_model(out).meta), result.stderr

    variants, mix, caseless, said = adapt("inherited")
    assert (variants, mix, caseless) == (["lower", "upper", "title"], "half", True)
    assert "default was trained to read text in casings lower, upper, title (--case-mix half)" in said
    variants, mix, caseless, said = adapt("as-written", "--case-variants", "none")
    assert (variants, caseless) == ([], False) and "trained to read text in casings" not in said
    assert adapt("sampled", "--case-mix", "sample")[:2] == (["lower", "upper", "title"], "sample")
    assert adapt("lower", "--case-variants", "lower")[:2] == (["lower"], "concat")


def test_casing_options_left_open_take_the_base_models_else_the_defaults():
    from nerpipe.training.config import TrainConfig, with_casings

    base = {"training": {"config": {"case_variants": ["lower", "upper"], "case_mix": "sample"}}}
    plain = {"training": {"config": {"case_variants": [], "case_mix": "concat"}}}
    decided = lambda config, meta=None: (with_casings(config, meta).case_variants, with_casings(config, meta).case_mix)
    assert decided(TrainConfig()) == ((), "concat")  # a new model: none, as ever
    assert decided(TrainConfig(), base) == (("lower", "upper"), "sample")
    assert decided(TrainConfig(), plain) == ((), "concat")
    assert decided(TrainConfig(case_variants=()), base) == ((), "concat")
    assert decided(TrainConfig(case_variants=("title",)), base) == (("title",), "concat")
    assert decided(TrainConfig(case_mix="half"), base) == (("lower", "upper"), "half")


def test_resuming_a_run_whose_casings_were_not_inherited_says_how(tmp_path):
    data = synthetic.write(tmp_path / "more.conll", 16, seed=5)
    out = str(tmp_path / "m.pt")
    first = run_cli(["train", data, "-o", out, "--init-model", "default", "--case-variants", "none", "--epochs", "1",
                     "--keep-state", *ADAPT])
    assert first.exit_code == 0, first.stderr
    again = run_cli(["train", data, "-o", out, "--init-model", "default", "--epochs", "2", "--resume", *ADAPT])
    assert again.exit_code == 1 and "case_variants [] then, ['lower', 'upper', 'title'] now" in again.stderr
    assert "casings now carry over unless given" in again.stderr and "--case-variants none" in again.stderr
    mixed = run_cli(["train", data, "-o", str(tmp_path / "x.pt"), "--init-model", str(tmp_path / "m.pt"),
                     "--case-mix", "half", "--epochs", "1", *ADAPT])
    assert mixed.exit_code == 2 and "--case-mix half mixes the casings of --case-variants, and there are none" in mixed.stderr
