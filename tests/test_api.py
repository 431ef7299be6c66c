"""The library API the README shows, without the CLI."""

import json

import pytest
import torch
from conftest import run_cli

import nerpipe
from nerpipe.checkpoints import default_model_path


def test_lazy_names_resolve_without_the_cli():
    import nerpipe.training

    for module in (nerpipe, nerpipe.training):
        assert len(module.__all__) == len(set(module.__all__))
        assert set(module.__all__) <= set(dir(module))  # lazy names too
        for name in module.__all__:
            assert getattr(module, name) is not None
        with pytest.raises(AttributeError):
            _ = module.no_such_thing


def test_submodules_are_reached_by_attribute_after_a_plain_import():
    """The docs write nerpipe.patterns.Patterns and nerpipe.spark.tag_batch: after a plain
    `import nerpipe`, in a fresh interpreter, as a notebook has it."""
    import subprocess
    import sys

    code = ("import nerpipe, sys; assert 'nerpipe.patterns' not in sys.modules; "
            "print(nerpipe.patterns.Patterns.__name__, nerpipe.tagger.Prediction.__name__, nerpipe.spark.__name__, "
            "nerpipe.ModelConfig(hidden=8).hidden)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["Patterns", "Prediction", "nerpipe.spark", "8"]


@pytest.mark.slow
def test_readme_example(tiny_model, tmp_path):
    tagger = nerpipe.load_model(tiny_model if not default_model_path().exists() else None)
    tokens = ["Anna", "Berg", "flew", "to", "Oslo", "."]
    [pred] = tagger.predict([tokens], scores=True)
    assert len(pred.tags) == len(tokens) and len(pred.scores) == len(pred.spans)
    gold = tmp_path / "gold.conll"
    gold.write_text("Anna B-PER\nBerg I-PER\n")
    score = nerpipe.score_files(str(gold), str(gold))
    assert score.overall.f1 == 1.0 and score.conlleval_report().startswith("processed 2 tokens")


@pytest.mark.slow
def test_predict_checks_its_input(tiny_model):
    tagger = nerpipe.load_model(tiny_model)
    with pytest.raises(TypeError, match="sentence 0 is str 'Tim Cook'"):
        tagger.predict(["Tim Cook"])  # a list of strings where a list of token lists belongs
    with pytest.raises(TypeError, match="got the string"):
        tagger.predict("Tim Cook")
    with pytest.raises(TypeError, match="token 1: expected a string, got int"):
        tagger.predict([["Tim", 3]])
    with pytest.raises(ValueError, match="cannot be empty"):
        tagger.predict([["Tim", ""]])
    with pytest.raises(TypeError, match="takes a string"):
        tagger.predict_text(["Tim Cook"])
    assert tagger.predict([[], ("Anna",)])[0].tags == []


@pytest.mark.slow
def test_predict_text_gives_character_offsets(tiny_model):
    tagger = nerpipe.load_model(tiny_model)
    text = "Anna Berg flew to   Oslo .\nAcme hired Raj ."
    entities = tagger.predict_text(text)
    assert [(e.label, e.text) for e in entities] == [("PER", "Anna Berg"), ("LOC", "Oslo"), ("ORG", "Acme"), ("PER", "Raj")]
    for e in entities:
        assert text[e.start:e.end] == e.text and 0 < e.score <= 1
    # the same entities as the tag command's JSONL for that text
    record = json.loads(run_cli(["tag", "-m", str(tiny_model), "-i", "text"], input=text + "\n").stdout)
    assert [(s["label"], record["text"][s["start"]:s["end"]]) for s in record["spans"]] == [(e.label, e.text) for e in entities]


@pytest.mark.skipif(not default_model_path().exists(), reason="this checkout has no embedded model")
def test_readme_library_example():
    tagger = nerpipe.load_model()
    assert tagger.predict([["Angela", "Merkel", "visited", "Paris", "."]])[0].tags == ["B-PER", "I-PER", "O", "B-LOC", "O"]
    assert [(e.label, e.text) for e in tagger.predict_text("Angela Merkel visited Paris.")] == [
        ("PER", "Angela Merkel"), ("LOC", "Paris")]
    assert [(e.start, e.end) for e in tagger.predict_text("Angela Merkel visited Paris.")] == [(0, 13), (22, 27)]


@pytest.mark.slow
def test_predict_text_reads_paragraphs_as_the_tag_command_does(tiny_model):
    tagger = nerpipe.load_model(tiny_model)
    text = "\ufeffOmar Diaz flew to Lima\n\n\nAnna Berg works for Acme in Oslo\r\nTom Hale .\n"
    entities = tagger.predict_text(text)
    out = run_cli(["tag", "-m", str(tiny_model), "-i", "text"], input=text).stdout
    records = [json.loads(line) for line in out.splitlines()]
    expected = [(s["label"], r["text"][s["start"]:s["end"]], s["score"]) for r in records for s in r["spans"]]
    assert [(e.label, e.text, round(e.score, 4)) for e in entities] == expected
    assert all(text[e.start:e.end] == e.text for e in entities)


@pytest.mark.slow
def test_predict_takes_numpy_token_lists_and_refuses_bytes(tiny_model):
    import numpy as np

    tagger = nerpipe.load_model(tiny_model)
    tokens = ["Anna", "Berg", "flew", "to", "Oslo", "."]
    assert tagger.predict([np.array(tokens)])[0].tags == tagger.predict([tokens])[0].tags
    assert tagger.predict(np.array([tokens]))[0].tags == tagger.predict([tokens])[0].tags
    with pytest.raises(TypeError, match="sentence 0 is bytes"):
        tagger.predict([b"Anna Berg"])


CASELESS_DOC = [["omg", "just", "saw", "taylor", "swift", "in", "new", "york"],
                ["she", "played", "madison", "square", "garden", "with", "the", "rolling", "stones", "."]]


def _read(tagger, document, casing):
    from nerpipe.recase import recase

    return [(p.spans, [round(s, 5) for s in p.scores]) for p in
            tagger.predict_documents([[recase(s, casing) for s in document]], scores=True)[0]]


def test_a_caseless_document_is_tagged_alike_in_any_casing():
    tagger = nerpipe.load_model()
    lower = _read(tagger, CASELESS_DOC, "lower")
    assert any(spans for spans, _ in lower)
    assert _read(tagger, CASELESS_DOC, "upper") == lower
    assert _read(tagger, CASELESS_DOC, "title") == lower
    tagger.window, tagger.overlap = 6, 2  # read in windows, the same holds
    assert _read(tagger, CASELESS_DOC, "upper") == _read(tagger, CASELESS_DOC, "lower")
    tagger.window, tagger.overlap = 500, 64
    tagger.read_caseless = False  # each read as written: the casings differ (so the above is no accident)
    assert _read(tagger, CASELESS_DOC, "upper") != _read(tagger, CASELESS_DOC, "lower")


def test_a_cased_document_is_read_as_written():
    tagger = nerpipe.load_model()
    document = [["SOCCER", "-", "JAPAN", "GET", "LUCKY", "WIN", "."], ["Japan", "beat", "Syria", "2-1", "in", "Al", "Ain", "."]]
    as_written = tagger.predict(document, scores=True, caseless=[False, False])
    both = tagger.predict(document, scores=True, caseless=[True, False])
    assert as_written[0].scores != both[0].scores and as_written[1] == both[1]
    # in its document the headline is read as written; alone it is caseless
    assert tagger.predict_documents([document], scores=True)[0] == as_written
    assert tagger.predict(document[:1], scores=True) == both[:1]
    with pytest.raises(ValueError, match="one caseless flag per sentence"):
        tagger.predict(document, caseless=[True])


def test_only_a_model_trained_in_both_casings_reads_caseless_text_both_ways(tiny_model):
    from nerpipe.tagger import trained_caseless

    assert nerpipe.load_model().read_caseless is True  # trained with --case-variants all
    # a model that never saw lower- or upper-cased text reads them far worse than as written
    assert nerpipe.load_model(str(tiny_model)).read_caseless is False
    assert not trained_caseless({}) and not trained_caseless({"training": {"config": {"case_variants": ["lower"]}}})
    assert trained_caseless({"training": {"config": {"case_variants": ["upper", "lower"]}}})


def test_readers_and_score_files_take_a_path_or_a_list(tmp_path):
    """A pathlib.Path was an AttributeError in score_files and a TypeError in the readers,
    and one path as a string was read as a list of one-letter file names."""
    import pathlib

    import nerpipe

    conll, jsonl = tmp_path / "g.conll", tmp_path / "g.jsonl"
    conll.write_text("Ann B-PER B-PER\nmet O O\n")
    jsonl.write_text('{"text": "Ann met", "spans": [{"start": 0, "end": 3, "label": "PER"}]}\n')
    assert nerpipe.score_files(pathlib.Path(conll)).overall.f1 == 1.0
    assert nerpipe.score_files(jsonl, pathlib.Path(jsonl)).overall.f1 == 1.0
    for one in (conll, str(conll), [conll], [str(conll)]):
        assert [s.tokens for s in nerpipe.read_conll(one) if isinstance(s, nerpipe.Sentence)] == [("Ann", "met")]
    for one in (jsonl, str(jsonl), [jsonl]):
        assert [d.text for d in nerpipe.read_jsonl(one)] == ["Ann met"]
    assert [d.text for d in nerpipe.read_paragraphs(pathlib.Path(jsonl))] == [jsonl.read_text().strip()]


def test_score_files_takes_a_scheme_by_name(tmp_path):
    """scheme="iobes" (as on the command line) was an AttributeError; only Scheme.IOBES worked."""
    import nerpipe

    path = tmp_path / "g.conll"
    path.write_text("Oslo S-LOC S-LOC\nParis S-LOC S-LOC\n")
    assert nerpipe.score_files(path, scheme="iobes").overall.predicted == 2
    assert nerpipe.score_files(path, scheme="iobes", strict=True).overall.f1 == 1.0
    with pytest.raises(nerpipe.NerpipeError, match="unknown tag scheme 'xyz'"):
        nerpipe.score_files(path, scheme="xyz")


def test_what_a_notebook_user_passes_gets_an_answer_or_a_clear_error(tiny_model):
    """From a Python session's first hour: iterables read once, a string where a list
    belongs, flags of the wrong shape, devices by any name load_model takes, a repr that
    fits a line, and pickling said to be impossible in words that say what to do."""
    import copy
    import dataclasses
    import pickle

    tagger = nerpipe.load_model(str(tiny_model))
    texts = ["Anna Berg flew to Oslo .", "Oslo is cold ."]
    expected = tagger.predict_texts(texts)
    assert tagger.predict_texts(t for t in texts) == tagger.predict_texts(map(str, texts)) == expected != [[], []]
    with pytest.raises(TypeError, match=r"predict_texts\(\) takes a list of strings; got the string .*predict_text\(\)"):
        tagger.predict_texts("Anna Berg flew to Oslo .")
    with pytest.raises(TypeError, match="document 0 is str .* predict_texts"):
        tagger.predict_documents(["Anna Berg flew"])
    with pytest.raises(TypeError, match="takes a list of documents"):
        tagger.predict_documents(None)
    documents = [[["Anna", "Berg", "flew"], ["Anna", "left"]]]
    assert [p.scores for p in tagger.predict_documents(documents)[0]] == [None, None]  # not asked for
    assert all(p.scores is not None for p in tagger.predict_documents(documents, scores=True)[0])
    with pytest.raises(TypeError, match="caseless: expected one flag per sentence"):
        tagger.predict([["Oslo"]], caseless=True)
    with pytest.raises(ValueError, match="one caseless flag per sentence"):
        tagger.predict([["a"], ["b"]], caseless=[True])  # also where the model reads nothing caseless by default
    assert tagger.read_caseless is False  # a model trained as written: the caller's flags still count
    lowered = [["anna", "berg", "flew", "to", "oslo"]]
    assert tagger.predict(lowered, scores=True, caseless=[True])[0].scores != tagger.predict(lowered, scores=True)[0].scores
    with pytest.raises(ValueError, match="batch_size: expected a whole number"):
        nerpipe.load_model(str(tiny_model), batch_size=0)
    from nerpipe.device import resolve_device

    assert tagger.to("auto").device == resolve_device("auto")  # (a GPU where there is one)
    assert tagger.to("CPU").device == tagger.to("cpu:0").device == torch.device("cpu")
    assert nerpipe.load_model(str(tiny_model), device=None).device == torch.device("cpu")
    if not torch.cuda.is_available():  # said as a Python caller wrote it, not as a command-line flag
        with pytest.raises(nerpipe.NerpipeError, match=r"device='cuda': CUDA is not available .*use device='cpu'"):
            tagger.to("cuda")
    assert len(repr(tagger)) < 200 and repr(tagger).startswith("Tagger(labels=")
    for copy_it in (pickle.dumps, copy.deepcopy):
        with pytest.raises(TypeError, match="cannot be pickled .*nerpipe.load_model"):
            copy_it(tagger)
    assert dataclasses.replace(tagger).predict_texts(texts) == expected
    tagger.patterns = [{"label": "ORG", "pattern": "Oslo"}]  # dicts, as load_model takes them, set afterwards
    assert ("ORG", "Oslo") in [(e.label, e.text) for e in tagger.predict_text("Anna flew to Oslo .")]
