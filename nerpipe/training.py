"""Training: data checks, the epoch loop, early stopping on dev F1, resumable state."""

from __future__ import annotations

import gc
import hashlib
import json
import math
import os
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from .checkpoints import atomic_save, checkpoint_dict, safe_load
from .errors import NerpipeError
from .formats import ReadOptions, display_name, gold_of, read_records
from .batching import make_batch
from .model import BiLSTMCRF, ModelConfig, ParameterAverage, export
from .schemes import Scheme, check_tag, detect_scheme, scheme_tags, spans_to_tags, tags_to_spans
from .scoring import score_pairs
from .recase import CASE_VARIANTS, recase
from .vocab import Vocab

TRAIN_SCHEME = Scheme.IOBES  # the model decodes in IOBES and writes the data's scheme back
STATE_FORMAT = "nerpipe-train-state"


@dataclass
class TrainConfig:
    epochs: int = 30
    batch_size: int = 64
    optimizer: str = "adam"
    lr: float = 0.003
    lr_decay: float = 0.05  # learning rate at epoch e (from 0): lr / (1 + lr_decay * e)
    clip: float = 5.0
    patience: int = 5
    seed: int = 1
    embeddings: str | None = None
    init_model: str | None = None  # start from this trained model ("default": the embedded one)
    keep_pretrained: int = 400_000
    unk_replace: float = 0.5  # chance a singleton word without a pretrained vector is fed as UNK
    word_dropout: float = 0.0  # chance any word is fed as UNK, so the model learns to lean on spelling and context
    lexicon: bool = False  # give the model a gazetteer of the training data's entities (cross-fold while training)
    case_variants: tuple[str, ...] = ()  # also train (and pick on dev) in these casings: lower, upper, title
    case_mix: str = "concat"  # concat: every casing of every sentence each epoch; sample: one casing per sentence; half: as written + one other
    lower_chars: bool = False  # the character CNN sees lower-cased spelling (case only through the casing feature)
    sentence_case: bool = False  # the casing feature also says how the whole sentence is cased
    average: float = 0.998  # decay per step of the weight average that is evaluated and kept; 0: off
    sep: str = "auto"
    token_col: int = 0
    tag_col: int = -1
    model: ModelConfig = field(default_factory=ModelConfig)

    def to_dict(self) -> dict:
        return asdict(self)


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


@dataclass
class Distributed:
    """This process's place in a torch.distributed run (torchrun sets the environment)."""

    rank: int = 0
    world: int = 1

    @property
    def active(self) -> bool:
        return self.world > 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def broadcast(self, value):
        """Rank 0's ``value`` on every rank (any picklable object)."""
        if not self.active:
            return value
        box = [value]
        torch.distributed.broadcast_object_list(box, src=0)
        return box[0]

    def sum(self, *values: float) -> list[float]:
        if not self.active:
            return list(values)
        tensor = torch.tensor(values, dtype=torch.float64)
        torch.distributed.all_reduce(tensor)
        return tensor.tolist()


def start_distributed(device: torch.device) -> tuple[Distributed, torch.device]:
    """Join the process group when launched by torchrun (``WORLD_SIZE`` > 1).

    gloo on the CPU, nccl on CUDA (each process takes GPU ``LOCAL_RANK``).
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Distributed(), device
    import torch.distributed as dist

    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Distributed(dist.get_rank(), dist.get_world_size()), device


class Reporter:
    """What training tells the outside world; the CLI draws it, tests ignore it."""

    def start_epoch(self, epoch: int, epochs: int, batches: int) -> None: ...

    def advance(self, loss: float) -> None: ...

    def end_epoch(self, record: dict) -> None: ...

    def message(self, text: str) -> None: ...


@dataclass(frozen=True)
class GoldSentence:
    """A sentence to learn from: tokens, their tags, and where it was read."""

    tokens: tuple[str, ...]
    tags: tuple[str, ...]
    path: str
    line: int


@dataclass
class Corpus:
    sentences: list[GoldSentence]
    paths: list[str]

    @property
    def tokens(self) -> int:
        return sum(len(s.tokens) for s in self.sentences)


def read_corpus(paths: Sequence[str], config: TrainConfig, role: str) -> Corpus:
    """Gold sentences from CoNLL files (a tag column) or JSONL (spans), any mix."""
    options = ReadOptions(config.sep, config.token_col, config.tag_col)
    sentences = []
    for path in paths:
        fmt, items, _ = read_records(path, "auto", options, annotated=True)
        for item in items:
            for tokens, tags, where, line in gold_of(item):
                if tags is None:
                    what = "a tag column, found only tokens" if fmt == "conll" else '"spans" (gold entities), found none'
                    raise NerpipeError(f"{role} data needs {what}", where, line)
                if fmt == "conll":
                    for i, tag in enumerate(tags):
                        check_tag(tag, where, line + i)
                if tokens:
                    sentences.append(GoldSentence(tuple(tokens), tuple(tags), where, line))
    if not sentences:
        raise NerpipeError(f"the {role} data holds no sentences", display_name(paths[0]) if len(paths) == 1 else None)
    return Corpus(sentences, list(paths))


def fingerprint(path: str) -> dict:
    if path == "-":
        return {"path": "<stdin>"}
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"path": path, "sha256": digest.hexdigest(), "bytes": os.path.getsize(path)}


def labels_of(corpus: Corpus) -> set[str]:
    return {label for s in corpus.sentences for _, _, label in tags_to_spans(s.tags)}


def check_data(train: Corpus, dev: Corpus | None, base_labels: set[str] = frozenset()) -> set[str]:
    """The training data's labels; the dev data may use no other (nor any of ``base_labels``,
    those of the model training starts from)."""
    labels = labels_of(train)
    if not labels:
        first = train.sentences[0]
        raise NerpipeError("the training data has no entities (every tag is O); is --tag-col right?", first.path, first.line)
    if dev is not None:
        unknown = labels_of(dev) - labels - base_labels
        if unknown:
            raise NerpipeError(
                f"the dev data has labels the training data lacks: {', '.join(sorted(unknown))}; the model could never predict them"
            )
    return labels


class Trainer:
    def __init__(self, config: TrainConfig, train: Corpus, dev: Corpus | None, device: torch.device, reporter: Reporter,
                 dist: Distributed | None = None):
        self.config, self.train_data, self.dev_data, self.device, self.reporter = config, train, dev, device, reporter
        self.dist = dist or Distributed()
        base = None
        if config.init_model:
            from .transfer import read_base

            base = read_base(config.init_model)
        labels = check_data(train, dev, set(base.labels) if base is not None else set())
        self.scheme = detect_scheme(s.tags for s in train.sentences)
        # the data as written, then each casing variant: the model sees them all alike
        self.variants = ("cased",) + tuple(v for v in config.case_variants if v != "cased")
        char_variants = [CASE_VARIANTS[v] for v in self.variants[1:]]
        self.lexicon, self.lexicon_bits = None, None
        if config.init_model:
            from .transfer import warm_start

            fixed = [name for name in ("embeddings", "lexicon", "lower_chars", "sentence_case") if getattr(config, name)]
            if fixed:
                raise NerpipeError("--init-model keeps the base model's words and architecture; it cannot go with "
                                   + ", ".join("--" + n.replace("_", "-") for n in fixed))
            start = warm_start(base, (s.tokens for s in train.sentences), labels, TRAIN_SCHEME, config.seed, char_variants,
                               dropout=config.model.dropout, variational=config.model.variational)
            reporter.message(f"starting from {config.init_model}: labels {', '.join(start.base_labels)}"
                             + (f", adding {', '.join(start.new_labels)}" if start.new_labels else "")
                             + f"; {start.new_words} words of the new data were new to it")
            self.vocab, counts, known = start.vocab, start.counts, start.known
            config.model = start.model.config
            self.model = start.model
        else:
            self.vocab, counts, known = self._fresh_model(config, train, labels, reporter, char_variants)
        self.model.to(device)
        self.step_model: torch.nn.Module = self.model
        if self.dist.active:
            from torch.nn.parallel import DistributedDataParallel

            # every rank built the same model from the same seed; DDP also syncs it from rank 0
            self.step_model = DistributedDataParallel(self.model, device_ids=[device.index] if device.type == "cuda" else None,
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
        self.epoch = 0
        self.best_f1 = -1.0
        self.best_epoch = 0
        self.bad_epochs = 0
        self.history: list[dict] = []

    def _fresh_model(self, config: TrainConfig, train: Corpus, labels: set[str], reporter: Reporter, char_variants):
        """The vocabulary and a new model (self.model) for ``train``; returns the word
        counts and the words that have a pretrained vector."""
        pretrained_words: list[str] = []
        matrix = None
        if config.embeddings:
            from .embeddings import load_vectors, lowercase_table, table_for

            reporter.message(f"loading embeddings {config.embeddings}")
            pretrained_words, matrix = lowercase_table(*load_vectors(config.embeddings))
            config.model.word_dim = matrix.shape[1]
            config.model.pretrained = True
        self.vocab, counts = Vocab.build((s.tokens for s in train.sentences), scheme_tags(labels, TRAIN_SCHEME),
                                         pretrained_words, config.keep_pretrained, lower_chars=config.lower_chars,
                                         sentence_case=config.sentence_case,
                                         char_variants=char_variants)
        if config.lexicon:
            from .lexicon import Lexicon, cross_fold_features

            pairs = [(s.tokens, s.tags) for s in train.sentences]
            types = sorted(labels)
            self.lexicon = Lexicon.build(pairs, types)
            self.lexicon_bits = cross_fold_features(pairs, types)
            config.model.lexicon_features = self.lexicon.features
        config.model.sentence_case = config.sentence_case
        torch.manual_seed(config.seed)
        self.model = BiLSTMCRF(config.model, self.vocab, TRAIN_SCHEME)
        if matrix is not None:
            self.model.pretrained.set(torch.from_numpy(table_for(self.vocab.words, pretrained_words, matrix, config.seed)))
        return self.vocab, counts, set(pretrained_words)

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
        cfg = self.config
        for group in self.optimizer.param_groups:
            group["lr"] = cfg.lr / (1 + cfg.lr_decay * (epoch - 1))
        torch.manual_seed(cfg.seed * 100_003 + epoch + 7919 * self.dist.rank)  # dropout differs across ranks
        noise = np.random.default_rng([cfg.seed, epoch, self.dist.rank])
        self.model.train()
        batches = self.batches(epoch)
        self.reporter.start_epoch(epoch, cfg.epochs, len(batches))
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
        from .tagger import Tagger

        tokens = [recase(s.tokens, variant) for s in corpus.sentences]
        predicted = Tagger(model, self.vocab, self.scheme, TRAIN_SCHEME, device=self.device, lexicon=self.lexicon).predict(tokens)
        return [(s.tags, p.tags) for s, p in zip(corpus.sentences, predicted)]

    def evaluate_dev(self, model: BiLSTMCRF) -> tuple[dict, float]:
        """Dev scores for the epoch record, and the F1 early stopping follows: P/R/F1 over
        the dev data in every training casing pooled, and each casing's F1 apart."""
        pairs = {v: self._predicted_pairs(self.dev_data, model, v) for v in self.variants}
        pooled = score_pairs(pair for v in self.variants for pair in pairs[v]).overall
        p, r, f = pooled.percentages()
        record = {"dev_precision": round(p, 2), "dev_recall": round(r, 2), "dev_f1": round(f, 2)}
        if len(self.variants) > 1:
            record["dev_f1_by_case"] = {v: round(score_pairs(pairs[v]).overall.percentages()[2], 2) for v in self.variants}
        return record, pooled.f1

    # ------------------------------------------------------------------ state

    def meta(self) -> dict:
        return {
            "training": {
                "train_files": [fingerprint(p) for p in self.train_data.paths],
                "dev_files": [fingerprint(p) for p in self.dev_data.paths] if self.dev_data else [],
                "train_sentences": len(self.train_data.sentences),
                "train_tokens": self.train_data.tokens,
                "epochs_run": self.epoch,
                "best_epoch": self.best_epoch,
                "seed": self.config.seed,
                "config": self.config.to_dict(),
                "history": self.history,
            }
        }

    def _resumable_config(self) -> str:
        """The options a resumed run must share (it may run longer or be more patient)."""
        return json.dumps({k: v for k, v in self.config.to_dict().items() if k not in ("epochs", "patience")}, sort_keys=True)

    def state_dict(self) -> dict:
        return {
            "format": STATE_FORMAT,
            "config": self._resumable_config(),
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "average": self.average.state_dict() if self.average is not None else {},
            "epoch": self.epoch,
            "best_f1": self.best_f1,
            "best_epoch": self.best_epoch,
            "bad_epochs": self.bad_epochs,
            "history": json.dumps(self.history),
        }

    def load_state(self, path: Path) -> None:
        state = None
        if self.dist.main:
            if not path.exists():
                raise NerpipeError("nothing to resume: no training state file (it is written after each epoch)", str(path))
            state = safe_load(path, "cpu", STATE_FORMAT)
        state = self.dist.broadcast(state)  # rank 0's file, so nodes need no shared disk
        if "crf.transitions" in state["model"]:
            raise NerpipeError("cannot resume: this training state was written by an older nerpipe; "
                               "train again without --resume", str(path))
        if state["config"] != self._resumable_config():
            raise NerpipeError("cannot resume: the options differ from the interrupted run's; pass the same ones", str(path))
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])  # moves its tensors to the parameters' device
        if self.average is not None:
            self.average.load_state_dict(state["average"])
        self.epoch, self.best_f1 = int(state["epoch"]), float(state["best_f1"])
        self.best_epoch, self.bad_epochs = int(state["best_epoch"]), int(state["bad_epochs"])
        self.history = json.loads(state["history"])

    # ------------------------------------------------------------------ loop

    def run(self, output: Path, resume: bool = False, log_path: str | None = None) -> dict:
        cfg = self.config
        state_path = Path(f"{output}.state")
        if resume:
            self.load_state(state_path)
            self.reporter.message(f"resuming after epoch {self.epoch} (best dev F1 so far {100 * max(self.best_f1, 0):.2f})")
        main = self.dist.main  # only rank 0 evaluates, writes and reports
        log = open(log_path, "a" if resume else "w", encoding="utf-8") if log_path and main else None
        started = time.perf_counter()
        try:
            while self.epoch < cfg.epochs and (self.dev_data is None or self.bad_epochs < cfg.patience):
                epoch = self.epoch + 1
                loss, tokens, seconds = self.train_epoch(epoch)
                record = {"epoch": epoch, "loss": round(loss, 4), "tokens_per_s": round(tokens / seconds),
                          "epoch_s": round(seconds, 2), "elapsed_s": round(time.perf_counter() - started, 2)}
                f1 = 0.0
                shipped = self.shipped() if main else None
                if self.dev_data is not None:
                    if main:
                        scores, f1 = self.evaluate_dev(shipped)
                        record.update(scores)
                    # early stopping is decided once, on rank 0's score
                    record, f1 = self.dist.broadcast((record, f1))
                improved = self.dev_data is None or f1 > self.best_f1
                self.epoch = epoch
                if improved:
                    self.best_f1 = f1
                    self.best_epoch, self.bad_epochs = epoch, 0
                else:
                    self.bad_epochs += 1
                record["best"] = improved
                self.history.append(record)
                if main:
                    if improved:
                        atomic_save(checkpoint_dict(shipped, self.vocab, self.scheme, TRAIN_SCHEME, self.meta(), self.lexicon), output)
                    atomic_save(self.state_dict(), state_path)
                    if log:
                        log.write(json.dumps(record) + "\n")
                        log.flush()
                    self.reporter.end_epoch(record)
        finally:
            if log:
                log.close()
        best = next((h for h in self.history if h["epoch"] == self.best_epoch), {})
        return {"epochs": self.epoch, "best_epoch": self.best_epoch, "best": best, "output": str(output),
                "rank": self.dist.rank, "world": self.dist.world}


def train(
    train_paths: Sequence[str],
    output: str | os.PathLike,
    dev_paths: Sequence[str] = (),
    config: TrainConfig | None = None,
    device: torch.device | str = "cpu",
    resume: bool = False,
    log: str | None = None,
    reporter: Reporter | None = None,
) -> dict:
    """Train a tagger on CoNLL files and write the best checkpoint to ``output``.

    Every epoch also writes ``output.state`` (model, optimiser, early-stopping
    state), from which ``resume=True`` continues an interrupted run. Launched by
    torchrun, it trains data-parallel (DistributedDataParallel); rank 0 writes.
    """
    config = config or TrainConfig()
    dist, device = start_distributed(torch.device(device))
    deterministic = torch.are_deterministic_algorithms_enabled()
    if device.type == "cpu":
        # with several threads some CPU kernels sum in a varying order; the deterministic
        # ones cost nothing measurable here and make --seed repeatable at a given thread
        # count (another count splits the sums differently, so its model differs)
        torch.use_deterministic_algorithms(True)
    reporter = (reporter or Reporter()) if dist.main else Reporter()
    train_data = read_corpus(train_paths, config, "training")
    dev_data = read_corpus(dev_paths, config, "dev") if dev_paths else None
    trainer = None
    try:
        trainer = Trainer(config, train_data, dev_data, device, reporter, dist)
        reporter.message(
            f"{len(train_data.sentences)} training sentences, {train_data.tokens} tokens; scheme {trainer.scheme.value}; "
            f"{len(trainer.vocab.words)} words ({trainer.vocab.n_train_words} from training)"
            + (f"; {dist.world} processes" if dist.active else "")
        )
        summary = trainer.run(Path(output), resume=resume, log_path=log)
        if dist.active:
            # rank 0 may still be writing files; tearing down gloo under it aborts the process
            torch.distributed.barrier()
        return summary
    finally:
        torch.use_deterministic_algorithms(deterministic)
        if dist.active:
            # DDP's reducer holds gloo work objects; freed at interpreter exit they abort
            # the process, so free them while the process group still exists
            del trainer
            gc.collect()
            torch.distributed.destroy_process_group()
