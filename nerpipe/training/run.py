"""``train()``: the entry point that sets up a run (processes, determinism, data) and
tears it down again."""

from __future__ import annotations

import gc
import os
from collections.abc import Sequence
from pathlib import Path

import torch

from ..labelmap import parse_label_map
from .config import TrainConfig
from .corpus import read_corpus
from .distributed import start_distributed, stop_distributed
from .reporter import Reporter
from .result import TrainResult
from .trainer import Trainer


def train(
    train_paths: Sequence[str | os.PathLike] | str | os.PathLike,
    output: str | os.PathLike,
    dev_paths: Sequence[str | os.PathLike] | str | os.PathLike = (),
    config: TrainConfig | None = None,
    device: torch.device | str = "cpu",
    resume: bool = False,
    log: str | None = None,
    reporter: Reporter | None = None,
    keep_state: bool = False,
) -> TrainResult:
    """Train a tagger on CoNLL or JSONL files and write the best checkpoint to ``output``.

    Every round also writes ``output.state`` (model, optimiser, early-stopping
    state), from which ``resume=True`` continues an interrupted run; a run that ends
    normally removes it unless ``keep_state``. Launched by torchrun, it trains
    data-parallel (DistributedDataParallel); rank 0 evaluates and writes.

    It runs on torch's threads as the caller has them: ``torch.set_num_threads(1)`` first
    for what ``nerpipe train`` does by default (``--threads 1``: as fast as more on an idle
    machine, far faster on a busy one, and the same seed gives the same model on any
    machine; torch's own default is a thread per core).
    """
    if config is not None and not isinstance(config, TrainConfig):
        raise TypeError(f"config: expected a TrainConfig (TrainConfig(epochs=5), or TrainConfig.from_options(...) from "
                        f"the command line's option names), got {type(config).__name__}")
    config = config or TrainConfig()
    # one file or several, as str or Path (as read_conll and score_files take them); "-" is standard input
    train_paths, dev_paths = ([os.fspath(paths)] if isinstance(paths, (str, os.PathLike)) else [os.fspath(p) for p in paths]
                              for paths in (train_paths, dev_paths))
    from ..device import as_device

    # a device by any name load_model takes (auto too), and an absent GPU said as such
    device = as_device(device)
    dist, device = start_distributed(device)
    deterministic = torch.are_deterministic_algorithms_enabled()
    if device.type == "cpu":
        # with several threads some CPU kernels sum in a varying order; the deterministic
        # ones cost nothing measurable here and make --seed repeatable at a given thread
        # count (another count splits the sums differently, so its model differs)
        torch.use_deterministic_algorithms(True)
    reporter = (reporter or Reporter()) if dist.main else Reporter()
    trainer = None
    try:
        train_data = read_corpus(train_paths, config, "training")
        dev_data = read_corpus(dev_paths, config, "dev") if dev_paths else None
        for data, role in ((train_data, "training"), (dev_data, "dev")):
            if data is not None and data.declined:
                reporter.message(f"{data.declined} {role} records answered reject or ignore (nerpipe annotate) are left out")
            for note in data.notes if data is not None else ():
                reporter.warning(note)
        label_map = parse_label_map(config.label_map, config.map_drop_others)
        if label_map is not None:  # a rule no entity of the training or the dev data met: a typo, or another tool's names
            label_map.seen.update(train_data.labels_read | (dev_data.labels_read if dev_data is not None else frozenset()))
            for note in label_map.idle_notes("the training or dev data" if dev_data is not None else "the training data"):
                reporter.warning(note)
        trainer = Trainer(config, train_data, dev_data, device, reporter, dist)
        reporter.message(
            f"{len(train_data.sentences)} training sentences, {train_data.tokens} tokens; scheme {trainer.scheme.value}; "
            f"{len(trainer.vocab.words)} words ({trainer.vocab.n_train_words} from training)"
            + (f"; {dist.world} processes" if dist.active else "")
        )
        reporter.message(trainer.schedule.describe(dev=dev_data is not None))
        result = trainer.run(Path(output), resume=resume, log_path=log, keep_state=keep_state)
        # rank 0 may still be writing files; tearing down gloo under it aborts the process
        dist.barrier()
        return result
    finally:
        torch.use_deterministic_algorithms(deterministic)
        if dist.active:
            # DDP's reducer holds gloo work objects; freed at interpreter exit they abort
            # the process, so free them while the process group still exists
            del trainer
            gc.collect()
            stop_distributed(dist)
