import math

import pytest
import synthetic
import torch

from nerpipe.errors import NerpipeError
from nerpipe.training import meter as meter_module
from nerpipe.training.meter import READ_EVERY, LossMeter

torch.set_num_threads(1)


def losses(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.rand((), generator=g) * 10 for _ in range(n)], [int(k) for k in torch.randint(1, 9, (n,), generator=g)]


def test_reading_each_step_is_the_cpus_way_and_sums_exactly():
    values, sizes = losses(7)
    meter = LossMeter()
    for loss, n in zip(values, sizes):
        meter.add(loss, n)
        assert meter.latest == float(loss)  # read at once
    assert meter.reads == 7
    assert meter.total == sum(float(v) * n for v, n in zip(values, sizes))
    assert LossMeter.for_device(torch.device("cpu")).every == 1
    assert LossMeter.for_device(torch.device("meta")).every == READ_EVERY > 1


def test_reading_every_k_steps_waits_k_times_fewer_and_sums_the_same():
    values, sizes = losses(23)
    meter = LossMeter(every=5)
    for step, (loss, n) in enumerate(zip(values, sizes), 1):
        meter.add(loss, n)
        last_read = step - step % 5
        assert (meter.latest == float(values[last_read - 1])) if last_read else math.isnan(meter.latest)
    assert meter.reads == 4  # steps 5, 10, 15, 20
    assert meter.read() == float(values[-1])
    assert meter.reads == 5  # and the rest, once
    assert meter.total == pytest.approx(sum(float(v) * n for v, n in zip(values, sizes)), rel=1e-6)
    assert meter.read() == float(values[-1]) and meter.reads == 5  # nothing pending: no wait


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_a_loss_that_is_not_finite_stops_the_run_at_the_next_read(bad):
    meter = LossMeter(every=4, where=" in epoch 3")
    meter.add(torch.tensor(1.0), 2)
    meter.add(torch.tensor(bad), 2)
    meter.add(torch.tensor(1.0), 2)  # not read yet: the device may still be running it
    with pytest.raises(NerpipeError, match=r"training diverged \(loss (nan|inf)\) in epoch 3; try a lower --lr"):
        meter.add(torch.tensor(1.0), 2)
    with pytest.raises(NerpipeError, match="diverged"):
        LossMeter().add(torch.tensor(bad), 1)
    with pytest.raises(ValueError):
        LossMeter(every=0)


@pytest.mark.slow
def test_training_that_reads_the_loss_seldom_trains_the_same_model(tmp_path, monkeypatch):
    """What a GPU run does (reads every READ_EVERY steps), forced on the CPU: the same
    weights and the same epoch loss; and a diverging run still stops with its message."""
    from nerpipe.model import ModelConfig
    from nerpipe.training import Reporter, TrainConfig, Trainer, read_corpus

    path = synthetic.write(tmp_path / "train.conll", 120, seed=3)
    model = ModelConfig(hidden=16, char_filters=8, char_dim=8, word_dim=16, casing_dim=4, dropout=0.1)
    config = TrainConfig(batch_size=8, lr=0.02, lr_decay=0.0, model=model, epochs=2, min_steps=0, eval_steps=0, embeddings=None)

    def run(every):
        monkeypatch.setattr(meter_module.LossMeter, "for_device", classmethod(lambda cls, device, where="": cls(every, where)))
        trainer = Trainer(config, read_corpus([path], config, "training"), None, torch.device("cpu"), Reporter())
        loss, tokens, _ = trainer.train_epoch(1)
        return loss, tokens, trainer.model.state_dict()

    each, seldom = run(1), run(4)
    assert seldom[0] == pytest.approx(each[0], rel=1e-6) and seldom[1] == each[1]
    assert all(torch.equal(each[2][k], seldom[2][k]) for k in each[2])

    monkeypatch.setattr(meter_module.LossMeter, "for_device", classmethod(lambda cls, device, where="": cls(4, where)))
    trainer = Trainer(config, read_corpus([path], config, "training"), None, torch.device("cpu"), Reporter())
    monkeypatch.setattr(trainer, "step_model", lambda batch, gold: trainer.model.loss(batch, gold) * math.nan)
    with pytest.raises(NerpipeError, match=r"training diverged \(loss nan\) in epoch 1"):
        trainer.train_epoch(1)
