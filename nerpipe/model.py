"""The BiLSTM-CRF (Lample et al. 2016; Ma & Hovy 2016) and its batches.

Each token is the concatenation of a word vector (a frozen pretrained row plus a
trainable correction for training words, so words seen only in the pretrained
vectors stay in the space the model learned), a character CNN feature and a
casing embedding. A BiLSTM over packed sequences gives tag scores; a CRF whose
forbidden transitions are fixed at a large negative score scores whole paths.
"""

from __future__ import annotations

import os
from dataclasses import replace

import torch
import torchcrf
from torch import Tensor, nn
from torch.nn.utils import parametrize
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .batching import Batch, CharFeatureCache, make_batch  # noqa: F401  (make_batch: re-exported)
from .decoding import (
    DECODE_LIMIT,
    log_partition,
    marginals,
    marginals_scan,
    path_score,
    scan_size,
    sequence_log_prob,
    token_entropy,
    transition_penalties,
    viterbi,
    viterbi_scan,
)
from .model_config import ModelConfig  # re-exported: nerpipe.model.ModelConfig
from .schemes import Scheme
from .vocab import CASINGS, SENTENCE_CASES, Vocab

# oneDNN caches a compiled LSTM for every batch shape it meets (1024 by default), and a
# long input meets hundreds: a small cache keeps memory flat for about 5% speed. Read
# when oneDNN first runs, so this holds for the library as for the command.
os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "32")


class _Penalty(nn.Module):
    """A torch parametrization: the learned scores plus fixed penalties of the same shape."""

    penalty: Tensor  # buffers are declared for type checkers (nn.Module's attribute lookup returns Tensor | Module)

    def __init__(self, penalty: Tensor):
        super().__init__()
        self.register_buffer("penalty", penalty, persistent=False)

    def forward(self, raw: Tensor) -> Tensor:
        return raw + self.penalty


# numbers in log_partition's first step (256 MB in float32; autograd keeps every step's, 2-3 times that
# in all): past it, the loop
SCAN_LIMIT = 1 << 26


def by_scan(emissions: Tensor) -> bool:
    """Whether the CRF's training loss takes :func:`~nerpipe.decoding.log_partition` (a
    few kernel launches, where a GPU would wait on pytorch-crf's loop of several per
    position) rather than pytorch-crf's forward algorithm (the faster on a CPU: the scan
    does num_tags times its arithmetic). The same value either way."""
    return emissions.device.type != "cpu" and scan_size(emissions) <= SCAN_LIMIT


# how decoding runs: "loop" (several tensor operations a position: the faster on a CPU), "scan" (a
# few per log2(seq_len), for num_tags times the arithmetic: what a GPU runs without waiting on the
# host) or None: the scans off the CPU
DECODING: str | None = None


def decodes_by_scan(emissions: Tensor) -> bool:
    """Whether :meth:`BiLSTMCRF.decode` and the marginals take the scans
    (:func:`~nerpipe.decoding.viterbi_scan`, :func:`~nerpipe.decoding.marginals_scan`)
    rather than the loops over positions: see :data:`DECODING`."""
    if DECODING is not None:
        return DECODING == "scan"
    _, seq_len, num_tags = emissions.shape
    # off the CPU, unless one row alone would pass the scans' memory limit (a very long sentence)
    return emissions.device.type != "cpu" and (seq_len - 1) * num_tags ** 3 <= DECODE_LIMIT


CRF_SCORES = "crf.parametrizations.{}.original"  # where a BiLSTMCRF's state keeps the CRF's learned scores


def constrained_crf(tags: list[str], scheme: Scheme) -> torchcrf.CRF:
    """pytorch-crf's CRF with ill-formed transitions fixed at a large negative score.

    The learned scores are pytorch-crf's own parameters; a torch parametrization adds
    the scheme's penalties whenever they are read (by pytorch-crf's likelihood or by
    our decoder), so training and decoding see the same constrained model. The
    learned scores live in ``crf.parametrizations.<name>.original``.
    """
    crf = torchcrf.CRF(len(tags), batch_first=True)
    pairs, start, end = transition_penalties(tags, scheme)
    for name, penalty in (("transitions", pairs), ("start_transitions", start), ("end_transitions", end)):
        parametrize.register_parametrization(crf, name, _Penalty(penalty))
    return crf


class FrozenRows(nn.Module):
    """A frozen table of word vectors, stored as int8 rows with a float16 scale each.

    The pretrained table is most of a model (400,000 x 50 for GloVe): int8 keeps it in
    20 MB, in memory and in checkpoints alike (its two buffers are what a checkpoint
    stores). Row ``i`` reads back as ``q[i] * scale[i]``; rows are quantised
    symmetrically, so a training run that sets the table trains on exactly what is stored.
    """

    q: Tensor
    scale: Tensor

    def __init__(self, rows: int, dim: int):
        super().__init__()
        self.register_buffer("q", torch.zeros(rows, dim, dtype=torch.int8))
        self.register_buffer("scale", torch.zeros(rows, dtype=torch.float16))

    @staticmethod
    def quantize(table: Tensor) -> tuple[Tensor, Tensor]:
        """(rows, dim) float -> (rows, dim) int8 and (rows,) float16 scales."""
        scale = (table.abs().amax(dim=1).clamp_min(1e-6) / 127).half()
        return torch.round(table / scale.float()[:, None]).clamp(-127, 127).to(torch.int8), scale

    @torch.no_grad()
    def set(self, table: Tensor) -> None:
        """Store ``table`` (rows, dim), rounded to int8."""
        if table.shape != self.q.shape:
            raise ValueError(f"expected a table of shape {tuple(self.q.shape)}, got {tuple(table.shape)}")
        q, scale = self.quantize(table.to(self.q.device, torch.float32))
        self.q.copy_(q)
        self.scale.copy_(scale)

    def table(self) -> Tensor:
        """The whole table as float32 (rows, dim)."""
        return self.q.float() * self.scale.float()[:, None]

    def forward(self, ids: Tensor) -> Tensor:
        """(...) word ids -> (..., dim) float32 vectors."""
        return self.q[ids].float() * self.scale[ids].float().unsqueeze(-1)


class ParameterAverage:
    """An exponential moving average of a model's trainable parameters (Polyak averaging).

    Evaluating and shipping the averaged weights smooths out the last steps' noise.
    The decay warms up as ``(1 + t) / (10 + t)`` so early averages are not dominated
    by the random initial weights.
    """

    def __init__(self, model: nn.Module, decay: float):
        named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        self.names = [n for n, _ in named]
        self.params = [p for _, p in named]
        self.shadow = [p.detach().clone() for p in self.params]
        self.decay = decay
        self.steps = 0

    @torch.no_grad()
    def update(self) -> None:
        from torch.optim.swa_utils import get_ema_multi_avg_fn

        self.steps += 1
        decay = min(self.decay, (1 + self.steps) / (10 + self.steps))
        get_ema_multi_avg_fn(decay)(self.shadow, self.params, self.steps)  # every tensor in one call (a GPU launch)

    def state_dict(self) -> dict[str, Tensor]:
        return {**dict(zip(self.names, self.shadow)), "steps": torch.tensor(self.steps)}

    @torch.no_grad()
    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        for name, s in zip(self.names, self.shadow):
            s.copy_(state[name])
        self.steps = int(state["steps"])


class BiLSTMCRF(nn.Module):
    pretrained: FrozenRows | None
    correction: nn.Embedding | None
    lexicon_shifts: Tensor
    pair_penalty: Tensor
    start_penalty: Tensor
    end_penalty: Tensor

    def __init__(self, config: ModelConfig, vocab: Vocab, scheme: Scheme):
        super().__init__()
        self.config = config
        n_words, n_train = len(vocab.words), vocab.n_train_words
        if config.pretrained:
            self.pretrained = FrozenRows(n_words, config.word_dim)
            self.correction = None
            if not config.merged:
                self.correction = nn.Embedding(n_train, config.word_dim, padding_idx=0)
                nn.init.zeros_(self.correction.weight)
        else:
            self.pretrained = None
            self.correction = nn.Embedding(n_words, config.word_dim, padding_idx=0)
        self.n_train_words = n_train
        self.char_embedding = nn.Embedding(len(vocab.chars), config.char_dim, padding_idx=0)
        self.char_cnn = nn.Conv1d(config.char_dim, config.char_filters, kernel_size=3, padding=1)
        self.casing_embedding = nn.Embedding(len(CASINGS) * (len(SENTENCE_CASES) if config.sentence_case else 1), config.casing_dim)
        self.dropout = nn.Dropout(config.dropout)
        in_dim = config.word_dim + config.char_filters + config.casing_dim + config.lexicon_features
        self.register_buffer("lexicon_shifts", torch.arange(config.lexicon_features), persistent=False)
        self.lstm = nn.LSTM(in_dim, config.hidden, num_layers=config.layers, bidirectional=True, batch_first=True,
                            dropout=config.dropout if config.layers > 1 else 0.0)
        self.projection = nn.Linear(2 * config.hidden, len(vocab.tags))
        self.crf = constrained_crf(vocab.tags, scheme) if config.crf else None
        if self.crf is None:
            pairs, start, end = transition_penalties(vocab.tags, scheme)
            self.register_buffer("pair_penalty", pairs, persistent=False)
            self.register_buffer("start_penalty", start, persistent=False)
            self.register_buffer("end_penalty", end, persistent=False)

    def word_vectors(self, words: Tensor) -> Tensor:
        """(batch, seq_len) word ids -> (batch, seq_len, word_dim)."""
        if self.pretrained is None:
            assert self.correction is not None  # a model has a table, corrections, or both
            return self.correction(words)
        if self.correction is None:
            return self.pretrained(words)
        # pretrained-only words have no correction: row 0 (padding) is all zeros
        trainable = torch.where(words < self.n_train_words, words, torch.zeros_like(words))
        return self.pretrained(words) + self.correction(trainable)

    def char_features(self, chars: Tensor) -> Tensor:
        """(n_words, word_len) character ids -> (n_words, filters) max-pooled CNN features."""
        if chars.shape[0] == 0:
            return chars.new_zeros((0, self.char_cnn.out_channels), dtype=torch.float32)
        char_vectors = self.char_embedding(chars)  # (n_words, word_len, char_dim)
        conv = self.char_cnn(char_vectors.transpose(1, 2))  # (n_words, filters, word_len)
        conv = conv.masked_fill((chars == 0).unsqueeze(1), float("-inf"))
        return conv.max(dim=2).values

    def emissions(self, batch: Batch, cache: CharFeatureCache | None = None,
                  generator: torch.Generator | None = None) -> Tensor:
        """Score each tag at each position: (batch, seq_len, num_tags). ``generator``: dropout on
        whatever the module's mode, its masks drawn from this generator (Monte Carlo dropout;
        the LSTM's own dropout between layers stays off), the module itself left as it is."""
        features = self.char_features(batch.chars)
        if cache is not None:
            features = cache.extend(features)
        char_features = features[batch.char_index]  # (batch, seq_len, filters)
        parts = [self.word_vectors(batch.words), char_features, self.casing_embedding(batch.casings)]
        if self.config.lexicon_features:
            parts.append(((batch.lexicon.unsqueeze(2) >> self.lexicon_shifts) & 1).to(char_features.dtype))
        x = torch.cat(parts, dim=2)
        x = self._drop(x, generator)
        lengths = batch.lengths
        longest_first = bool((lengths[:-1] >= lengths[1:]).all())
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=longest_first)
        out, _ = self.lstm(packed)
        if not self.training and generator is None:
            # no dropout: score only the real tokens, then pad the (much narrower) scores;
            # padded positions score 0, which decoding never reads
            emissions = out._replace(data=self.projection(out.data))
            return pad_packed_sequence(emissions, batch_first=True, total_length=x.shape[1])[0]
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])  # (batch, seq_len, 2*hidden)
        return self.projection(self._drop(out, generator))

    def _drop(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Dropout over (batch, seq_len, features); variational: the same units drop at every
        position. With a ``generator`` always on, the masks drawn from it."""
        if generator is None and not (self.training and self.config.variational and self.config.dropout > 0):
            return self.dropout(x)
        if self.config.dropout == 0:
            return x
        keep = 1.0 - self.config.dropout
        shape = (x.shape[0], 1, x.shape[2]) if self.config.variational else x.shape
        mask = x.new_empty(shape).bernoulli_(keep, generator=generator) / keep
        return x * mask

    def forward(self, batch: Batch, tags: Tensor) -> Tensor:
        """The training loss (what DistributedDataParallel calls); see :meth:`loss`."""
        return self.loss(batch, tags)

    def loss(self, batch: Batch, tags: Tensor) -> Tensor:
        """Mean negative log-likelihood per sentence (a scalar); ``tags`` is (batch, seq_len)
        long, 0 on padding."""
        _check_batch(batch)
        if tags.shape != batch.mask.shape:
            raise ValueError(f"expected tags of shape {tuple(batch.mask.shape)}, got {tuple(tags.shape)}")
        emissions = self.emissions(batch)  # (batch, seq_len, num_tags)
        if self.crf is not None:
            with parametrize.cached():  # the constrained scores once per call, not once per position
                if not by_scan(emissions):
                    return -self.crf(emissions, tags, mask=batch.mask, reduction="mean")
                crf = self.crf.transitions, self.crf.start_transitions, self.crf.end_transitions
                return (log_partition(emissions, batch.mask, *crf) - path_score(emissions, batch.mask, *crf, tags)).mean()
        logp = emissions.log_softmax(-1).gather(2, tags.unsqueeze(2)).squeeze(2)
        return -(logp * batch.mask).sum() / batch.mask.shape[0]

    def _chain(self, emissions: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        if self.crf is not None:
            return emissions, self.crf.transitions, self.crf.start_transitions, self.crf.end_transitions
        return emissions.log_softmax(-1), self.pair_penalty, self.start_penalty, self.end_penalty

    @torch.inference_mode()
    def chain(self, batch: Batch, cache: CharFeatureCache | None = None,
              generator: torch.Generator | None = None) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """The linear chain a batch is decoded over: emissions (batch, seq_len, num_tags),
        transitions (num_tags, num_tags), start and end scores (num_tags,). ``cache``: the
        one the batch was made with (each batch goes through here once: it fills the cache);
        ``generator``: Monte Carlo dropout (:meth:`emissions`)."""
        _check_batch(batch)
        return self._chain(self.emissions(batch, cache, generator))

    @torch.inference_mode()
    def decode(self, chain: tuple[Tensor, Tensor, Tensor, Tensor], mask: Tensor, with_scores: bool = False,
               bias: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        """Best well-formed tag ids (batch, seq_len) over a :meth:`chain` and, if asked, the
        marginal probability of each chosen tag (batch, seq_len). ``bias`` (batch, seq_len,
        num_tags) is added to the emissions: ``FORBIDDEN`` where a tag may not go (a
        pattern's match), a bonus where one is favoured."""
        emissions, transitions, start, end = chain
        if bias is not None:
            emissions = emissions + bias.to(emissions.device)
        path = (viterbi_scan if decodes_by_scan(emissions) else viterbi)(emissions, mask, transitions, start, end)
        if not with_scores:
            return path, None
        probs = _marginals(emissions, mask, transitions, start, end)
        return path, probs.gather(2, path.unsqueeze(2)).squeeze(2)

    def predict(self, batch: Batch, with_scores: bool = False, cache: CharFeatureCache | None = None) -> tuple[Tensor, Tensor | None]:
        """:meth:`decode` of the batch's :meth:`chain`."""
        return self.decode(self.chain(batch, cache), batch.mask, with_scores)

    @torch.inference_mode()
    def probabilities(self, chain: tuple[Tensor, Tensor, Tensor, Tensor], mask: Tensor, bias: Tensor | None = None) -> Tensor:
        """Each tag's marginal probability at each position (batch, seq_len, num_tags) over a :meth:`chain`."""
        emissions, transitions, start, end = chain
        if bias is not None:
            emissions = emissions + bias.to(emissions.device)
        return _marginals(emissions, mask, transitions, start, end)

    @torch.inference_mode()
    def uncertainty(self, chain: tuple[Tensor, Tensor, Tensor, Tensor], mask: Tensor, path: Tensor,
                    bias: Tensor | None = None, fold: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """How unsure the model is of a decoded ``path``: each token's tag entropy (batch,
        seq_len; ``fold``: tags counted as one, see :func:`token_entropy`) and each
        sentence's log P(path) (batch,)."""
        emissions, transitions, start, end = chain
        if bias is not None:
            emissions = emissions + bias.to(emissions.device)
        probs = _marginals(emissions, mask, transitions, start, end)
        chain64 = emissions.double(), mask, transitions.double(), start.double(), end.double()
        if decodes_by_scan(emissions) and scan_size(emissions) <= SCAN_LIMIT:
            log_prob = path_score(*chain64, path) - log_partition(*chain64)
        else:
            log_prob = sequence_log_prob(*chain64, path)
        return token_entropy(probs, mask, fold), log_prob

    def predict_uncertain(self, batch: Batch, cache: CharFeatureCache | None = None) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """:meth:`predict` with scores, and how unsure the model is (:meth:`uncertainty`): the
        best tag ids and their marginal probabilities (batch, seq_len), each token's tag
        entropy (batch, seq_len) and each sentence's log P(best path) (batch,)."""
        chain = self.chain(batch, cache)
        path, probs = self.decode(chain, batch.mask, with_scores=True)
        assert probs is not None
        return (path, probs, *self.uncertainty(chain, batch.mask, path))


def _marginals(emissions: Tensor, mask: Tensor, transitions: Tensor, start: Tensor, end: Tensor) -> Tensor:
    return (marginals_scan if decodes_by_scan(emissions) else marginals)(emissions, mask, transitions, start, end)


def _check_batch(batch: Batch) -> None:
    shape = tuple(batch.mask.shape)
    if len(shape) != 2 or tuple(batch.words.shape) != shape or tuple(batch.casings.shape) != shape \
            or tuple(batch.char_index.shape) != shape or tuple(batch.lengths.shape) != shape[:1]:
        raise ValueError(f"expected words, casings, char_index and mask of one (batch, seq_len) shape and lengths (batch,), "
                         f"got {tuple(batch.words.shape)}, {tuple(batch.casings.shape)}, {tuple(batch.char_index.shape)}, "
                         f"{shape} and {tuple(batch.lengths.shape)}")


def export(model: BiLSTMCRF, vocab: Vocab, scheme: Scheme, average: ParameterAverage | None = None) -> BiLSTMCRF:
    """The model as it is shipped: averaged weights and the correction folded into the
    (int8) pretrained table, so what is evaluated is exactly what a checkpoint holds."""
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if average is not None:
        state.update({k: v.detach().clone() for k, v in zip(average.names, average.shadow)})
    config = model.config
    table = None
    if model.pretrained is not None and model.correction is not None:
        correction = state.pop("correction.weight")
        table = model.pretrained.table()
        table[: correction.shape[0]] += correction
        config = replace(config, merged=True)
        del state["pretrained.q"], state["pretrained.scale"]
    shipped = BiLSTMCRF(config, vocab, scheme).to(state["projection.weight"].device)
    if table is None:
        shipped.load_state_dict(state)
    else:  # every weight but the table, which is set (rounded to int8) from the merged one
        missing, unexpected = shipped.load_state_dict(state, strict=False)
        if set(missing) != {"pretrained.q", "pretrained.scale"} or unexpected:
            raise RuntimeError(f"export: state does not fit the shipped model (missing {missing}, unexpected {unexpected})")
        assert shipped.pretrained is not None  # a merged table is a pretrained one
        shipped.pretrained.set(table)
    return shipped.eval()
