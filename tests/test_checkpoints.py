import os
import pickle

import pytest
import torch

import synthetic
from nerpipe.checkpoints import atomic_save, describe, load_model
from nerpipe.errors import NerpipeError, UsageError
from nerpipe.device import resolve_device
from nerpipe.inference import predict_tags
from test_training import tiny_config
from nerpipe.training import train


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    d = tmp_path_factory.mktemp("ckpt")
    data = synthetic.write(d / "train.conll", 60, seed=3)
    train([data], d / "m.pt", [data], tiny_config(epochs=2))
    return d / "m.pt"


def test_round_trip_gives_identical_predictions(model_path, tmp_path):
    sentences = [tokens for tokens, _ in synthetic.sentences(30, seed=9)]
    a = load_model(model_path)
    first = predict_tags(a.model, a.vocab, sentences, a.scheme, a.device)
    data = torch.load(model_path, weights_only=True)
    atomic_save(data, tmp_path / "copy.pt")
    b = load_model(tmp_path / "copy.pt")
    assert predict_tags(b.model, b.vocab, sentences, b.scheme, b.device) == first


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


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_round_trip(model_path):
    loaded = load_model(model_path, "cuda")
    cpu = load_model(model_path, "cpu")
    sentences = [tokens for tokens, _ in synthetic.sentences(20, seed=4)]
    assert predict_tags(loaded.model, loaded.vocab, sentences, loaded.scheme, loaded.device) == \
        predict_tags(cpu.model, cpu.vocab, sentences, cpu.scheme, cpu.device)


def test_an_empty_model_file_is_a_clear_error(tmp_path):
    from conftest import run_cli

    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    result = run_cli(["tag", "-m", str(empty)], input="Anna\n")
    assert result.exit_code == 1 and "empty.pt: not a readable checkpoint" in result.stderr
