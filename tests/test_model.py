import pytest
import torch

from nerpipe.model import BiLSTMCRF, ModelConfig
from nerpipe.schemes import Scheme
from nerpipe.vocab import Vocab

torch.set_num_threads(1)


VOCAB = Vocab(["<pad>", "<unk>", "a"], 3, ["<pad>", "<unk>", "a"], ["O", "S-X", "B-X", "I-X", "E-X"])


def tiny_model(**kw) -> BiLSTMCRF:
    return BiLSTMCRF(ModelConfig(hidden=4, char_filters=4, char_dim=4, word_dim=4, casing_dim=2, **kw), VOCAB, Scheme.IOBES)


def test_variational_dropout_drops_the_same_units_at_every_position():
    model = tiny_model(dropout=0.5, variational=True).train()
    x = torch.ones(3, 7, 40)
    out = model._drop(x)
    dropped = out == 0
    assert dropped.any() and not dropped.all()
    assert torch.equal(dropped, dropped[:, :1].expand_as(dropped))  # one mask per sentence
    assert not torch.equal(dropped[0], dropped[1])  # ... drawn per sentence
    assert torch.allclose(out[~dropped], torch.tensor(2.0))  # kept units are rescaled by 1 / keep


@pytest.mark.parametrize("variational", [False, True])
def test_dropout_is_off_when_evaluating(variational):
    model = tiny_model(dropout=0.5, variational=variational).eval()
    x = torch.randn(2, 5, 12)
    assert torch.equal(model._drop(x), x)


def test_standard_dropout_draws_per_position():
    torch.manual_seed(0)
    dropped = tiny_model(dropout=0.5).train()._drop(torch.ones(2, 50, 40)) == 0
    assert not torch.equal(dropped, dropped[:, :1].expand_as(dropped))


def test_evaluation_scores_real_tokens_as_training_does():
    from nerpipe.model import make_batch

    torch.manual_seed(0)
    model = tiny_model(dropout=0.0)
    batch = make_batch([["a", "b", "a"], ["a"], ["b", "b"]], VOCAB)
    trained = model.train().emissions(batch)  # padded, then projected
    evaluated = model.eval().emissions(batch)  # projected on the packed tokens, then padded
    mask = batch.mask.unsqueeze(2)
    assert torch.allclose(trained * mask, evaluated * mask, atol=1e-6)
    assert not torch.equal(evaluated[1, 1:], trained[1, 1:])  # padding differs, and is never read


def test_the_loss_by_scan_equals_pytorch_crfs_with_the_same_gradients(monkeypatch):
    """Off the CPU the CRF's loss takes the log-depth scan (nerpipe.model.by_scan): forced
    here on the CPU, the model's loss and every parameter's gradient are pytorch-crf's."""
    import nerpipe.model
    from nerpipe.model import by_scan, make_batch

    torch.manual_seed(0)
    model = tiny_model(dropout=0.0).eval()
    batch = make_batch([["a", "b", "a", "a", "b"], ["a"], ["b", "b"]], VOCAB)
    tags = torch.tensor([[2, 3, 3, 4, 0], [1, 0, 0, 0, 0], [2, 4, 0, 0, 0]])

    def loss_and_gradients():
        model.zero_grad()
        loss = model.loss(batch, tags)
        loss.backward()
        return loss.item(), {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    assert not by_scan(torch.zeros(3, 5, 5))  # on the CPU: pytorch-crf's loop
    looped, looped_grads = loss_and_gradients()
    monkeypatch.setattr(nerpipe.model, "by_scan", lambda emissions: True)
    scanned, scanned_grads = loss_and_gradients()
    assert scanned == pytest.approx(looped, rel=1e-6)
    assert scanned_grads.keys() == looped_grads.keys() and any(n.startswith("crf.") for n in scanned_grads)
    for name in looped_grads:
        torch.testing.assert_close(scanned_grads[name], looped_grads[name], atol=1e-6, rtol=1e-5)


def test_the_scan_gives_way_to_the_loop_past_its_memory_limit(monkeypatch):
    import nerpipe.model
    from nerpipe.model import by_scan

    meta = torch.empty(64, 40, 17, device="meta")  # any device but the CPU
    assert by_scan(meta)
    monkeypatch.setattr(nerpipe.model, "SCAN_LIMIT", 64 * 32 * 17 ** 3 - 1)
    assert not by_scan(meta)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_on_a_gpu_the_loss_takes_the_scan_and_equals_the_cpus():
    import copy

    from nerpipe.model import by_scan, make_batch

    torch.manual_seed(0)
    model = tiny_model(dropout=0.0).eval()
    batch = make_batch([["a", "b", "a", "a", "b"], ["a"], ["b", "b"]], VOCAB)
    tags = torch.tensor([[2, 3, 3, 4, 0], [1, 0, 0, 0, 0], [2, 4, 0, 0, 0]])
    on_gpu = copy.deepcopy(model).cuda()
    gpu_batch = batch.to(torch.device("cuda"))
    assert by_scan(on_gpu.emissions(gpu_batch))
    assert on_gpu.loss(gpu_batch, tags.cuda()).item() == pytest.approx(model.loss(batch, tags).item(), rel=1e-5)
