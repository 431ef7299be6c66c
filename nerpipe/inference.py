"""Streaming inference: tag sentences in batches of similar length, in input order.

Input is read lazily in blocks of a few thousand tokens; each block is sorted by
length into batches, tagged, and written back in input order before the next block
is read, so memory stays bounded and an interactive pipeline sees output promptly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import torch

from .checkpoints import LoadedModel
from .model import BiLSTMCRF, make_batch
from .schemes import Scheme, spans_to_tags, tags_to_spans
from .vocab import Vocab

Tags = list[str]


@dataclass
class Prediction:
    tags: list[str]  # in the output scheme
    spans: list[tuple[int, int, str]]
    scores: list[float] | None  # one per span: the lowest marginal probability of its tags


def _decode_batch(model: BiLSTMCRF, vocab: Vocab, sentences: Sequence[Sequence[str]], scheme: Scheme,
                  device: torch.device, with_scores: bool) -> list[Prediction]:
    batch = make_batch([list(s) for s in sentences], vocab).to(device)
    path, probs = model.predict(batch, with_scores=with_scores)
    path = path.cpu().tolist()
    probs = probs.cpu().tolist() if probs is not None else None
    tags = vocab.tags
    out = []
    for row, tokens in enumerate(sentences):
        n = len(tokens)
        spans = tags_to_spans([tags[k] for k in path[row][:n]])
        scores = [min(probs[row][s:e]) for s, e, _ in spans] if probs is not None else None
        out.append(Prediction(spans_to_tags(spans, n, scheme), spans, scores))
    return out


def predict(model: BiLSTMCRF, vocab: Vocab, sentences: Sequence[Sequence[str]], scheme: Scheme,
            device: torch.device, batch_size: int = 256, with_scores: bool = False) -> list[Prediction]:
    """Predictions for ``sentences`` (lists of tokens; empty ones allowed), in their order."""
    results: list[Prediction | None] = [None] * len(sentences)
    order = sorted((i for i, s in enumerate(sentences) if s), key=lambda i: len(sentences[i]))
    for i, s in enumerate(sentences):
        if not s:
            results[i] = Prediction([], [], [] if with_scores else None)
    for k in range(0, len(order), batch_size):
        chunk = order[k : k + batch_size]
        for i, pred in zip(chunk, _decode_batch(model, vocab, [sentences[i] for i in chunk], scheme, device, with_scores)):
            results[i] = pred
    return results  # type: ignore[return-value]


def predict_tags(model: BiLSTMCRF, vocab: Vocab, sentences: Sequence[Sequence[str]], scheme: Scheme,
                 device: torch.device, batch_size: int = 256) -> list[list[str]]:
    return [p.tags for p in predict(model, vocab, sentences, scheme, device, batch_size)]


class Tagger:
    """A loaded model that tags streams of items, each holding one or more sentences.

    ``sentences_of(item)`` gives an item's token lists; results come back as
    ``(item, predictions)`` in input order, a block at a time.
    """

    def __init__(self, loaded: LoadedModel, batch_size: int = 256, block_tokens: int = 20_000):
        self.loaded, self.batch_size, self.block_tokens = loaded, batch_size, block_tokens

    def predict(self, sentences: Sequence[Sequence[str]], with_scores: bool = False) -> list[Prediction]:
        m = self.loaded
        return predict(m.model, m.vocab, sentences, m.scheme, m.device, self.batch_size, with_scores)

    def stream(self, items: Iterable, sentences_of, with_scores: bool = False) -> Iterator[tuple[object, list[Prediction]]]:
        block: list = []
        sentences: list[Sequence[str]] = []
        counts: list[int] = []
        tokens = 0
        for item in items:
            own = sentences_of(item)
            block.append(item)
            counts.append(len(own))
            sentences.extend(own)
            tokens += sum(len(s) for s in own)
            if tokens >= self.block_tokens:
                yield from self._flush(block, sentences, counts, with_scores)
                block, sentences, counts, tokens = [], [], [], 0
        if block:
            yield from self._flush(block, sentences, counts, with_scores)

    def _flush(self, block, sentences, counts, with_scores):
        predictions = self.predict(sentences, with_scores) if sentences else []
        k = 0
        for item, n in zip(block, counts):
            yield item, predictions[k : k + n]
            k += n
