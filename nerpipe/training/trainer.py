"""The trainer: the vocabulary and model, batches, the steps of an epoch, dev
evaluation, resumable state, and the loop that runs rounds until the schedule stops it."""

from __future__ import annotations

import json
import math
import random
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from ..batching import make_batch
from ..checkpoints import atomic_save, checkpoint_dict, safe_load
from ..errors import NerpipeError
from ..model import BiLSTMCRF, ParameterAverage, export
from ..recase import CASE_VARIANTS, recase
from ..schemes import Scheme, detect_scheme, scheme_tags, spans_to_tags, tags_to_spans
from ..scoring import score_pairs
from ..vocab import Vocab
from .config import TrainConfig, check_init_model
from .corpus import Corpus, check_data, fingerprint
from .distributed import Distributed
from .reporter import Reporter
from .result import STOPPED_AT_CAP, STOPPED_BY_PATIENCE, TrainResult
from .schedule import Schedule

TRAIN_SCHEME = Scheme.IOBES  # the model decodes in IOBES and writes the data's scheme back
STATE_FORMAT = "nerpipe-train-state"
_INPUT_NAMES = {"train": "training sentences", "dev": "dev sentences", "init_model": "--init-model file"}
# options a resumed run may change: it may run longer, or be more patient
RESUMABLE_CHANGES = ("epochs", "min_steps", "patience")


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
    """One run's model, data and optimiser state.

    ``config`` is the run as asked; ``self.config`` is what it became once the data
    was read (the vectors' size, the lexicon's width), as the checkpoint records it.
    """

    def __init__(self, config: TrainConfig, train: Corpus, dev: Corpus | None, device: torch.device, reporter: Reporter,
                 dist: Distributed | None = None):
        self.config, self.train_data, self.dev_data, self.device, self.reporter = config, train, dev, device, reporter
        self.dist = dist or Distributed()
        base, self.base_digest, self.inputs = None, None, None
        if config.init_model:
            from ..transfer import read_base, resolve_base

            base = read_base(config.init_model)
            self.base_digest = fingerprint(resolve_base(config.init_model))["sha256"]
        labels = check_data(train, dev, set(base.labels) if base is not None else set())
        self.scheme = detect_scheme(s.tags for s in train.sentences)
        # the data as written, then each casing variant: the model sees them all alike
        self.variants = ("cased",) + tuple(v for v in config.case_variants if v != "cased")
        self.lexicon, self.lexicon_bits = None, None
        if base is not None:
            counts, known = self._adapt_model(base, config, train, labels, reporter)
        else:
            counts, known = self._build_model(config, train, labels, reporter)
        self.model.to(self.device)
        config = self.config
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
        self.replaceable = np.array(
            [i >= 2 and counts.get(w, 0) == 1 and w not in known for i, w in enumerate(self.vocab.words)], dtype=bool
        )
        # per casing variant, per sentence: tokens, word ids, casing classes
        self.tokens = [[s.tokens for s in train.sentences] if v == "cased" else [recase(s.tokens, v) for s in train.sentences]
                       for v in self.variants]
        self.word_ids = [[np.array([self.vocab.word_id(t) for t in toks], dtype=np.int64) for toks in variant]
                         for variant in self.tokens]
        self.casing_ids = [[np.array(self.vocab.casing_ids(toks), dtype=np.int64) for toks in variant] for variant in self.tokens]
        tag_index = self.vocab.tag_index
        self.tag_ids = [
            np.array([tag_index[t] for t in spans_to_tags(tags_to_spans(s.tags), len(s.tags), TRAIN_SCHEME)], dtype=np.int64)
            for s in train.sentences
        ]
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = make_optimizer(config, params)
        self.average = ParameterAverage(self.model, config.average) if config.average > 0 else None
        # every epoch has as many batches (only their order changes)
        self.schedule = Schedule.plan(config, len(self.batches(1)))
        self.files = {"train_files": [fingerprint(p) for p in train.paths],
                      "dev_files": [fingerprint(p) for p in dev.paths] if dev else []}
        self.epoch = 0
        self.steps = 0
        self.best_f1 = -1.0
        self.best_epoch = 0
        self.bad_rounds = 0
        self.history: list[dict] = []

    def _build_model(self, config: TrainConfig, train: Corpus, labels: set[str], reporter: Reporter) -> tuple[dict, set[str]]:
        """The vocabulary, the model on the device, and ``self.config`` with what they fixed
        (vector size, lexicon width); returns the training words' counts and the words
        that have a pretrained vector."""
        from ..embeddings import choose_vectors

        pretrained_words: list[str] = []
        matrix = None
        model_config = config.model
        vectors, why = choose_vectors(config.embeddings, (t for s in train.sentences for t in s.tokens))
        config = replace(config, embeddings=vectors)
        if not vectors:
            say = reporter.warning if "not installed" in why else reporter.message
            say(f"training without pretrained vectors ({why})")
        if vectors:
            from ..embeddings import load_vectors, lowercase_table, table_for

            reporter.message(f"loading embeddings {vectors} ({why})")
            pretrained_words, matrix = lowercase_table(*load_vectors(config.embeddings))
            model_config = replace(model_config, word_dim=matrix.shape[1], pretrained=True)
        self.vocab, counts = Vocab.build((s.tokens for s in train.sentences), scheme_tags(labels, TRAIN_SCHEME),
                                         pretrained_words, config.keep_pretrained, lower_chars=config.lower_chars,
                                         sentence_case=config.sentence_case,
                                         char_variants=[CASE_VARIANTS[v] for v in self.variants[1:]])
        if config.lexicon:
            from ..lexicon import Lexicon, cross_fold_features

            pairs = [(s.tokens, s.tags) for s in train.sentences]
            types = sorted(labels)
            self.lexicon = Lexicon.build(pairs, types)
            self.lexicon_bits = cross_fold_features(pairs, types)
            model_config = replace(model_config, lexicon_features=self.lexicon.features)
        model_config = replace(model_config, sentence_case=config.sentence_case)
        self.config = replace(config, model=model_config)
        torch.manual_seed(config.seed)
        self.model = BiLSTMCRF(model_config, self.vocab, TRAIN_SCHEME)
        if matrix is not None:
            self.model.pretrained.set(torch.from_numpy(table_for(self.vocab.words, pretrained_words, matrix, config.seed)))
        return counts, set(pretrained_words)

    def _adapt_model(self, base, config: TrainConfig, train: Corpus, labels: set[str], reporter: Reporter) -> tuple[dict, set[str]]:
        """As :meth:`_build_model`, from the trained model ``base`` (``--init-model``)."""
        from ..transfer import warm_start

        check_init_model(config)
        start = warm_start(base, (s.tokens for s in train.sentences), labels, TRAIN_SCHEME, config.seed,
                           [CASE_VARIANTS[v] for v in self.variants[1:]], dropout=config.model.dropout,
                           variational=config.model.variational)
        reporter.message(f"starting from {config.init_model}: labels {', '.join(start.base_labels)}"
                         + (f", adding {', '.join(start.new_labels)}" if start.new_labels else "")
                         + f"; {start.new_words} words of the new data were new to it")
        self.vocab, self.model = start.vocab, start.model
        self.config = replace(config, embeddings=None, model=start.model.config)  # the base model's words
        return start.counts, start.known

    # ------------------------------------------------------------------ batches

    def examples(self, epoch: int) -> list[tuple[int, int]]:
        """This epoch's training examples as (sentence, casing variant) pairs.

        concat: every variant of every sentence; sample: one variant per sentence, drawn
        uniformly (the same data at a quarter of the cost per epoch, with four variants);
        half: every sentence as written and once more in a variant drawn from the others.
        """
        n = len(self.train_data.sentences)
        if len(self.variants) == 1:
            return [(i, 0) for i in range(n)]
        rng = np.random.default_rng([self.config.seed, epoch, 0xCA5E])
        if self.config.case_mix == "sample":
            return list(zip(range(n), rng.integers(len(self.variants), size=n).tolist()))
        if self.config.case_mix == "half":
            return [(i, 0) for i in range(n)] + list(zip(range(n), rng.integers(1, len(self.variants), size=n).tolist()))
        return [(i, v) for v in range(len(self.variants)) for i in range(n)]

    def batches(self, epoch: int) -> list[list[tuple[int, int]]]:
        """Shuffled batches of examples of similar lengths; a function of (seed, epoch) only."""
        rng = random.Random(self.config.seed * 100_003 + epoch)
        order = self.examples(epoch)
        rng.shuffle(order)
        size = self.config.batch_size
        pool = size * 50
        batches = []
        for k in range(0, len(order), pool):
            chunk = sorted(order[k : k + pool], key=lambda e: len(self.tag_ids[e[0]]), reverse=True)
            batches.extend(chunk[j : j + size] for j in range(0, len(chunk), size))
        rng.shuffle(batches)
        if self.dist.active:
            from torch.utils.data import DistributedSampler

            # each rank takes its share of the same shuffled batches (padded by repeats to equal counts)
            sampler = DistributedSampler(batches, num_replicas=self.dist.world, rank=self.dist.rank, shuffle=False)
            batches = [batches[i] for i in sampler]
        return batches

    def train_epoch(self, epoch: int) -> tuple[float, int, float]:
        """One pass over the data: mean loss per sentence, tokens (of all processes), seconds."""
        cfg = self.config
        for group in self.optimizer.param_groups:
            group["lr"] = self.schedule.lr(cfg, epoch)
        torch.manual_seed(cfg.seed * 100_003 + epoch + 7919 * self.dist.rank)  # dropout differs across ranks
        noise = np.random.default_rng([cfg.seed, epoch, self.dist.rank])
        self.model.train()
        batches = self.batches(epoch)
        total_loss, tokens, examples, started = 0.0, 0, 0, time.perf_counter()
        params = [p for p in self.model.parameters() if p.requires_grad]
        for batch_examples in batches:
            indices = [i for i, _ in batch_examples]
            ids = [self.word_ids[v][i] for i, v in batch_examples]
            if cfg.unk_replace > 0:
                ids = [np.where(self.replaceable[w] & (noise.random(len(w)) < cfg.unk_replace), 1, w) for w in ids]
            if cfg.word_dropout > 0:
                ids = [np.where((w >= 2) & (noise.random(len(w)) < cfg.word_dropout), 1, w) for w in ids]
            lexicon_bits = None if self.lexicon_bits is None else [self.lexicon_bits[i] for i in indices]
            batch = make_batch([self.tokens[v][i] for i, v in batch_examples], self.vocab, ids,
                               [self.casing_ids[v][i] for i, v in batch_examples], lexicon_bits=lexicon_bits).to(self.device)
            gold = torch.zeros_like(batch.words)
            for row, i in enumerate(indices):
                gold[row, : len(self.tag_ids[i])] = torch.from_numpy(self.tag_ids[i])
            loss = self.step_model(batch, gold)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.clip > 0:
                torch.nn.utils.clip_grad_norm_(params, cfg.clip)
            self.optimizer.step()
            if self.average is not None:
                self.average.update()
            value = float(loss.detach())
            if not math.isfinite(value):
                raise NerpipeError(f"training diverged (loss {value}) in epoch {epoch}; try a lower --lr")
            total_loss += value * len(indices)
            examples += len(indices)
            tokens += int(batch.lengths.sum())
            self.reporter.advance(value)
        self.steps += len(batches)
        seconds = time.perf_counter() - started
        total_loss, tokens, examples = self.dist.sum(total_loss, tokens, examples)
        return total_loss / max(examples, 1), int(tokens), seconds

    # ------------------------------------------------------------------ evaluation

    def shipped(self) -> BiLSTMCRF:
        """The model a checkpoint would hold now (averaged, merged, storage-rounded)."""
        return export(self.model, self.vocab, TRAIN_SCHEME, self.average)

    def evaluate(self, corpus: Corpus, model: BiLSTMCRF, variant: str = "cased"):
        return score_pairs(self._predicted_pairs(corpus, model, variant))

    def _predicted_pairs(self, corpus: Corpus, model: BiLSTMCRF, variant: str) -> list[tuple[list[str], list[str]]]:
        from ..tagger import Tagger

        tokens = [recase(s.tokens, variant) for s in corpus.sentences]
        predicted = Tagger(model, self.vocab, self.scheme, TRAIN_SCHEME, device=self.device, lexicon=self.lexicon).predict(tokens)
        return [(s.tags, p.tags) for s, p in zip(corpus.sentences, predicted)]

    def evaluate_dev(self, model: BiLSTMCRF) -> tuple[dict, float]:
        """Dev scores for the round's record, and the F1 early stopping follows: P/R/F1 over
        the dev data in every training casing pooled, and each casing's F1 apart."""
        pairs = {v: self._predicted_pairs(self.dev_data, model, v) for v in self.variants}
        pooled = score_pairs(pair for v in self.variants for pair in pairs[v]).overall
        p, r, f = pooled.percentages()
        record = {"dev_precision": round(p, 2), "dev_recall": round(r, 2), "dev_f1": round(f, 2)}
        if len(self.variants) > 1:
            record["dev_f1_by_case"] = {v: round(score_pairs(pairs[v]).overall.percentages()[2], 2) for v in self.variants}
        return record, pooled.f1

    # ------------------------------------------------------------------ state

    def best_record(self) -> dict:
        return next((h for h in self.history if h["epoch"] == self.best_epoch), {})

    def meta(self, result: TrainResult | None = None) -> dict:
        """The checkpoint's ``meta``: the data, the effective config, the history and the
        kept epoch; with the run's ``result``, also why it stopped."""
        training = {
            **self.files,
            "train_sentences": len(self.train_data.sentences),
            "train_tokens": self.train_data.tokens,
            "epochs_run": self.epoch,
            "steps_run": self.steps,
            "best_epoch": self.best_epoch,
            "best_dev_f1": self.best_record().get("dev_f1") if self.dev_data is not None else None,
            "seed": self.config.seed,
            "schedule": {"steps_per_epoch": self.schedule.steps_per_epoch, "epochs_per_round": self.schedule.epochs_per_round,
                         "max_epochs": self.schedule.max_epochs},
            "config": self.config.to_dict(),
            "history": self.history,
        }
        if result is not None:
            training.update(stopped=result.stopped, still_improving=result.still_improving)
        return {"training": training}

    def _resumable_config(self) -> str:
        """The options a resumed run must share."""
        return json.dumps({k: v for k, v in self.config.to_dict().items() if k not in RESUMABLE_CHANGES}, sort_keys=True)

    def _inputs(self) -> dict:
        """What a resumed run must read again, by content: the sentences and the base model."""
        if self.inputs is None:  # hashed once, at the first state written or read
            self.inputs = {"train": self.train_data.digest(), "dev": self.dev_data.digest() if self.dev_data else None,
                           "init_model": self.base_digest}
        return self.inputs

    def state_dict(self) -> dict:
        return {
            "format": STATE_FORMAT,
            "config": self._resumable_config(),
            "inputs": json.dumps(self._inputs(), sort_keys=True),
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "average": self.average.state_dict() if self.average is not None else {},
            "epoch": self.epoch,
            "steps": self.steps,
            "best_f1": self.best_f1,
            "best_epoch": self.best_epoch,
            "bad_rounds": self.bad_rounds,
            "history": json.dumps(self.history),
        }

    def load_state(self, path: Path) -> None:
        state, error = None, None
        if self.dist.main:
            try:
                if not path.exists():
                    raise NerpipeError("nothing to resume: no training state file (it is written after each round and "
                                       "removed when a run ends, unless --keep-state)", str(path))
                state = safe_load(path, "cpu", STATE_FORMAT)
            except NerpipeError as err:
                error = err
        # rank 0's file, so nodes need no shared disk; its error too, so no rank waits for the others
        state, error = self.dist.broadcast((state, error))
        if error is not None:
            raise error
        if "bad_rounds" not in state or "crf.transitions" in state["model"]:
            raise NerpipeError("cannot resume: this training state was written by an older nerpipe; "
                               "train again without --resume", str(path))
        if state["config"] != self._resumable_config():
            raise NerpipeError("cannot resume: the options differ from the interrupted run's; pass the same ones", str(path))
        saved, now = json.loads(state.get("inputs", "{}")), self._inputs()
        changed = [_INPUT_NAMES[kind] for kind in now if kind in saved and saved[kind] != now[kind]]
        if self.dist.sum(float(bool(changed)))[0] and not changed:  # each rank read its own copy of the files
            changed = ["another rank's data or --init-model file"]
        if changed:
            raise NerpipeError(f"cannot resume: these differ from the interrupted run's: {', '.join(changed)} (content "
                               "or order); pass the same files, or train again without --resume", str(path))
        if "inputs" not in state:
            self.reporter.message(f"{path}: this training state does not record its data; resuming on trust")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])  # moves its tensors to the parameters' device
        if self.average is not None:
            self.average.load_state_dict(state["average"])
        self.epoch, self.steps, self.best_f1 = int(state["epoch"]), int(state["steps"]), float(state["best_f1"])
        self.best_epoch, self.bad_rounds = int(state["best_epoch"]), int(state["bad_rounds"])
        self.history = json.loads(state["history"])

    def _finish_checkpoint(self, output: Path, result: TrainResult) -> None:
        """Write the finished run's summary (epochs run, why it stopped) into the kept model."""
        if output.exists():
            data = safe_load(output, "cpu")
            data["meta"] = self.meta(result)
            atomic_save(data, output)

    # ------------------------------------------------------------------ loop

    def score_start(self, output: Path, log) -> None:
        """``--init-model``: the starting model's dev F1, before any step, is the one to
        beat, and the starting model is what ``output`` holds until a round beats it (an
        adapted model that scores worse on the user's own dev data is never kept)."""
        record, f1 = {"epoch": 0, "steps": 0}, 0.0
        shipped = self.shipped() if self.dist.main else None
        if self.dist.main:
            scores, f1 = self.evaluate_dev(shipped)
            record.update(scores)
        record, f1 = self.dist.broadcast((record, f1))
        record["best"] = True
        self.best_f1, self.best_epoch = f1, 0
        self.history.append(record)
        if self.dist.main:
            atomic_save(checkpoint_dict(shipped, self.vocab, self.scheme, TRAIN_SCHEME, self.meta(), self.lexicon), output)
            if log:
                log.write(json.dumps(record) + "\n")
                log.flush()
            self.reporter.message(f"before training, the starting model scores dev F1 {record['dev_f1']:.2f}: "
                                  f"{output} keeps it unless a round does better")

    def train_round(self, started: float) -> dict:
        """Train from the next epoch to the end of its round; the round's record without dev scores."""
        plan = self.schedule
        epochs = range(self.epoch + 1, plan.round_epochs(plan.round_of(self.epoch + 1)).stop)
        self.reporter.start_round(epochs[0], epochs[-1], plan.max_epochs, len(epochs) * plan.steps_per_epoch)
        loss, tokens, seconds = 0.0, 0, 0.0
        for epoch in epochs:
            epoch_loss, epoch_tokens, epoch_seconds = self.train_epoch(epoch)
            loss, tokens, seconds = loss + epoch_loss, tokens + epoch_tokens, seconds + epoch_seconds
            self.epoch = epoch
        return {"epoch": self.epoch, "steps": self.steps, "loss": round(loss / len(epochs), 4),
                "tokens_per_s": round(tokens / seconds), "epoch_s": round(seconds / len(epochs), 2),
                "elapsed_s": round(time.perf_counter() - started, 2)}

    def run(self, output: Path, resume: bool = False, log_path: str | None = None, keep_state: bool = False) -> TrainResult:
        """Train round after round until dev F1 has not improved for ``patience`` rounds
        or the epoch cap is reached, keeping the best model in ``output``.

        ``output.state``, written after every round, is removed when the run ends here
        (unless ``keep_state``); an exception or Ctrl-C leaves it for ``resume``.
        """
        cfg, plan = self.config, self.schedule
        state_path = Path(f"{output}.state")
        if resume:
            self.load_state(state_path)
            self.reporter.message(f"resuming after epoch {self.epoch} (best dev F1 so far {100 * max(self.best_f1, 0):.2f})")
        if self.dev_data is None:
            self.reporter.warning(f"no --dev data: nothing to stop early on, so training runs all {plan.max_epochs} epochs "
                                  f"({plan.max_steps:,} steps) and keeps the last model")
        main = self.dist.main  # only rank 0 evaluates, writes and reports
        log = open(log_path, "a" if resume else "w", encoding="utf-8") if log_path and main else None
        started = time.perf_counter()
        try:
            if not resume and self.base_digest is not None and self.dev_data is not None:
                self.score_start(output, log)
            while self.epoch < plan.max_epochs and (self.dev_data is None or self.bad_rounds < cfg.patience):
                record = self.train_round(started)
                f1 = 0.0
                shipped = self.shipped() if main else None
                if self.dev_data is not None:
                    if main:
                        scores, f1 = self.evaluate_dev(shipped)
                        record.update(scores)
                    # early stopping is decided once, on rank 0's score
                    record, f1 = self.dist.broadcast((record, f1))
                improved = self.dev_data is None or f1 > self.best_f1
                if improved:
                    self.best_f1 = f1
                    self.best_epoch, self.bad_rounds = self.epoch, 0
                else:
                    self.bad_rounds += 1
                record["best"] = improved
                self.history.append(record)
                if main:
                    if improved:
                        atomic_save(checkpoint_dict(shipped, self.vocab, self.scheme, TRAIN_SCHEME, self.meta(), self.lexicon),
                                    output)
                    atomic_save(self.state_dict(), state_path)
                    if log:
                        log.write(json.dumps(record) + "\n")
                        log.flush()
                    self.reporter.end_round(record)
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
        has_dev = self.dev_data is not None
        stopped = STOPPED_BY_PATIENCE if has_dev and self.bad_rounds >= self.config.patience else STOPPED_AT_CAP
        best = self.best_record()
        return TrainResult(epochs=self.epoch, steps=self.steps, max_epochs=self.schedule.max_epochs, best_epoch=self.best_epoch,
                           best_dev_f1=best.get("dev_f1") if has_dev else None, best=best, output=str(output),
                           rank=self.dist.rank, world=self.dist.world, stopped=stopped,
                           still_improving=has_dev and stopped == STOPPED_AT_CAP and self.bad_rounds == 0)
