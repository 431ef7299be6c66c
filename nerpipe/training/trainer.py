"""The training loop: rounds of epochs of steps, dev evaluation after each round, the best
model kept in the output file and the run's state beside it, until patience or the cap.

The parts it drives live beside it: :mod:`.setup` (the model and vocabulary, new or from
``--init-model``), :mod:`.batches` (the data as ids, in batches), :mod:`.state` (where
the run stands, and the file ``--resume`` reads) and :mod:`.schedule` (rounds, rate, cap).
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from ..checkpoints import atomic_save, checkpoint_dict, safe_load
from ..errors import UsageError
from ..model import BiLSTMCRF, ParameterAverage, export
from ..recase import CASELESS_READINGS, recase
from ..schemes import Scheme, convert_tags, detect_scheme
from ..scoring import score_pairs
from .batches import TrainingBatches
from .config import TrainConfig, with_casings
from .corpus import Corpus, check_data, fingerprint
from .distributed import Distributed
from .meter import LossMeter
from .reporter import Reporter
from .result import STOPPED_AT_CAP, STOPPED_BY_PATIENCE, STOPPED_UNFINISHED, TrainResult
from .schedule import Schedule, counted
from .state import STATE_FORMAT, Progress, load_state, save_state

__all__ = ["STATE_FORMAT", "TRAIN_SCHEME", "Trainer", "make_optimizer"]

TRAIN_SCHEME = Scheme.IOBES  # the model decodes in IOBES and writes the data's scheme back


def make_optimizer(config: TrainConfig, params: list) -> torch.optim.Optimizer:
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=0.9)
    if config.optimizer == "nadam":
        return torch.optim.NAdam(params, lr=config.lr, foreach=True)
    try:
        # the fused kernel is several times faster on CPU too (torch >= 2.4)
        return torch.optim.Adam(params, lr=config.lr, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(params, lr=config.lr, foreach=True)


class Trainer:
    """One run's model, data and optimiser, and where it stands (``progress``).

    ``config`` is the run as asked; ``self.config`` is what it became once the data
    was read (the vectors chosen, their size, the lexicon's width), as the checkpoint
    records it.
    """

    def __init__(self, config: TrainConfig, train: Corpus, dev: Corpus | None, device: torch.device, reporter: Reporter,
                 dist: Distributed | None = None):
        from . import setup

        self.train_data, self.dev_data, self.device, self.reporter = train, dev, device, reporter
        self.dist = dist or Distributed()
        base, self.base_digest = None, None
        self._digests: dict | None = None
        if config.init_model:
            from ..transfer import read_base, resolve_base

            base = read_base(config.init_model)
            self.base_digest = fingerprint(resolve_base(config.init_model))["sha256"]
            if config.keep_types:
                from .keep import pseudo_labels

                train, added = pseudo_labels(train, base, detect_scheme(s.tags for s in train.sentences))
                if added:
                    reporter.message("--keep-types: the base model's " + ", ".join(f"{n} {label}" for label, n in added.items())
                                     + " entities added to the training data, which has none of these types")
        elif config.l2sp:
            raise UsageError("--l2sp pulls the weights towards the --init-model's: it goes with --init-model")
        asked, config = config, with_casings(config, base.meta if base is not None else None)
        if asked.case_mix not in (None, "concat") and not config.case_variants:
            raise UsageError(f"--case-mix {asked.case_mix} mixes the casings of --case-variants, and there are none "
                             f"({config.init_model or 'a new model'} was trained as written only): add --case-variants")
        if asked.case_variants is None and config.case_variants:
            reporter.message(f"{config.init_model} was trained to read text in casings {', '.join(config.case_variants)} "
                             f"(--case-mix {config.case_mix}), and so is this run, to keep that "
                             "(--case-variants none: the data as written only)")
        labels = check_data(train, dev, set(base.labels) if base is not None else set())
        self.scheme = detect_scheme(s.tags for s in train.sentences)
        # the data as written, then each casing variant: the model sees them all alike
        assert config.case_variants is not None  # decided by with_casings
        variants = ("cased",) + tuple(v for v in config.case_variants if v != "cased")
        if base is not None:
            start = setup.adapt(base, config, train, labels, variants, TRAIN_SCHEME, reporter)
        else:
            start = setup.build(config, train, labels, variants, TRAIN_SCHEME, reporter)
        self.config, self.vocab, self.model, self.lexicon = start.config, start.vocab, start.model, start.lexicon
        self.model.to(self.device)
        self.step_model: torch.nn.Module = self.model
        if self.dist.active:
            from torch.nn.parallel import DistributedDataParallel

            # every rank built the same model from the same seed; DDP also syncs it from rank 0
            with warnings.catch_warnings():
                # torch >= 2.13 renames the option; the old name is the one every supported torch takes
                warnings.filterwarnings("ignore", "`broadcast_buffers` is deprecated", FutureWarning)
                self.step_model = DistributedDataParallel(
                    self.model, device_ids=[device.index] if device.type == "cuda" else None,
                    broadcast_buffers=False)  # buffers are constant (the int8 table: 20 MB)
        self.data = TrainingBatches(self.config, train, self.vocab, TRAIN_SCHEME, variants, start.counts, start.known,
                                    start.lexicon_bits, self.dist)
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = make_optimizer(self.config, params)
        self.anchor = None
        if base is not None and config.l2sp > 0:
            from .keep import Anchor

            self.anchor = Anchor(self.model, config.l2sp)
        self.average = ParameterAverage(self.model, self.config.average) if self.config.average > 0 else None
        # every epoch has as many batches (only their order changes)
        self.schedule = Schedule.plan(self.config, len(self.data.batches(1)))
        self.files = {"train_files": [fingerprint(p) for p in train.paths],
                      "dev_files": [fingerprint(p) for p in dev.paths] if dev else []}
        self.progress = Progress()

    @property
    def variants(self) -> tuple[str, ...]:
        return self.data.variants

    # ------------------------------------------------------------------ steps

    def train_epoch(self, epoch: int) -> tuple[float, int, float]:
        """One pass over the data: mean loss per sentence, tokens (of all processes), seconds."""
        cfg = self.config
        for group in self.optimizer.param_groups:
            group["lr"] = self.schedule.lr(cfg, epoch)
        torch.manual_seed(cfg.seed * 100_003 + epoch + 7919 * self.dist.rank)  # dropout differs across ranks
        noise = np.random.default_rng([cfg.seed, epoch, self.dist.rank])
        self.model.train()
        batches = self.data.batches(epoch)
        meter = LossMeter.for_device(self.device, f" in epoch {epoch}")
        tokens, examples, started = 0, 0, time.perf_counter()
        params = [p for p in self.model.parameters() if p.requires_grad]
        for batch_examples in batches:
            batch, gold = self.data.tensors(batch_examples, noise, self.device)
            loss = self.step_model(batch, gold)
            if self.anchor is not None:
                loss = loss + self.anchor.penalty()
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.clip > 0:
                torch.nn.utils.clip_grad_norm_(params, cfg.clip)
            self.optimizer.step()
            if self.average is not None:
                self.average.update()
            meter.add(loss, len(batch_examples))  # off the CPU, read (a wait for the device) every READ_EVERY steps
            examples += len(batch_examples)
            tokens += int(batch.lengths.sum())  # lengths stay on the host
            self.reporter.advance(meter.latest)
        meter.read()
        total_loss = meter.total
        self.progress.steps += len(batches)
        seconds = time.perf_counter() - started
        loss_sum, token_sum, example_sum = self.dist.sum(total_loss, tokens, examples)
        return loss_sum / max(example_sum, 1), int(token_sum), seconds

    def train_round(self, started: float) -> dict:
        """Train from the next epoch to the end of its round; the round's log entry without dev figures."""
        plan, progress = self.schedule, self.progress
        epochs = range(progress.epoch + 1, plan.round_epochs(plan.round_of(progress.epoch + 1)).stop)
        self.reporter.start_round(epochs[0], epochs[-1], plan.max_epochs, len(epochs) * plan.steps_per_epoch)
        loss, tokens, seconds = 0.0, 0, 0.0
        for epoch in epochs:
            epoch_loss, epoch_tokens, epoch_seconds = self.train_epoch(epoch)
            loss, tokens, seconds = loss + epoch_loss, tokens + epoch_tokens, seconds + epoch_seconds
            progress.epoch = epoch
        return {"epoch": progress.epoch, "steps": progress.steps, "loss": round(loss / len(epochs), 4),
                "tokens_per_s": round(tokens / seconds), "epoch_s": round(seconds / len(epochs), 2),
                "elapsed_s": round(time.perf_counter() - started, 2)}

    # ------------------------------------------------------------------ evaluation

    def shipped(self) -> BiLSTMCRF:
        """The model a checkpoint would hold now (averaged, merged, storage-rounded)."""
        return export(self.model, self.vocab, TRAIN_SCHEME, self.average)

    def _predicted_pairs(self, corpus: Corpus, model: BiLSTMCRF, variant: str) -> list[tuple[Sequence[str], Sequence[str]]]:
        from ..tagger import Tagger

        tokens = [recase(s.tokens, variant) for s in corpus.sentences]
        predicted = Tagger(model, self.vocab, self.scheme, TRAIN_SCHEME, device=self.device, lexicon=self.lexicon,
                           read_caseless=set(CASELESS_READINGS) <= set(self.variants)).predict(tokens)
        # both sides read as entities, then in IOB2: conlleval's rules on IOBES or BILOU tags as written
        # would join S-LOC S-LOC into one entity (and the dev F1 chooses the model kept)
        return [(convert_tags(s.tags, Scheme.IOB2), convert_tags(p.tags, Scheme.IOB2))
                for s, p in zip(corpus.sentences, predicted)]

    def evaluate_dev(self, model: BiLSTMCRF) -> tuple[dict, float]:
        """Dev figures for the round's log entry, and the F1 early stopping follows (percent,
        as the entry shows it): P/R/F1 over the dev data in every training casing pooled, and
        each casing's F1 apart."""
        assert self.dev_data is not None
        dev = self.dev_data
        pairs = {v: self._predicted_pairs(dev, model, v) for v in self.variants}
        p, r, f = score_pairs(pair for v in self.variants for pair in pairs[v]).overall.percentages()
        entry: dict = {"dev_precision": round(p, 2), "dev_recall": round(r, 2), "dev_f1": round(f, 2)}
        if len(self.variants) > 1:
            entry["dev_f1_by_case"] = {v: round(score_pairs(pairs[v]).overall.percentages()[2], 2) for v in self.variants}
        return entry, entry["dev_f1"]

    # ------------------------------------------------------------------ what is written

    def meta(self, result: TrainResult | None = None) -> dict:
        """The checkpoint's ``meta``: the data, the effective config, the history and the
        kept epoch; with the run's ``result``, also why it stopped (without: ``unfinished``,
        what a model written at a new best says until the run ends)."""
        progress = self.progress
        training = {
            **self.files,
            "train_sentences": len(self.train_data.sentences),
            "train_tokens": self.train_data.tokens,
            "epochs_run": progress.epoch,
            "steps_run": progress.steps,
            "best_epoch": progress.best_epoch,
            "best_dev_f1": progress.best_record().get("dev_f1") if self.dev_data is not None else None,
            "seed": self.config.seed,
            "threads": torch.get_num_threads(),  # with the seed and the data, what makes a CPU run the same again
            "schedule": {"steps_per_epoch": self.schedule.steps_per_epoch, "epochs_per_round": self.schedule.epochs_per_round,
                         "max_epochs": self.schedule.max_epochs},
            "config": self.config.to_dict(),
            "history": progress.history,
        }
        if result is not None:
            training.update(stopped=result.stopped, still_improving=result.still_improving)
        else:
            training["stopped"] = STOPPED_UNFINISHED
        return {"training": training}

    def digests(self) -> dict:
        """What a resumed run must read again, by content: the sentences and the base model."""
        if self._digests is None:  # hashed once, at the first state written or read
            self._digests = {"train": self.train_data.digest(), "dev": self.dev_data.digest() if self.dev_data else None,
                             "init_model": self.base_digest}
        return self._digests

    def save(self, output: Path, model: BiLSTMCRF, log, entry: dict, best: bool) -> None:
        """Rank 0, after a round: the model if it is the best so far, the state, the log line."""
        if best:
            atomic_save(checkpoint_dict(model, self.vocab, self.scheme, TRAIN_SCHEME, self.meta(), self.lexicon), output)
        if entry["epoch"] > 0:  # the starting model of --init-model has no state to resume from
            save_state(Path(f"{output}.state"), self.progress, self.config, self.digests(), self.model, self.optimizer,
                       self.average)
        if log:
            log.write(json.dumps(entry) + "\n")
            log.flush()

    def _finish_checkpoint(self, output: Path, result: TrainResult) -> None:
        """Write the finished run's summary (epochs run, why it stopped) into the kept model."""
        if output.exists():
            data = safe_load(output, "cpu")
            data["meta"] = self.meta(result)
            atomic_save(data, output)

    # ------------------------------------------------------------------ the loop

    def _with_dev(self, entry: dict, shipped: BiLSTMCRF | None) -> tuple[dict, float]:
        """``entry`` with rank 0's dev figures for ``shipped`` (None on other ranks), and the
        F1 early stopping follows: decided once, on rank 0's score, and sent to every rank."""
        f1 = 0.0
        if shipped is not None:
            dev, f1 = self.evaluate_dev(shipped)
            entry.update(dev)
        return self.dist.broadcast((entry, f1))

    def score_start(self, output: Path, log) -> None:
        """``--init-model``: the starting model's dev F1, before any step, is the one to
        beat, and the starting model is what ``output`` holds until a round beats it (an
        adapted model that scores worse on the user's own dev data is never kept)."""
        shipped = self.shipped() if self.dist.main else None  # only rank 0 evaluates and writes
        entry, f1 = self._with_dev({"epoch": 0, "steps": 0}, shipped)
        self.progress.count(entry, f1)
        if shipped is not None:
            self.save(output, shipped, log, entry, best=True)
            self.reporter.message(f"before training, the starting model scores dev F1 {entry['dev_f1']:.2f}: "
                                  f"{output} keeps it unless a round does better")

    def run(self, output: Path, resume: bool = False, log_path: str | None = None, keep_state: bool = False) -> TrainResult:
        """Train round after round until dev F1 has not improved for ``patience`` rounds
        or the epoch cap is reached, keeping the best model in ``output``.

        ``output.state``, written after every round, is removed when the run ends here
        (unless ``keep_state``); an exception or Ctrl-C leaves it for ``resume``.
        """
        cfg, plan = self.config, self.schedule
        state_path = Path(f"{output}.state")
        if not resume and state_path.exists() and self.dist.main:
            self.reporter.warning(f"{state_path} holds an interrupted run: this one starts afresh and replaces it "
                                  "(Ctrl-C now and add --resume to continue that one)")
        if resume:
            self.progress = load_state(state_path, self.config, self.digests(), self.model, self.optimizer, self.average,
                                       self.dist, self.reporter)
            if self.progress.epoch > plan.max_epochs:  # its messages and the model's record would contradict each other
                raise UsageError(f"--resume: the interrupted run has done {counted(self.progress.epoch, 'epoch')}, more "
                                 f"than --epochs {plan.max_epochs} allows; give --epochs {self.progress.epoch} or more")
            self.reporter.message(f"resuming after epoch {self.progress.epoch} "
                                  f"(best dev F1 so far {max(self.progress.best_f1, 0):.2f})")
        if self.dev_data is None:
            self.reporter.warning(f"no --dev data: nothing to stop early on, so training runs all "
                                  f"{counted(plan.max_epochs, 'epoch')} ({counted(plan.max_steps, 'step')}) and keeps the last model")
        main = self.dist.main  # only rank 0 evaluates, writes and reports
        log = open(log_path, "a" if resume else "w", encoding="utf-8") if log_path and main else None
        # a resumed run's elapsed_s goes on from the interrupted one's: the time spent training, the pause left out
        done = self.progress.history[-1].get("elapsed_s", 0.0) if self.progress.history else 0.0
        started = time.perf_counter() - (done if isinstance(done, (int, float)) else 0.0)
        progress = self.progress
        try:
            if not resume and self.base_digest is not None and self.dev_data is not None:
                self.score_start(output, log)
            while progress.epoch < plan.max_epochs and (self.dev_data is None or progress.bad_rounds < cfg.patience):
                entry = self.train_round(started)
                shipped = self.shipped() if main else None
                entry, f1 = self._with_dev(entry, shipped) if self.dev_data is not None else (entry, None)
                best = progress.count(entry, f1)
                if shipped is not None:
                    self.save(output, shipped, log, entry, best)
                    self.reporter.end_round(entry)
        finally:
            if log:
                log.close()
        result = self.result(output)
        if main:
            self._finish_checkpoint(output, result)
            if not keep_state:
                state_path.unlink(missing_ok=True)
        return result

    def result(self, output: Path) -> TrainResult:
        has_dev, progress = self.dev_data is not None, self.progress
        stopped = STOPPED_BY_PATIENCE if has_dev and progress.bad_rounds >= self.config.patience else STOPPED_AT_CAP
        best = progress.best_record()
        evaluations = sum(1 for entry in progress.history if "dev_f1" in entry)
        return TrainResult(epochs=progress.epoch, steps=progress.steps, max_epochs=self.schedule.max_epochs,
                           best_epoch=progress.best_epoch, best_dev_f1=best.get("dev_f1") if has_dev else None, best=best,
                           output=str(output), rank=self.dist.rank, world=self.dist.world, stopped=stopped,
                           still_improving=has_dev and stopped == STOPPED_AT_CAP and progress.bad_rounds == 0
                           and evaluations > 1, evaluations=evaluations)
