"""The BiLSTM-CRF (Lample et al. 2016; Ma & Hovy 2016) and its batches.

Each token is the concatenation of a word vector (a frozen pretrained row plus a
trainable correction for training words, so words seen only in the pretrained
vectors stay in the space the model learned), a character CNN feature and a
casing embedding. A BiLSTM over packed sequences gives tag scores; a CRF whose
forbidden transitions are fixed at a large negative score scores whole paths.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
import torchcrf
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .decoding import marginals, transition_penalties, viterbi
from .model_config import ModelConfig  # re-exported: nerpipe.model.ModelConfig
from .schemes import Scheme
from .vocab import CASINGS, SENTENCE_CASES, Vocab


@dataclass
class Batch:
    """Padded ids of a list of sentences (batch-first).

    words, casings: (batch, seq_len) long; mask: (batch, seq_len) bool;
    chars: (n_unique, word_len) long, one row per distinct token of the batch;
    char_index: (batch, seq_len) long, the row of ``chars`` for each token;
    lengths: (batch,) long, on the CPU (packing wants it there);
    lexicon: (batch, seq_len) long, each token's lexicon bits (zeros without a lexicon).
    """

    words: Tensor
    casings: Tensor
    chars: Tensor
    char_index: Tensor
    mask: Tensor
    lengths: Tensor
    lexicon: Tensor

    def to(self, device: torch.device) -> Batch:
        return Batch(*(t if name == "lengths" else t.to(device, non_blocking=True) for name, t in self.__dict__.items()))


def make_batch(sentences: Sequence[Sequence[str]], vocab: Vocab, word_ids: Sequence[np.ndarray] | None = None,
               casing_ids: Sequence[np.ndarray] | None = None, cache: CharFeatureCache | None = None,
               lexicon_bits: Sequence[np.ndarray] | None = None) -> Batch:
    """Encode token lists (each non-empty); ``word_ids``, ``casing_ids`` and ``lexicon_bits``
    may be passed precomputed.

    With a ``cache``, ``char_index`` points into the cache's rows and ``chars`` holds
    only the tokens it has not seen yet (their rows are reserved in the cache here).
    """
    n = len(sentences)
    lengths = np.fromiter((len(s) for s in sentences), dtype=np.int64, count=n)
    seq_len = int(lengths.max())
    mask = np.arange(seq_len)[None, :] < lengths[:, None]
    flat = [t for s in sentences for t in s]  # row-major, the order of mask's True cells
    words = np.zeros((n, seq_len), dtype=np.int64)
    casings = np.zeros((n, seq_len), dtype=np.int64)
    char_index = np.zeros((n, seq_len), dtype=np.int64)
    rows: dict[str, int] = {} if cache is None else cache.rows
    first_new = len(rows)
    char_index[mask] = [rows.setdefault(t, len(rows)) for t in flat]
    unique = list(itertools.islice(rows, first_new, None))  # dicts keep insertion order
    encode = vocab.encode
    if word_ids is None:
        codes = list(map(encode, flat))
        words[mask] = [c[0] for c in codes]
        casings[mask] = [c[1] for c in codes]
        if vocab.sentence_case:
            casings += np.array([vocab.casing_shift(s) for s in sentences], dtype=np.int64)[:, None] * mask
    else:
        words[mask] = np.concatenate(word_ids)
        casings[mask] = np.concatenate(casing_ids) if casing_ids is not None else np.concatenate(
            [vocab.casing_ids(s) for s in sentences])
    lexicon = np.zeros((n, seq_len), dtype=np.int64)
    if lexicon_bits is not None:
        lexicon[mask] = np.concatenate(lexicon_bits)
    elif vocab.lexicon is not None:
        lexicon[mask] = np.concatenate([vocab.lexicon.match(s) for s in sentences])
    char_rows = [encode(t)[2] for t in unique]
    chars = np.zeros((len(char_rows), max(map(len, char_rows), default=1)), dtype=np.int64)
    for r, ids in enumerate(char_rows):
        chars[r, : len(ids)] = ids
    return Batch(*(torch.from_numpy(a) for a in (words, casings, chars, char_index, mask, lengths, lexicon)))


class CharFeatureCache:
    """Character-CNN features of the tokens seen so far, for tagging (never training).

    A token's character feature depends on its spelling alone, and text repeats its
    tokens (CoNLL-2003 test.txt: about 9,500 distinct among 46,000), so each is computed
    once. Holds at most ``capacity`` tokens, then starts afresh, so memory stays bounded.
    """

    def __init__(self, capacity: int = 100_000):
        self.capacity = capacity
        self.rows: dict[str, int] = {}
        self.table: Tensor | None = None  # (allocated rows, filters); the first len(rows) are filled
        self.filled = 0

    def make_room(self, tokens: int) -> None:
        if len(self.rows) + tokens > self.capacity:
            self.rows.clear()
            self.filled = 0

    def extend(self, features: Tensor) -> Tensor:
        """Store the features of the rows ``make_batch`` reserved; return the filled table."""
        needed = self.filled + features.shape[0]
        if self.table is None or self.table.shape[0] < needed or self.table.device != features.device:
            grown = features.new_empty((max(needed, 2 * (0 if self.table is None else self.table.shape[0]), 1024), features.shape[1]))
            if self.table is not None and self.filled:
                grown[: self.filled] = self.table[: self.filled]
            self.table = grown
        self.table[self.filled : needed] = features
        self.filled = needed
        return self.table[:needed]


class ConstrainedCRF(torchcrf.CRF):
    """pytorch-crf's CRF with ill-formed transitions fixed at a large negative score.

    The learned scores live in the parameters pytorch-crf creates; the properties
    below add the scheme's penalties whenever pytorch-crf (or our decoder) reads them,
    so training and decoding see the same constrained model.
    """

    def __init__(self, tags: list[str], scheme: Scheme):
        super().__init__(len(tags), batch_first=True)
        pairs, start, end = transition_penalties(tags, scheme)
        self.register_buffer("pair_penalty", pairs, persistent=False)
        self.register_buffer("start_penalty", start, persistent=False)
        self.register_buffer("end_penalty", end, persistent=False)

    def _constrained(self, name: str, penalty: str) -> Tensor:
        # pytorch-crf registers and initialises its parameters before our penalties exist
        raw, pen = self._parameters.get(name), self._buffers.get(penalty)
        if raw is None:
            raise AttributeError(name)
        return raw if pen is None else raw + pen

    @property
    def transitions(self) -> Tensor:  # type: ignore[override]
        return self._constrained("transitions", "pair_penalty")

    @property
    def start_transitions(self) -> Tensor:  # type: ignore[override]
        return self._constrained("start_transitions", "start_penalty")

    @property
    def end_transitions(self) -> Tensor:  # type: ignore[override]
        return self._constrained("end_transitions", "end_penalty")


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
        self.steps += 1
        decay = min(self.decay, (1 + self.steps) / (10 + self.steps))
        for s, p in zip(self.shadow, self.params):
            s.lerp_(p, 1 - decay)

    def state_dict(self) -> dict[str, Tensor]:
        return {**dict(zip(self.names, self.shadow)), "steps": torch.tensor(self.steps)}

    @torch.no_grad()
    def load_state_dict(self, state: dict[str, Tensor]) -> None:
        for name, s in zip(self.names, self.shadow):
            s.copy_(state[name])
        self.steps = int(state["steps"])


class BiLSTMCRF(nn.Module):
    def __init__(self, config: ModelConfig, vocab: Vocab, scheme: Scheme):
        super().__init__()
        self.config = config
        n_words, n_train = len(vocab.words), vocab.n_train_words
        if config.pretrained:
            self.pretrained = nn.Embedding(n_words, config.word_dim, padding_idx=0)
            self.pretrained.weight.requires_grad_(False)
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
        self.crf = ConstrainedCRF(vocab.tags, scheme) if config.crf else None
        if self.crf is None:
            pairs, start, end = transition_penalties(vocab.tags, scheme)
            self.register_buffer("pair_penalty", pairs, persistent=False)
            self.register_buffer("start_penalty", start, persistent=False)
            self.register_buffer("end_penalty", end, persistent=False)

    def word_vectors(self, words: Tensor) -> Tensor:
        if self.pretrained is None:
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

    def emissions(self, batch: Batch, cache: CharFeatureCache | None = None) -> Tensor:
        """Score each tag at each position: (batch, seq_len, num_tags)."""
        features = self.char_features(batch.chars)
        if cache is not None:
            features = cache.extend(features)
        char_features = features[batch.char_index]  # (batch, seq_len, filters)
        parts = [self.word_vectors(batch.words), char_features, self.casing_embedding(batch.casings)]
        if self.config.lexicon_features:
            parts.append(((batch.lexicon.unsqueeze(2) >> self.lexicon_shifts) & 1).to(char_features.dtype))
        x = torch.cat(parts, dim=2)
        x = self._drop(x)
        lengths = batch.lengths
        longest_first = bool((lengths[:-1] >= lengths[1:]).all())
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=longest_first)
        out, _ = self.lstm(packed)
        if not self.training:
            # no dropout: score only the real tokens, then pad the (much narrower) scores;
            # padded positions score 0, which decoding never reads
            scores = out._replace(data=self.projection(out.data))
            return pad_packed_sequence(scores, batch_first=True, total_length=x.shape[1])[0]
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])  # (batch, seq_len, 2*hidden)
        return self.projection(self._drop(out))

    def _drop(self, x: Tensor) -> Tensor:
        """Dropout over (batch, seq_len, features); variational: the same units drop at every position."""
        if not (self.training and self.config.variational and self.config.dropout > 0):
            return self.dropout(x)
        keep = 1.0 - self.config.dropout
        mask = x.new_empty((x.shape[0], 1, x.shape[2])).bernoulli_(keep) / keep
        return x * mask

    def forward(self, batch: Batch, tags: Tensor) -> Tensor:
        """The training loss (what DistributedDataParallel calls); see :meth:`loss`."""
        return self.loss(batch, tags)

    def loss(self, batch: Batch, tags: Tensor) -> Tensor:
        """Mean negative log-likelihood per sentence; ``tags`` is (batch, seq_len), 0 on padding."""
        scores = self.emissions(batch)
        if self.crf is not None:
            return -self.crf(scores, tags, mask=batch.mask, reduction="mean")
        logp = scores.log_softmax(-1).gather(2, tags.unsqueeze(2)).squeeze(2)
        return -(logp * batch.mask).sum() / batch.mask.shape[0]

    def _chain(self, scores: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        if self.crf is not None:
            return scores, self.crf.transitions, self.crf.start_transitions, self.crf.end_transitions
        return scores.log_softmax(-1), self.pair_penalty, self.start_penalty, self.end_penalty

    @torch.inference_mode()
    def predict(self, batch: Batch, with_scores: bool = False, cache: CharFeatureCache | None = None) -> tuple[Tensor, Tensor | None]:
        """Best well-formed tag ids (batch, seq_len) and, if asked, the marginal
        probability of each chosen tag (batch, seq_len). ``cache``: the one the batch was made with."""
        emissions, transitions, start, end = self._chain(self.emissions(batch, cache))
        path = viterbi(emissions, batch.mask, transitions, start, end)
        if not with_scores:
            return path, None
        probs = marginals(emissions, batch.mask, transitions, start, end)
        return path, probs.gather(2, path.unsqueeze(2)).squeeze(2)


def export(model: BiLSTMCRF, vocab: Vocab, scheme: Scheme, average: ParameterAverage | None = None,
           round_rows=None) -> BiLSTMCRF:
    """The model as it is shipped: averaged weights, the correction folded into the
    pretrained table, and that table passed through ``round_rows`` (the storage
    rounding), so what is evaluated is exactly what a checkpoint holds."""
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if average is not None:
        state.update({k: v.detach().clone() for k, v in zip(average.names, average.shadow)})
    config = model.config
    if model.pretrained is not None and model.correction is not None:
        correction = state.pop("correction.weight")
        state["pretrained.weight"][: correction.shape[0]] += correction
        config = replace(config, merged=True)
    if model.pretrained is not None and round_rows is not None:
        state["pretrained.weight"] = round_rows(state["pretrained.weight"])
    shipped = BiLSTMCRF(config, vocab, scheme).to(state["projection.weight"].device)
    shipped.load_state_dict(state)
    return shipped.eval()
