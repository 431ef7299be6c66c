"""Which records to annotate next: the ones the model is least sure of (active learning).

A pool of unlabelled records streams through the model a block at a time; each record
gets an uncertainty, and a heap keeps the ``n`` most uncertain seen so far, so memory
holds ``n`` records however large the pool. Strategies:

- ``entropy``: the mean over the record's tokens of the entropy of each token's tag
  distribution (the CRF's marginals): high where the model hesitates between tags.
- ``total-entropy`` (the default): the same entropies summed (Settles and Craven's total
  token entropy): a long record with much to learn counts for more than a short one;
  measured best of these when the budget is counted in records
  (``benchmarks/bench_active.py``).
- ``sequence``: the negative log-probability of the best tag sequence, divided by the
  number of tokens (least confidence, normalised by length so long records are not
  preferred for being long).
- ``diverse-entropy``: total entropy with diminishing returns within a batch: records
  are chosen one at a time, and each token's entropy counts half as much for every time
  its word (lower-cased, digits as 0) is already in a record chosen, so one batch does
  not spend itself on many records about the same unknown name (chosen among the
  ``DIVERSE_POOL`` times ``n`` most uncertain).
- ``bald``: total token uncertainty where each token's is what ``DROPOUT_SAMPLES``
  passes with dropout on disagree about (Houlsby et al.'s BALD with Gal and
  Ghahramani's Monte Carlo dropout, as Shen et al. and Siddhant and Lipton used it for
  NER): the entropy of the passes' mean tag distribution less their mean entropy, so a
  token every pass finds ambiguous in the same way counts for little. Seeded: the same
  pool, read in the same blocks, scores the same every time (a record's masks depend on
  the records batched with it); it costs ``DROPOUT_SAMPLES`` more passes through the model.
- ``random``: a uniform sample (seeded), the baseline; the pool is not tagged, only the
  records chosen.

``labels`` (the types a user annotates): only these types' doubts count (the others'
tags count as O in the entropies: hesitating between O and a type nobody will annotate
is no reason to annotate), and the pre-annotations hold only these types' entities.

Near-duplicates are skipped: two records whose texts agree once lower-cased, with digits
as 0 and only letters and digits kept ("Shares rose 3%" and "shares rose 5 %") count as
one, the more uncertain kept. Records whose text is in ``exclude`` (those already
annotated) are skipped the same way, as are records without a token.
"""

from __future__ import annotations

import heapq
import random
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from .formats import Annotation, Doc, Joiner, ReadOptions, Record, WriteOptions, make_writer, read_records
from .inference import BLOCK_TOKENS, group_items
from .schemes import labels_of_tags, spans_to_tags
from .tagger import Prediction, Tagger

STRATEGIES = ("entropy", "total-entropy", "diverse-entropy", "bald", "sequence", "random")
DROPOUT_SAMPLES = 8  # bald: passes with dropout on
DIVERSE_POOL = 4  # diverse-entropy chooses among this many times n of the most uncertain records
REPEAT_WEIGHT = 0.5  # ... each token's entropy weighing this much less for each chosen record with its word
_NOT_WORD = re.compile(r"[\W_]+")


def near_duplicate_key(text: str) -> str:
    """What two near-duplicate texts share: lower case, digits as 0, letters and digits only
    (a text of none, only symbols, is its own key)."""
    key = _NOT_WORD.sub(" ", re.sub(r"\d", "0", text.casefold())).strip()
    return key or " ".join(text.split())


def uncertainty(predictions: Sequence[Prediction], strategy: str) -> float:
    """How unsure the model is of a record, from its sentences' predictions (asked with ``uncertainty=True``)."""
    tokens = sum(len(p.tags) for p in predictions)
    if not tokens:
        return 0.0
    if strategy == "entropy":
        return sum(p.entropy or 0.0 for p in predictions) / tokens
    if strategy in ("total-entropy", "diverse-entropy", "bald"):
        return sum(p.entropy or 0.0 for p in predictions)
    if strategy == "sequence":
        return -sum(p.log_prob or 0.0 for p in predictions) / tokens
    raise ValueError(f"expected a strategy of {', '.join(STRATEGIES)}, got {strategy!r}")


@dataclass(frozen=True)
class Selected:
    """A record chosen for annotation, with the model's predictions (one per sentence) and
    its uncertainty (for ``random``: the draw that chose it)."""

    record: Doc
    predictions: list[Prediction]
    uncertainty: float

    def annotations(self) -> list[Annotation]:
        return [Annotation(p.spans, p.scores) for p in self.predictions]

    def with_meta(self, strategy: str, labels: Collection[str] | None = None) -> Doc:
        """The record with its uncertainty in ``meta`` (the field nerpipe's readers keep),
        and the types chosen for (``labels``: what ``nerpipe annotate`` then offers)."""
        record = dict(self.record.record)
        meta = dict(record.get("meta") or {}) if isinstance(record.get("meta", {}), dict) else {"meta": record["meta"]}
        # random draws, not doubts: its key says so (an "uncertainty" would read as the model's)
        meta.update({"strategy": strategy, ("draw" if strategy == "random" else "uncertainty"): round(self.uncertainty, 6)})
        if labels is not None:
            meta["labels"] = list(labels)
        record["meta"] = meta
        return replace(self.record, record=record)


def select(records: Iterable[Record], tagger: Tagger, n: int, strategy: str = "total-entropy", seed: int = 0,
           exclude: Iterable[str] = (), block_tokens: int = BLOCK_TOKENS,
           labels: Collection[str] | None = None) -> list[Selected]:
    """The ``n`` records of ``records`` the model is least sure of, most uncertain first.

    ``exclude``: texts (of records already annotated) whose near-duplicates are skipped.
    ``labels``: the types to be annotated (None: all the model's; only the network's types,
    not those only patterns give, whose doubts it has none of); see the module's doc.
    Raises ValueError for a type the model lacks, and for ``labels`` with ``sequence``
    (the probability of a tag sequence does not fold types together).
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"expected a strategy of {', '.join(STRATEGIES)}, got {strategy!r}")
    if n < 1:
        raise ValueError(f"expected n >= 1, got {n}")
    if labels is not None:
        if isinstance(labels, str) or not labels:
            raise ValueError(f"labels: expected a collection of entity types, got {labels!r}")
        if strategy == "sequence":
            raise ValueError("labels: the sequence strategy counts every type; use an entropy strategy")
        unknown = sorted(set(labels) - set(labels_of_tags(tagger.vocab.tags)))
        if unknown:
            raise ValueError(f"labels: the model has no type {', '.join(unknown)} "
                             f"(it has {', '.join(labels_of_tags(tagger.vocab.tags))})")
        tagger = replace(tagger, uncertain_labels=frozenset(labels))  # a tagger of its own, the caller's left alone
        return [replace(item, predictions=[_only(p, labels, tagger) for p in item.predictions])
                for item in select(records, tagger, n, strategy, seed, exclude, block_tokens)]
    if strategy == "bald":
        tagger = replace(tagger, dropout_samples=DROPOUT_SAMPLES)
    skip = {near_duplicate_key(text) for text in exclude}
    heap = _Heap(n * DIVERSE_POOL if strategy == "diverse-entropy" else n)
    docs = (doc for doc in (r.as_doc() for r in records) if doc is not None and doc.tokens)
    if strategy == "random":
        rng = random.Random(seed)
        for doc in docs:
            key = near_duplicate_key(doc.text)
            if key not in skip:
                heap.offer(rng.random(), key, doc, [])
        chosen = heap.sorted()
        predictions = iter(tagger.predict([s for _, doc, _ in chosen for s in doc.sentences], scores=True))
        return [Selected(doc, [next(predictions) for _ in doc.sentences], value) for value, doc, _ in chosen]
    for block in group_items(docs, lambda doc: doc.sentences, block_tokens):
        predictions = iter(tagger.predict([s for doc in block for s in doc.sentences], uncertainty=True))
        for doc in block:
            own = [next(predictions) for _ in doc.sentences]
            key = near_duplicate_key(doc.text)
            if key not in skip:
                heap.offer(uncertainty(own, strategy), key, doc, own)
    if strategy == "diverse-entropy":
        return diverse(heap.sorted(), n)
    return [Selected(doc, own, value) for value, doc, own in heap.sorted()]


def _only(prediction: Prediction, labels: Collection[str], tagger: Tagger) -> Prediction:
    """``prediction`` with only the entities of ``labels``."""
    kept = [k for k, (_, _, label) in enumerate(prediction.spans) if label in labels]
    spans = [prediction.spans[k] for k in kept]
    return replace(prediction, spans=spans, tags=spans_to_tags(spans, len(prediction.tags), tagger.scheme),
                   scores=[prediction.scores[k] for k in kept] if prediction.scores is not None else None,
                   sources=[prediction.sources[k] for k in kept] if prediction.sources is not None else None)


def word_type(token: str) -> str:
    return re.sub(r"\d", "0", token.lower())


def diverse(candidates: list[tuple[float, Doc, list[Prediction]]], n: int) -> list[Selected]:
    """``n`` of ``candidates`` chosen greedily by total token entropy, each token's
    entropy weighing :data:`REPEAT_WEIGHT` times less for every record already chosen
    that has its word. (The value of a record only falls as others are chosen, so a
    lazy greedy search is exact.) The uncertainty given is the value when chosen."""
    def value(doc: Doc, own: list[Prediction], seen: dict[str, int]) -> float:
        total = 0.0
        for sentence, p in zip(doc.sentences, own):
            for token, e in zip(sentence, p.token_entropy or ()):
                total += e * REPEAT_WEIGHT ** seen.get(word_type(token), 0)
        return total

    seen: dict[str, int] = {}
    queue = [(-v, k, 0) for k, (v, _, _) in enumerate(candidates)]  # (-value, index, len(chosen) when valued)
    heapq.heapify(queue)
    chosen: list[Selected] = []
    while queue and len(chosen) < n:
        negative, k, when = heapq.heappop(queue)
        _, doc, own = candidates[k]
        if when != len(chosen):  # valued before the last choice: value again, and back into the queue
            heapq.heappush(queue, (-value(doc, own, seen), k, len(chosen)))
            continue
        chosen.append(Selected(doc, own, -negative))
        for word in {word_type(t) for sentence in doc.sentences for t in sentence}:
            seen[word] = seen.get(word, 0) + 1
    return chosen


class _Heap:
    """The ``n`` entries of highest value offered, one per key (the highest of its offers)."""

    def __init__(self, n: int):
        self.n = n
        self.entries: list[tuple[float, int, str]] = []  # a min-heap of (value, order, key): the lowest goes first
        self.best: dict[str, tuple[float, int, Doc, list[Prediction]]] = {}  # key -> its live entry
        self.count = 0

    def offer(self, value: float, key: str, doc: Doc, predictions: list[Prediction]) -> None:
        kept = self.best.get(key)
        if kept is not None and kept[0] >= value:
            return
        if kept is None and len(self.best) >= self.n and value <= self._lowest():
            return
        self.count += 1
        self.best[key] = (value, self.count, doc, predictions)
        heapq.heappush(self.entries, (value, self.count, key))
        while len(self.best) > self.n:
            self._pop()

    def _lowest(self) -> float:
        self._drop_stale()
        return self.entries[0][0]

    def _pop(self) -> None:
        self._drop_stale()
        _, _, key = heapq.heappop(self.entries)
        del self.best[key]

    def _drop_stale(self) -> None:
        while self.entries and self.best.get(self.entries[0][2], (None, None))[1] != self.entries[0][1]:
            heapq.heappop(self.entries)

    def sorted(self) -> list[tuple[float, Doc, list[Prediction]]]:
        """Most valuable first; ties in the order offered."""
        return [(v, doc, own) for v, order, doc, own in sorted(self.best.values(), key=lambda e: (-e[0], e[1]))]


def texts_of(records: Iterable[Record]) -> Iterator[str]:
    """The texts of records (for ``exclude``)."""
    for record in records:
        doc = record.as_doc()
        if doc is not None:
            yield doc.text


def select_files(paths: Sequence[str], tagger: Tagger, n: int, output_format: str = "jsonl", strategy: str = "total-entropy",
                 seed: int = 0, exclude: Sequence[str] = (), input_format: str = "auto",
                 read: ReadOptions | None = None, write: WriteOptions | None = None,
                 on_note: Callable[[str], None] | None = None, labels: Collection[str] | None = None,
                 on_format: Callable[[str, str, str], None] | None = None) -> Iterator[str]:
    """``select`` over input files, written in ``output_format``: the chosen records with
    the model's predictions as their entities (pre-annotations) and their uncertainty
    in ``meta``, most uncertain first. ``on_format(name, format, why)`` is told the
    format each input is read as."""
    import os

    read = read or ReadOptions()
    excluded = [text for path in exclude if os.path.exists(path) for text in texts_of(read_records(path, "auto", read)[1])]
    if on_note is not None:
        for path in exclude:
            if not os.path.exists(path):
                on_note(f"--exclude {path}: no such file yet, so nothing of it is excluded")
    formats: set[str] = set()  # what the pool was read as

    def records() -> Iterator[Record]:
        for path in paths:
            fmt, found, _ = read_records(path, input_format, read, on_format)
            formats.add(fmt)
            yield from found

    chosen = select(records(), tagger, n, strategy, seed, excluded, labels=labels)
    if on_note is not None and len(chosen) < n:
        said = (f"{len(chosen)} record{'' if len(chosen) == 1 else 's'} chosen: the pool has no more "
                "(near-duplicates and excluded ones left out)")
        if "text" in formats and any("\n" in item.record.text for item in chosen):  # a paragraph of several lines
            said += "; plain text is a record per paragraph (between blank lines): for a record per line, give -i lines"
        on_note(said)
    writer = make_writer(output_format, write or WriteOptions(scheme=tagger.scheme))
    join = Joiner(writer.separator)
    yield writer.header()
    for item in chosen:
        yield join([writer.write(item.with_meta(strategy, labels), item.annotations())])
    yield join([writer.close()])
    yield writer.footer()
