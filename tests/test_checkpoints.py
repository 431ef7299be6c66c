import os
import pickle

import pytest
import synthetic
import torch
from test_training import tiny_config

from nerpipe.checkpoints import atomic_save, describe, load_model
from nerpipe.device import resolve_device
from nerpipe.errors import NerpipeError, UsageError
from nerpipe.training import train


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    d = tmp_path_factory.mktemp("ckpt")
    data = synthetic.write(d / "train.conll", 60, seed=3)
    train([data], d / "m.pt", [data], tiny_config(epochs=2))
    return d / "m.pt"


@pytest.mark.slow
def test_round_trip_gives_identical_predictions(model_path, tmp_path):
    sentences = [tokens for tokens, _ in synthetic.sentences(30, seed=9)]
    a = load_model(model_path)
    first = [p.tags for p in a.predict(sentences)]
    data = torch.load(model_path, weights_only=True)
    atomic_save(data, tmp_path / "copy.pt")
    b = load_model(tmp_path / "copy.pt")
    assert [p.tags for p in b.predict(sentences)] == first


@pytest.mark.slow
def test_metadata(model_path):
    info = describe(model_path)
    assert info["labels"] == ["LOC", "ORG", "PER"]
    assert info["scheme"] == "iob2" and info["train_scheme"] == "iobes"
    assert info["training"]["train_files"][0]["sha256"]
    assert info["training"]["epochs_run"] == 2


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/nerpipe-pwned",))


def test_refuses_a_malicious_checkpoint(tmp_path):
    evil = tmp_path / "evil.pt"
    torch.save({"format": "nerpipe-checkpoint", "payload": Exploit()}, evil)
    if os.path.exists("/tmp/nerpipe-pwned"):
        os.unlink("/tmp/nerpipe-pwned")
    with pytest.raises(NerpipeError, match="refusing to load"):
        load_model(evil)
    assert not os.path.exists("/tmp/nerpipe-pwned")
    plain = tmp_path / "plain.pkl"
    plain.write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(NerpipeError):
        load_model(plain)
    assert not os.path.exists("/tmp/nerpipe-pwned")


@pytest.mark.slow
def test_refuses_foreign_and_damaged_files(model_path, tmp_path):
    (tmp_path / "text.pt").write_text("hello")
    with pytest.raises(NerpipeError, match="not a readable checkpoint"):
        load_model(tmp_path / "text.pt")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "foreign.pt")
    with pytest.raises(NerpipeError, match="not a nerpipe-checkpoint file"):
        load_model(tmp_path / "foreign.pt")
    cut = tmp_path / "cut.pt"
    cut.write_bytes(model_path.read_bytes()[:5000])
    with pytest.raises(NerpipeError, match="not a readable checkpoint"):
        load_model(cut)
    data = torch.load(model_path, weights_only=True)
    data["format_version"] = 99
    torch.save(data, tmp_path / "future.pt")
    with pytest.raises(NerpipeError, match="format version 99"):
        load_model(tmp_path / "future.pt")


def test_atomic_save_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "m.pt"
    atomic_save({"a": 1}, target)

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(OSError):
        atomic_save({"a": 2}, target)
    assert torch.load(target, weights_only=True) == {"a": 1}
    assert os.listdir(tmp_path) == ["m.pt"]


def test_devices():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda", "mps")
    if not torch.cuda.is_available():
        with pytest.raises(UsageError, match="CUDA is not available"):
            resolve_device("cuda")
        with pytest.raises(UsageError, match="CUDA is not available"):
            resolve_device("cuda:1")
    with pytest.raises(UsageError, match="expected cpu, cuda"):
        resolve_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without CUDA")
def test_loading_onto_an_absent_gpu_says_so():
    # the library once said the embedded model was "damaged or not made by nerpipe"
    for device in ("cuda", torch.device("cuda", 0)):
        with pytest.raises(UsageError, match="CUDA is not available") as caught:
            load_model(device=device)
        assert "damaged" not in str(caught.value)
    assert load_model(device="auto").device.type == "cpu"  # "auto" as on the command line


@pytest.mark.slow
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("device", ["cuda", "cuda:1"])  # cuda:1: not the current device, whose stream and events differ
def test_cuda_round_trip(model_path, device):
    if torch.device(device).index and torch.device(device).index >= torch.cuda.device_count():
        pytest.skip(f"needs {torch.device(device).index + 1} GPUs")
    loaded = load_model(model_path, device, batch_size=16)
    cpu = load_model(model_path, "cpu", batch_size=16)
    sentences = [tokens for tokens, _ in synthetic.sentences(90, seed=4)]  # 6 batches: each read back while the next runs
    gpu_out, cpu_out = loaded.predict(sentences, uncertainty=True), cpu.predict(sentences, uncertainty=True)
    assert [p.tags for p in gpu_out] == [p.tags for p in cpu_out]
    for g, c in zip(gpu_out, cpu_out):
        assert g.scores == pytest.approx(c.scores, abs=1e-4) and g.entropy == pytest.approx(c.entropy, abs=1e-4)


def test_an_empty_model_file_is_a_clear_error(tmp_path):
    from conftest import run_cli

    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    result = run_cli(["tag", "-m", str(empty)], input="Anna\n")
    assert result.exit_code == 1 and "empty.pt: not a readable checkpoint" in result.stderr


@pytest.mark.parametrize("name", ["v1-model", "v1-lexicon"])
def test_a_checkpoint_of_the_first_format_still_loads_and_predicts_the_same(data_dir, tmp_path, name):
    """tests/data/v1-*.pt were written by nerpipe 0.1 (format version 1: the CRF's scores
    under pytorch-crf's names, the gazetteer inside the vocabulary), one with a small
    pretrained table, one with --lexicon; v1-*.expected.json hold what that version
    predicted with them."""
    import json

    expected = json.loads((data_dir / f"{name}.expected.json").read_text())
    raw = torch.load(data_dir / f"{name}.pt", weights_only=True)
    assert raw["format_version"] == 1 and "crf.transitions" in raw["state_dict"]
    assert ("lexicon" in raw["vocab"]) == (name == "v1-lexicon")
    tagger = load_model(data_dir / f"{name}.pt")
    assert (tagger.lexicon is not None) == (name == "v1-lexicon")
    preds = tagger.predict(expected["sentences"], scores=True)
    assert [p.tags for p in preds] == expected["tags"]
    for p, scores in zip(preds, expected["scores"]):
        assert p.scores == pytest.approx(scores, abs=1e-5)
    # written again, it is a current checkpoint that predicts the same
    from nerpipe.checkpoints import FORMAT_VERSION, checkpoint_dict

    atomic_save(checkpoint_dict(tagger.network, tagger.vocab, tagger.scheme, tagger.train_scheme, tagger.meta, tagger.lexicon),
                tmp_path / "v2.pt")
    assert torch.load(tmp_path / "v2.pt", weights_only=True)["format_version"] == FORMAT_VERSION
    assert [p.tags for p in load_model(tmp_path / "v2.pt").predict(expected["sentences"])] == expected["tags"]
