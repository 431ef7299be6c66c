"""What a training step sees: the training sentences in every casing variant, as ids,
shuffled into batches of similar lengths (a function of the seed and the epoch alone),
with singleton words and word dropout fed as unknown."""

from __future__ import annotations

import random

import numpy as np
import torch

from ..batching import Batch, make_batch
from ..recase import recase
from ..schemes import Scheme, spans_to_tags, tags_to_spans
from ..vocab import Vocab
from .config import TrainConfig
from .corpus import Corpus
from .distributed import Distributed

ROW_POSITIONS = 256  # a batch holds at most batch_size times this many positions (padding included)


class TrainingBatches:
    """The training data as ids, per casing variant (``variants[0]`` is the data as written)."""

    def __init__(self, config: TrainConfig, corpus: Corpus, vocab: Vocab, scheme: Scheme, variants: tuple[str, ...],
                 counts: dict, known: set[str], lexicon_bits: list | None, dist: Distributed):
        self.config, self.corpus, self.vocab, self.variants, self.dist = config, corpus, vocab, variants, dist
        self.lexicon_bits = lexicon_bits
        self.replaceable = np.array(
            [i >= 2 and counts.get(w, 0) == 1 and w not in known for i, w in enumerate(vocab.words)], dtype=bool
        )
        # per casing variant, per sentence: tokens, word ids, casing classes
        self.tokens = [[s.tokens for s in corpus.sentences] if v == "cased" else [recase(s.tokens, v) for s in corpus.sentences]
                       for v in variants]
        self.word_ids = [[np.array([vocab.word_id(t) for t in toks], dtype=np.int64) for toks in variant]
                         for variant in self.tokens]
        self.casing_ids = [[np.array(vocab.casing_ids(toks), dtype=np.int64) for toks in variant] for variant in self.tokens]
        tag_index = vocab.tag_index
        self.tag_ids = [
            np.array([tag_index[t] for t in spans_to_tags(tags_to_spans(s.tags), len(s.tags), scheme)], dtype=np.int64)
            for s in corpus.sentences
        ]

    def examples(self, epoch: int) -> list[tuple[int, int]]:
        """This epoch's training examples as (sentence, casing variant) pairs.

        concat: every variant of every sentence; sample: one variant per sentence, drawn
        uniformly (the same data at a quarter of the cost per epoch, with four variants);
        half: every sentence as written and once more in a variant drawn from the others.
        """
        n = len(self.corpus.sentences)
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
        batches: list[list[tuple[int, int]]] = []
        for k in range(0, len(order), pool):
            chunk = sorted(order[k : k + pool], key=lambda e: len(self.tag_ids[e[0]]), reverse=True)
            batches.extend(self._split(chunk, size))
        rng.shuffle(batches)
        if self.dist.active:
            from torch.utils.data import DistributedSampler

            # each rank takes its share of the same shuffled batches (padded by repeats to equal counts)
            sampler: DistributedSampler = DistributedSampler(batches, num_replicas=self.dist.world,  # type: ignore[arg-type]
                                                             rank=self.dist.rank, shuffle=False)  # a list is a dataset
            batches = [batches[i] for i in sampler]
        return batches

    def _split(self, chunk: list[tuple[int, int]], size: int) -> list[list[tuple[int, int]]]:
        """Examples sorted longest first, in batches of ``size``, each holding at most ``size`` *
        :data:`ROW_POSITIONS` positions with its padding: sentences up to that long are batched
        by count alone, and a very long one (a file whose blank lines between sentences were
        lost) does not pad a whole batch to its length."""
        batches: list[list[tuple[int, int]]] = []
        for example in chunk:
            if not batches or len(batches[-1]) == size or \
                    (len(batches[-1]) + 1) * len(self.tag_ids[batches[-1][0][0]]) > size * ROW_POSITIONS:
                batches.append([])
            batches[-1].append(example)
        return batches

    def tensors(self, examples: list[tuple[int, int]], noise: np.random.Generator,
                device: torch.device) -> tuple[Batch, torch.Tensor]:
        """One step's batch on ``device`` and its gold tag ids, (batch, seq_len): singleton
        words (and, with word dropout, any word) fed as unknown by ``noise``."""
        cfg = self.config
        ids = [self.word_ids[v][i] for i, v in examples]
        if cfg.unk_replace > 0:
            ids = [np.where(self.replaceable[w] & (noise.random(len(w)) < cfg.unk_replace), 1, w) for w in ids]
        if cfg.word_dropout > 0:
            ids = [np.where((w >= 2) & (noise.random(len(w)) < cfg.word_dropout), 1, w) for w in ids]
        lexicon_bits = None if self.lexicon_bits is None else [self.lexicon_bits[i] for i, _ in examples]
        batch = make_batch([self.tokens[v][i] for i, v in examples], self.vocab, ids,
                           [self.casing_ids[v][i] for i, v in examples], lexicon_bits=lexicon_bits)
        gold = np.zeros(tuple(batch.words.shape), dtype=np.int64)  # filled here, copied to the device once
        for row, (i, _) in enumerate(examples):
            gold[row, : len(self.tag_ids[i])] = self.tag_ids[i]
        return batch.to(device), torch.from_numpy(gold).to(device, non_blocking=True)
