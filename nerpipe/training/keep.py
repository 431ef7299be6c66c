"""Adapting a trained model without forgetting what it knew (``--init-model``).

Two means, each an option of ``train`` measured with ``benchmarks/bench_adapt.py``:

- ``--keep-types`` (pseudo-labels): types the base model knows but the new data never
  annotates (WikiANN has no MISC) are, in the new data, the base model's predictions
  of them, where no gold entity is. Without them every such entity is taught as O and
  the type is unlearned. Records a person decided on (``nerpipe annotate``'s answer)
  keep what they decided: an entity removed there was removed on purpose; only types
  the person was not offered (annotate's ``_labels``) are added there.
- ``--l2sp ALPHA``: each step's loss gains ALPHA times the squared distance of the
  weights from where they started (L2-SP, Li et al. 2018), so the new data moves the
  model only as far as it must.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from ..schemes import Scheme, spans_to_tags, tags_to_spans
from .corpus import Corpus, GoldSentence, labels_of


def pseudo_labels(corpus: Corpus, base, scheme: Scheme) -> tuple[Corpus, dict[str, int]]:
    """``corpus`` with the base model's (a :class:`~nerpipe.tagger.Tagger`) entities of the
    types the corpus never annotates added where it has no entity, tags in ``scheme``;
    and how many were added of each type."""
    missing = set(base.labels) - labels_of(corpus)
    added: dict[str, int] = {label: 0 for label in sorted(missing)}
    if not missing:
        return corpus, added
    predictions = base.predict([s.tokens for s in corpus.sentences])
    sentences = []
    for sentence, prediction in zip(corpus.sentences, predictions):
        # a person who decided on it (nerpipe annotate) removed what they removed on purpose, but
        # only of the types they were offered: the others they were never asked about
        kept = missing if not sentence.reviewed else missing - sentence.offered if sentence.offered is not None else set()
        gold = tags_to_spans(sentence.tags)
        taken = {i for start, end, _ in gold for i in range(start, end)}
        extra = [(s, e, label) for s, e, label in prediction.spans
                 if label in kept and not taken.intersection(range(s, e))]
        for *_, label in extra:
            added[label] += 1
        if extra:
            tags = spans_to_tags(sorted(gold + extra), len(sentence.tokens), scheme)
            sentence = replace(sentence, tags=tuple(tags))
        sentences.append(sentence)
    return Corpus.of(sentences, corpus.paths, corpus.declined), {label: n for label, n in added.items() if n}


class Anchor:
    """L2-SP: ``alpha`` times the summed squared distance of the trainable weights from
    their values when the anchor was taken (the base model, grown to the new data).
    Every layer is held: leaving the output layer free (projection and CRF) measured
    worse on both domains (WikiANN dev 69.19 and CoNLL-2003 valid 71.95 at alpha 0.01,
    against 67.51 and 87.59 holding it)."""

    def __init__(self, model: torch.nn.Module, alpha: float):
        self.alpha = alpha
        self.pairs = [(p, p.detach().clone()) for p in model.parameters() if p.requires_grad]

    def penalty(self) -> torch.Tensor:
        return self.alpha * torch.stack([((p - start) ** 2).sum() for p, start in self.pairs]).sum()


__all__ = ["Anchor", "GoldSentence", "pseudo_labels"]
