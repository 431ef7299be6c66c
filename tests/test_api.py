"""The library API the README shows, without the CLI."""

import pytest

import nerpipe
from nerpipe.checkpoints import default_model_path


def test_lazy_names_resolve_without_the_cli():
    for name in nerpipe.__all__:
        assert getattr(nerpipe, name) is not None
    with pytest.raises(AttributeError):
        nerpipe.no_such_thing


def test_readme_example(tiny_model, tmp_path):
    loaded = nerpipe.load_model(tiny_model if not default_model_path().exists() else None)
    tagger = nerpipe.Tagger(loaded)
    tokens = ["Anna", "Berg", "flew", "to", "Oslo", "."]
    [pred] = tagger.predict([tokens], with_scores=True)
    assert len(pred.tags) == len(tokens) and len(pred.scores) == len(pred.spans)
    gold = tmp_path / "gold.conll"
    gold.write_text("Anna B-PER\nBerg I-PER\n")
    score = nerpipe.score_files(str(gold), str(gold))
    assert score.overall.f1 == 1.0 and score.conlleval_report().startswith("processed 2 tokens")
