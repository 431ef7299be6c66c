"""The model object: a trained network with its vocabulary, tag scheme and device.

:func:`nerpipe.load_model` returns a :class:`Tagger`; everything that tags (the
``tag`` command, worker processes, dev evaluation while training, the library) goes
through its two calls::

    tagger = nerpipe.load_model()                       # the embedded English model
    tagger.predict([["Angela", "Merkel", "visited", "Paris"]])[0].tags
    # ['B-PER', 'I-PER', 'O', 'B-LOC']
    tagger.predict_text("Angela Merkel visited Paris.")
    # [Entity(start=0, end=13, label='PER', score=0.99.., text='Angela Merkel'), ...]
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import repeat
from typing import NamedTuple

import numpy as np
import torch

from .batching import CharFeatureCache, make_batch
from .context import ContextOptions, document_names, name_hints, name_starts
from .decoding import Hint, hint_bias
from .decoding import token_entropy as tag_entropy
from .formats.source import BOM
from .lexicon import Lexicon
from .model import BiLSTMCRF
from .patterns import Match, Patterns
from .recase import CASELESS_READINGS, caseless_document, recase
from .recase import caseless as caseless_sentence  # (predict's flags are called caseless)
from .schemes import Scheme, labels_of_tags, parts_to_spans, spans_to_tags, split_tag
from .vocab import Vocab


@dataclass
class Prediction:
    """One sentence's prediction."""

    tags: list[str]  # one per token, in the tagger's output scheme
    spans: list[tuple[int, int, str]]  # (first token, end token exclusive, label)
    scores: list[float] | None  # one per span (the lowest marginal probability of its tags), when asked for
    entropy: float | None = None  # the sum over tokens of each one's tag entropy (nats), when asked for
    log_prob: float | None = None  # log P(these tags | the sentence), when asked for
    sources: list[str] | None = None  # per span: "pattern" where a pattern put it (None: all the model's)
    token_entropy: list[float] | None = None  # each token's tag entropy (nats), with ``entropy``


DEFAULT_CONTEXT = ContextOptions()
DROPOUT_SEED = 0  # Monte Carlo dropout's masks (dropout_samples): the same for every batch


class Entity(NamedTuple):
    """An entity found in a text: ``text[start:end]`` is it."""

    start: int
    end: int
    label: str
    score: float
    text: str


@dataclass(eq=False)
class Tagger:
    """A trained tagger on a device. ``scheme``: the scheme tags are written in;
    ``train_scheme``: the one the network decodes in; ``meta``: what the checkpoint says
    of its training."""

    network: BiLSTMCRF
    vocab: Vocab
    scheme: Scheme
    train_scheme: Scheme = Scheme.IOBES
    meta: dict = field(default_factory=dict)
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))  # where the network is
    batch_size: int = 256  # sentences per network call
    # a sentence longer than this is tagged in windows of it, overlapping by ``overlap`` tokens
    window: int = 500
    overlap: int = 64
    lexicon: Lexicon | None = None  # the gazetteer a --lexicon model reads its features from
    char_cache: bool = True  # keep the character features of the tokens seen (they depend on spelling alone)
    # names the user knows, forced inside the decoder (see nerpipe.patterns); where a match overlaps a span
    # the model is confident of (score >= CONFIDENT), ``prefer`` says which wins: "pattern" or "model"
    patterns: Patterns | None = None
    prefer: str = "pattern"
    # how predict_documents (and so tag, predict_texts) reads a sentence in the light of its document; None: alone
    context: ContextOptions | None = DEFAULT_CONTEXT
    # text whose casing says nothing (all lower, all upper, every word capitalised: recase.caseless) is read
    # lower-cased and upper-cased and the two readings' scores averaged, so it is tagged alike in any casing
    # (chosen on CoNLL-2003 valid: +0.15 to +0.21 F1 in each such casing, cased text unchanged). None: when
    # the model was trained in both casings (a model that never saw them reads them far worse than as written)
    read_caseless: bool | None = None
    # the entity types whose doubts count in ``uncertainty`` (the types a user annotates): the other types'
    # tags count as O there, so hesitating between O and a type nobody will annotate is no doubt. None: all
    uncertain_labels: frozenset[str] | None = None
    # ``uncertainty`` as the mutual information between each token's tag and the network's weights (BALD),
    # over this many passes with dropout on (Monte Carlo dropout); 0: the entropy of one pass without
    dropout_samples: int = 0
    cache: CharFeatureCache | None = field(init=False, repr=False)  # this network's, never shared
    _fold: torch.Tensor | None = field(init=False, repr=False)  # each tag's id, or O's for those uncertain_labels folds
    _lock: threading.Lock = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.device = torch.device(self.device)
        wanted = self.network.config.lexicon_features
        if wanted != (self.lexicon.features if self.lexicon is not None else 0):
            raise ValueError(f"the network reads {wanted} lexicon features per token; "
                             f"expected a lexicon with as many, got {self.lexicon!r:.60}")
        if self.prefer not in PREFER:
            raise ValueError(f"prefer: expected one of {', '.join(PREFER)}, got {self.prefer!r}")
        if self.read_caseless is None:
            self.read_caseless = trained_caseless(self.meta)
        self._fold = None
        if self.uncertain_labels is not None:
            self.uncertain_labels = frozenset(self.uncertain_labels)
            unknown = sorted(self.uncertain_labels - set(labels_of_tags(self.vocab.tags)))
            if unknown:
                raise ValueError(f"uncertain_labels: the model has no type {', '.join(unknown)} "
                                 f"(it has {', '.join(labels_of_tags(self.vocab.tags))})")
            outside = self.vocab.tags.index("O")
            self._fold = torch.tensor([k if not label or label in self.uncertain_labels else outside
                                       for k, (_, label) in enumerate(map(split_tag, self.vocab.tags))])
        self.cache = CharFeatureCache() if self.char_cache else None
        self._lock = threading.Lock()

    def __setattr__(self, name: str, value) -> None:
        if name == "patterns":  # a path or dicts, as load_model takes them, also when set later
            value = Patterns.coerce(value)
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:  # (the dataclass's own would print every word of the vocabulary)
        return (f"Tagger(labels={list(self.labels)}, scheme={self.scheme.value}, device={self.device}, "
                f"words={len(self.vocab.words):,}, batch_size={self.batch_size}"
                f"{f', patterns={len(self.patterns)}' if self.patterns is not None else ''})")

    def __reduce_ex__(self, protocol):
        raise TypeError("a Tagger cannot be pickled (nor copied with copy): load the model where it is needed, e.g. in "
                        "each worker process with nerpipe.load_model(path), or share one by reference (a global set "
                        "before a fork); dataclasses.replace(tagger) makes another tagger on the same network")

    def to(self, device: torch.device | str) -> Tagger:
        """Move the network to ``device`` (a name as ``load_model`` takes it, ``auto`` too; its
        cached features go: they were on the old one)."""
        from .device import as_device

        device = as_device(device)
        self.network.to(device)
        self.device = device
        if self.cache is not None:
            self.cache.clear()
        return self

    @property
    def _in_flight(self) -> int:
        """Batches launched and not yet read back while the next is made: one on a GPU (it
        computes while the host makes spans and the next batch), none on the CPU (which
        does both itself, and would only hold one more batch in memory)."""
        return 1 if self.device.type == "cuda" else 0

    @property
    def labels(self) -> tuple[str, ...]:
        """The entity types the model predicts, in its tag order, then those only its patterns give."""
        own = labels_of_tags(self.vocab.tags)
        return (*own, *sorted((self.patterns.labels if self.patterns is not None else set()) - set(own)))

    def predict(self, sentences: Sequence[Sequence[str]], scores: bool = False, uncertainty: bool = False,
                hints: Sequence[Sequence[Hint]] | None = None, caseless: Sequence[bool] | None = None) -> list[Prediction]:
        """Predictions for ``sentences`` (each a list of token strings; empty ones allowed), in order.

        ``uncertainty``: also how unsure the model is of each sentence (``entropy``,
        ``log_prob``; :mod:`nerpipe.selection` ranks by them); scores come with it.
        ``hints``: per sentence, ``(start, end, label, bonus)`` spans the decoder leans
        towards (see :func:`nerpipe.decoding.hint_bias`; :meth:`predict_documents` makes them).
        ``caseless``: per sentence, whether to read it as text without case information
        (lower-cased and upper-cased, their scores averaged), as given, whatever the model;
        by default each sentence is judged by its own casing where ``read_caseless`` (a model
        trained in both casings), and :meth:`predict_documents` judges a document as a whole.

        Raises TypeError when ``sentences`` is not a list of token lists (a string, or a
        list of strings where a list of lists belongs) and ValueError for an empty token.
        Safe to call from several threads (they take turns).
        """
        if isinstance(sentences, np.ndarray):
            sentences = sentences.tolist()
        sentences = [s.tolist() if isinstance(s, np.ndarray) else s for s in _check_container(sentences)]
        _check_sentences(sentences)
        if hints is not None and len(hints) != len(sentences):
            raise ValueError(f"expected one list of hints per sentence ({len(sentences)}), got {len(hints)}")
        if isinstance(caseless, np.ndarray):
            caseless = caseless.tolist()
        if caseless is not None:  # the caller's say, whatever the model's default
            if isinstance(caseless, (bool, str)) or not isinstance(caseless, Sequence):
                raise TypeError(f"caseless: expected one flag per sentence (a list of bools), got {type(caseless).__name__}")
            if len(caseless) != len(sentences):
                raise ValueError(f"expected one caseless flag per sentence ({len(sentences)}), got {len(caseless)}")
            caseless = [bool(flag) for flag in caseless]
        elif not self.read_caseless:
            caseless = [False] * len(sentences)
        else:
            caseless = [caseless_sentence(s) is True for s in sentences]
        # patterns match whole sentences, however they are cut into windows
        matches = [self.patterns.match(s) for s in sentences] if self.patterns is not None else None
        if any(len(s) > self.window for s in sentences):
            return self._predict_windows(sentences, scores, uncertainty, hints, matches, caseless)
        return self._predict(sentences, scores, uncertainty, hints, matches, caseless)

    def _predict(self, sentences: Sequence[Sequence[str]], scores: bool, uncertainty: bool,
                 hints: Sequence[Sequence[Hint]] | None, matches: Sequence[list[Match]] | None,
                 caseless: Sequence[bool]) -> list[Prediction]:
        """:meth:`predict` of sentences no longer than ``window``, their matches found."""
        results: list[Prediction | None] = [None] * len(sentences)
        # longest first: packing a batch already in that order skips a sort and an unsort
        order = sorted((i for i, s in enumerate(sentences) if s), key=lambda i: len(sentences[i]), reverse=True)
        for i, s in enumerate(sentences):
            if not s:
                results[i] = Prediction([], [], [] if scores or uncertainty else None, 0.0 if uncertainty else None,
                                        0.0 if uncertainty else None, [] if self.patterns is not None else None,
                                        [] if uncertainty else None)
        # on a GPU the host reads batch k back and makes its spans while batch k + 1 runs there
        queued: list[tuple[list[int], _Launched]] = []
        for k in range(0, len(order), self.batch_size):
            chunk = order[k : k + self.batch_size]
            own = [hints[i] for i in chunk] if hints is not None else None
            own_matches = [matches[i] for i in chunk] if matches is not None else None
            queued.append((chunk, self._launch([sentences[i] for i in chunk], scores, uncertainty, own, own_matches,
                                               [caseless[i] for i in chunk])))
            while len(queued) > self._in_flight or (queued and k + self.batch_size >= len(order)):
                done, launched = queued.pop(0)
                for i, pred in zip(done, self._finish(launched)):
                    results[i] = pred
        return results  # type: ignore[return-value]

    def _predict_windows(self, sentences: list, scores: bool, uncertainty: bool,
                         hints: Sequence[Sequence[Hint]] | None, matches: Sequence[list[Match]] | None,
                         caseless: Sequence[bool]) -> list[Prediction]:
        """:meth:`predict` where some sentences are longer than ``window`` tokens: each is
        tagged in windows that overlap by ``overlap`` tokens, and stitched (see :func:`windows`),
        so memory stays bounded and no token is dropped."""
        pieces: list[Sequence[str]] = []
        piece_hints: list[list[Hint]] = []
        piece_matches: list[list[Match]] = []
        piece_caseless: list[bool] = []
        plan = []  # per sentence: its windows' (start, keep from, keep to, index in pieces)
        for k, sentence in enumerate(sentences):
            own = []
            for start, keep_from, keep_to in windows(len(sentence), self.window, self.overlap):
                own.append((start, keep_from, keep_to, len(pieces)))
                pieces.append(sentence[start : start + self.window])
                piece_caseless.append(caseless[k])
                stop = start + len(pieces[-1])
                piece_hints.append([(s - start, e - start, label, bonus) for s, e, label, bonus in (hints[k] if hints else ())
                                    if start <= s and e <= stop])
                # a match the window holds whole is forced there; one it cuts is put in after stitching
                piece_matches.append([m._replace(start=m.start - start, end=m.end - start)
                                      for m in (matches[k] if matches else ()) if start <= m.start and m.end <= stop])
            plan.append(own)
        # windows go through the network about 16,000 tokens at a time (a batch of sentences is far fewer)
        per_call = max(1, 16_384 // self.window)
        predicted = [p for k in range(0, len(pieces), per_call)
                     for p in self._predict(pieces[k : k + per_call], scores, uncertainty,
                                            piece_hints[k : k + per_call] if hints is not None else None,
                                            piece_matches[k : k + per_call] if matches is not None else None,
                                            piece_caseless[k : k + per_call])]
        out = []
        for row, (sentence, own) in enumerate(zip(sentences, plan)):
            if len(own) == 1:
                out.append(predicted[own[0][3]])
                continue
            spans: list[tuple[int, int, str]] = []
            span_scores: list[float] = []
            sources: list[str] = []
            entropy = log_prob = 0.0
            token_entropy: list[float] = []
            for start, keep_from, keep_to, k in own:
                piece = predicted[k]
                token_entropy += (piece.token_entropy or [])[keep_from - start : keep_to - start]
                for j, (s, e, label) in enumerate(piece.spans):
                    first, end = start + s, start + e
                    # a span belongs to the window whose kept region holds its first token, unless the
                    # window before already has one running into it
                    if keep_from <= first < keep_to and (not spans or first >= spans[-1][1]):
                        spans.append((first, end, label))
                        if piece.scores is not None:
                            span_scores.append(piece.scores[j])
                        sources.append(piece.sources[j] if piece.sources is not None else "model")
                share = (keep_to - keep_from) / max(1, len(pieces[k]))
                entropy += (piece.entropy or 0.0) * share
                log_prob += (piece.log_prob or 0.0) * share
            if uncertainty:  # each token's own entropy, from the window that keeps it
                entropy = sum(token_entropy)
            if matches is not None and matches[row]:
                spans, span_scores, sources = _overlaid(spans, span_scores if scores or uncertainty else None, sources,
                                                        matches[row])
            out.append(Prediction(spans_to_tags(spans, len(sentence), self.scheme), spans,
                                  span_scores if scores or uncertainty else None,
                                  entropy if uncertainty else None, log_prob if uncertainty else None,
                                  sources if self.patterns is not None else None, token_entropy if uncertainty else None))
        return out

    def predict_documents(self, documents: Sequence[Sequence[Sequence[str]]], scores: bool = False) -> list[list[Prediction]]:
        """:meth:`predict` for the sentences of each document, reading each in the light of
        the whole document (see :mod:`nerpipe.context`): the sentences where a name the
        model was sure of elsewhere in the document is read otherwise are decoded again
        with the document's type favoured. With ``context`` None: each sentence alone."""
        context = self.context
        documents = _check_documents(documents)
        flat = [s for doc in documents for s in doc]
        caseless = [flag for doc in documents for flag in repeat(bool(self.read_caseless) and caseless_document(doc), len(doc))]
        first = self.predict(flat, scores=scores or context is not None, caseless=caseless)
        if context is None:
            return _regroup(first, documents)
        again, again_hints = [], []
        k = 0
        for doc in documents:
            own = first[k : k + len(doc)]
            # the model's own entities are the evidence: a pattern's say is the user's, already forced where it matches
            evidence = [[(span, score) for span, score, source in zip(p.spans, p.scores or [], p.sources or repeat("model"))
                         if source == "model"] for p in own]
            names = document_names(doc, [[span for span, _ in e] for e in evidence], [[sc for _, sc in e] for e in evidence],
                                   context)
            starts = name_starts(names)
            for j, tokens in enumerate(doc):
                # a name inside a longer entity the model found ("France" in "Air France") is no evidence there
                found = [h for h in name_hints(tokens, names, context.bonus, starts)
                         if not any(ps < h[1] and h[0] < pe and (ps < h[0] or pe > h[1]) for ps, pe, _ in own[j].spans)]
                if any((s, e, label) not in own[j].spans for s, e, label, _ in found):
                    again.append(k + j)
                    again_hints.append(found)
            k += len(doc)
        if again:
            for i, pred in zip(again, self.predict([flat[i] for i in again], scores=True, hints=again_hints,
                                                   caseless=[caseless[i] for i in again])):
                first[i] = pred
        if not scores:  # (context reads the scores; the caller did not ask for them)
            first = [replace(p, scores=None) for p in first]
        return _regroup(first, documents)

    def predict_text(self, text: str) -> list[Entity]:
        """The entities of plain ``text``, read as ``nerpipe tag -i text`` reads it (paragraphs
        at blank lines, then sentences and tokens), with character offsets into ``text`` and
        a confidence each."""

        if not isinstance(text, str):
            raise TypeError(f"predict_text() takes a string, got {type(text).__name__}; for token lists use predict()")
        return self.predict_texts([text])[0]

    def predict_texts(self, texts: Sequence[str]) -> list[list[Entity]]:
        """:meth:`predict_text` of each of ``texts``, their sentences tagged in batches together."""
        from .formats import Annotation, parse_paragraphs
        from .formats.doc import annotation_spans

        if isinstance(texts, (str, bytes)):
            raise TypeError(f"predict_texts() takes a list of strings; got the string {texts[:40]!r} (one text: predict_text())")
        texts = list(texts)  # (a generator is read once: its texts would be gone before the results are put together)
        per_text = []
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"predict_texts() takes strings, got {type(text).__name__}")
            lines = re.findall(r"[^\n]*\n|[^\n]+$", text)  # as a file is read: lines end at \n only
            per_text.append(list(parse_paragraphs(enumerate(lines, 1), "<text>")))
        # a text is a document
        per_document = self.predict_documents([[s for doc in docs for s in doc.sentences] for docs in per_text], scores=True)
        predictions = iter([p for own in per_document for p in own])
        results = []
        for text, docs in zip(texts, per_text):
            out = []
            for doc in docs:
                base = doc.record["meta"]["offset"] + (1 if text.startswith(BOM) else 0)
                own = [Annotation(p.spans, p.scores) for p in (next(predictions) for _ in doc.sentences)]
                for (first, end, label), score in zip(*annotation_spans(doc, own)):
                    assert score is not None  # asked for above
                    start, stop = base + doc.tokens[first][0], base + doc.tokens[end - 1][1]
                    out.append(Entity(start, stop, label, score, text[start:stop]))
            results.append(out)
        return results

    def _read_caseless(self, chain: tuple, sentences: list[Sequence[str]], rows: list[int],
                       cache: CharFeatureCache | None, generator: torch.Generator | None = None) -> tuple:
        """``chain`` with the emissions of ``rows`` (whose ``sentences`` these are, read in the
        first of CASELESS_READINGS) averaged with their readings in the others."""
        emissions = chain[0].clone()
        total = emissions[rows]
        for reading in CASELESS_READINGS[1:]:
            other = [recase(s, reading) for s in sentences]
            if cache is not None:
                cache.make_room(sum(map(len, other)))
            batch = make_batch(other, self.vocab, cache=cache, lexicon=self.lexicon).to(self.device)
            own = self.network.chain(batch, cache=cache, generator=generator)[0]
            total[:, : own.shape[1]] += own
        emissions[rows] = total / len(CASELESS_READINGS)
        return (emissions, *chain[1:])

    def _chain(self, sentences: Sequence[Sequence[str]], readings: list, rows: list[int],
               cache: CharFeatureCache | None, generator: torch.Generator | None = None) -> tuple:
        """The batch of ``readings`` (``sentences`` as read, caseless ``rows`` in their first
        reading) and its chain, the caseless rows' emissions averaged over their readings;
        ``generator``: with Monte Carlo dropout (:meth:`BiLSTMCRF.emissions`)."""
        batch = make_batch(readings, self.vocab, cache=cache, lexicon=self.lexicon).to(self.device)
        chain = self.network.chain(batch, cache=cache, generator=generator)
        if rows:
            chain = self._read_caseless(chain, [sentences[i] for i in rows], rows, cache, generator)
        return batch, chain

    def _mutual_information(self, sentences: Sequence[Sequence[str]], readings: list, rows: list[int],
                            mask: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        """Each token's BALD score (batch, seq_len): the entropy of its tag distribution
        averaged over ``dropout_samples`` passes with dropout on, less the passes' mean
        entropy (what the passes disagree on, not what each is unsure of). The masks come
        from a generator of their own, seeded: the same sentences in the same batch score
        the same every time, and neither torch's global random state nor the network's mode
        (which other threads may be using) is touched."""
        generator = torch.Generator(device=self.device)
        generator.manual_seed(DROPOUT_SEED)
        total = entropy = None
        for _ in range(self.dropout_samples):
            _, chain = self._chain(sentences, readings, rows, None, generator)
            probs = self.network.probabilities(chain, mask, bias=bias).double()
            own = tag_entropy(probs, mask, self._fold)
            total = probs if total is None else total + probs
            entropy = own if entropy is None else entropy + own
        assert total is not None and entropy is not None
        n = self.dropout_samples
        return (tag_entropy(total / n, mask, self._fold) - entropy / n).clamp_min(0.0).float()

    def _launch(self, sentences: Sequence[Sequence[str]], scores: bool, uncertainty: bool = False,
                hints: Sequence[Sequence[Hint]] | None = None, matches: Sequence[list[Match]] | None = None,
                caseless: Sequence[bool] | None = None) -> _Launched:
        """One batch through the network and the decoder, its results on their way to the host
        (on a GPU the host goes on while they are computed; :meth:`_finish` reads them)."""
        # a caseless sentence is read in each of CASELESS_READINGS: the first here, the others below
        rows = [i for i, flag in enumerate(caseless or ()) if flag]
        readings = [recase(s, CASELESS_READINGS[0]) if caseless and caseless[i] else s for i, s in enumerate(sentences)]
        with self._lock:  # the cache's rows are reserved by make_batch and filled by the network
            if self.cache is not None:
                self.cache.make_room(sum(map(len, sentences)))
            try:
                batch, chain = self._chain(sentences, readings, rows, self.cache)
            except BaseException:
                if self.cache is not None:
                    self.cache.clear()  # rows reserved but never filled (an error, Ctrl-C)
                raise
        bias = None
        if matches is not None and any(matches) and self.prefer == "model":
            path, probs = self.network.decode(chain, batch.mask, with_scores=True)
            assert probs is not None
            matches = _yield_to_model(matches, path.cpu().tolist(), probs.cpu().tolist(), self.vocab.tags, sentences)
        if (matches is not None and any(matches)) or (hints is not None and any(hints)):
            # a forced match's tags are fixed whatever the soft hints there say
            every: list[list[Hint]] = [[*(hints[row] if hints is not None else ()),
                                        *((m.start, m.end, m.label, None) for m in (matches[row] if matches is not None else ()))]
                                       for row in range(len(sentences))]
            bias = hint_bias(every, batch.mask.shape[1], self.vocab.tags, self.train_scheme)
        path, probs = self.network.decode(chain, batch.mask, with_scores=scores or uncertainty, bias=bias)
        doubt = sentence_log_prob = None
        if uncertainty:
            doubt, sentence_log_prob = self.network.uncertainty(chain, batch.mask, path, bias=bias, fold=self._fold)
            if self.dropout_samples:
                doubt = self._mutual_information(sentences, readings, rows, batch.mask, bias)
        (path, probs, doubt, sentence_log_prob), ready = to_host(path, probs, doubt, sentence_log_prob)
        return _Launched(sentences, matches, path, probs, doubt, sentence_log_prob, ready)

    def _finish(self, launched: _Launched) -> list[Prediction]:
        """The predictions of a batch from :meth:`_launch` (waiting for the device if it is not done)."""
        sentences, matches = launched.sentences, launched.matches
        if launched.ready is not None:
            launched.ready.synchronize()
        entropy = log_prob = token_entropies = None
        if launched.doubt is not None and launched.log_prob is not None:
            entropy, log_prob = launched.doubt.sum(1).tolist(), launched.log_prob.tolist()
            token_entropies = launched.doubt.tolist()
        best_tags: list[list[int]] = launched.path.tolist()
        marginals: list[list[float]] | None = launched.probs.tolist() if launched.probs is not None else None
        parts = [split_tag(t) for t in self.vocab.tags]
        known = set(labels_of_tags(self.vocab.tags))
        out = []
        for row, tokens in enumerate(sentences):
            n = len(tokens)
            spans = parts_to_spans([parts[k] for k in best_tags[row][:n]])
            span_scores = [min(marginals[row][s:e]) for s, e, _ in spans] if marginals is not None else None
            sources = None
            if matches is not None:  # with patterns, every span says where it came from
                spans, span_scores, sources = _with_matches(spans, span_scores, matches[row], known)
            out.append(Prediction(spans_to_tags(spans, n, self.scheme), spans, span_scores,
                                  entropy[row] if entropy is not None else None, log_prob[row] if log_prob is not None else None,
                                  sources, token_entropies[row][:n] if token_entropies is not None else None))
        return out


class _Launched(NamedTuple):
    """A batch :meth:`Tagger._launch` sent through the network: its sentences and pattern
    matches, and its results (best tag ids, their marginals, each token's doubt, each
    sentence's log P(path): host tensors, not to be read before ``ready``)."""

    sentences: Sequence[Sequence[str]]
    matches: Sequence[list[Match]] | None
    path: torch.Tensor
    probs: torch.Tensor | None
    doubt: torch.Tensor | None
    log_prob: torch.Tensor | None
    ready: torch.cuda.Event | None  # None: already there (the CPU)


def to_host(*tensors: torch.Tensor | None) -> tuple[list, torch.cuda.Event | None]:
    """Copies of ``tensors`` (None stays None) on the CPU and, from a CUDA device, the event
    after which they may be read: the copies are queued behind the kernels that compute
    them, into pinned memory, and the host goes on meanwhile."""
    device = next((t.device for t in tensors if t is not None and t.is_cuda), None)
    if device is None:
        return [t.cpu() if t is not None else None for t in tensors], None
    with torch.cuda.device(device):  # the copies' stream and the event's are that GPU's, not the current one's
        copies = [t.to("cpu", non_blocking=True) if t is not None else None for t in tensors]
        ready = torch.cuda.Event()
        ready.record(torch.cuda.current_stream(device))
    return copies, ready


def trained_caseless(meta: dict) -> bool:
    """Whether a checkpoint's ``meta`` says its model was trained in each casing it reads caseless text in."""
    variants = ((meta.get("training") or {}).get("config") or {}).get("case_variants") or ()
    return set(CASELESS_READINGS) <= set(variants)


PREFER = ("pattern", "model")  # which wins where a pattern's match overlaps a confident model span
CONFIDENT = 0.5  # a model span at least this sure keeps its place against a pattern under prefer="model"


def _yield_to_model(matches: Sequence[list[Match]], paths: list[list[int]], probs: list[list[float]], tags: Sequence[str],
                    sentences: Sequence[Sequence[str]]) -> list[list[Match]]:
    """The matches that overlap no span the model found with a score of at least
    :data:`CONFIDENT` (one the model found exactly so stays: it agrees)."""
    parts = [split_tag(t) for t in tags]
    out = []
    for row, own in enumerate(matches):
        if not own:
            out.append(own)
            continue
        n = len(sentences[row])
        spans = parts_to_spans([parts[k] for k in paths[row][:n]])
        sure = [(s, e, label) for s, e, label in spans if min(probs[row][s:e]) >= CONFIDENT]
        out.append([m for m in own if (m.start, m.end, m.label) in sure
                    or not any(s < m.end and m.start < e for s, e, _ in sure)])
    return out


def _overlaid(spans: list[tuple[int, int, str]], scores: list[float] | None, sources: list[str],
              matches: list[Match]) -> tuple[list[tuple[int, int, str]], list[float], list[str]]:
    """Stitched spans with a sentence's matches laid over them: what a match overlaps goes
    (but the match itself, decoded as it stands, stays), and each match not there yet goes in."""
    wanted = {(m.start, m.end, m.label): m.source for m in matches if m.label != "O"}
    kept = [(span, scores[k] if scores is not None else 1.0, wanted.get(span, sources[k])) for k, span in enumerate(spans)
            if span in wanted or not any(m.start < span[1] and span[0] < m.end for m in matches)]
    have = {span for span, _, _ in kept}
    merged = sorted(kept + [(span, 1.0, src) for span, src in wanted.items() if span not in have])
    return [m[0] for m in merged], [m[1] for m in merged] if scores is not None else [], [m[2] for m in merged]


def _with_matches(spans: list[tuple[int, int, str]], scores: list[float] | None, matches: list[Match],
                  known: set[str]) -> tuple[list[tuple[int, int, str]], list[float] | None, list[str]]:
    """A decoded sentence's spans with its forced matches: a match of a type the model
    knows is decoded as it stands (and marked as the pattern's); one of a type it does not
    know was decoded as no entity and goes in now, with a score of 1."""
    source = {(m.start, m.end, m.label): m.source for m in matches}
    added = [(m.start, m.end, m.label) for m in matches if m.label not in known and m.label != "O"]
    merged = sorted([(span, scores[k] if scores is not None else 1.0, source.get(span, "model"))
                     for k, span in enumerate(spans)] + [(span, 1.0, source[span]) for span in added])
    return ([m[0] for m in merged], [m[1] for m in merged] if scores is not None else None, [m[2] for m in merged])


def _regroup(flat: list[Prediction], documents: Sequence[Sequence]) -> list[list[Prediction]]:
    out, k = [], 0
    for doc in documents:
        out.append(flat[k : k + len(doc)])
        k += len(doc)
    return out


def windows(n: int, window: int, overlap: int) -> list[tuple[int, int, int]]:
    """``(start, keep_from, keep_to)`` of the windows over ``n`` tokens: each starts at
    ``start`` and holds up to ``window`` tokens; consecutive ones share ``overlap``; each
    keeps the predictions whose first token lies in [keep_from, keep_to), the middle of
    the shared stretch being the cut, so an entity near a cut is seen whole with context
    on both sides in the window that keeps it. The kept regions tile 0..n."""
    if n <= window:
        return [(0, 0, n)]
    if not 0 <= overlap < window // 2:
        raise ValueError(f"expected 0 <= overlap < window / 2, got overlap {overlap}, window {window}")
    step = window - overlap
    starts = list(range(0, n - overlap, step))
    out = []
    for k, start in enumerate(starts):
        keep_from = 0 if k == 0 else start + overlap // 2
        keep_to = n if k == len(starts) - 1 else starts[k + 1] + overlap // 2
        out.append((start, keep_from, keep_to))
    return out


def _check_documents(documents) -> list:
    """``documents`` as a list of documents, each a list of sentences; a TypeError that says
    what to pass where something else is given (a string, one sentence, None)."""
    what = "predict_documents() takes a list of documents, each a list of sentences (token lists)"
    if isinstance(documents, (str, bytes)) or not isinstance(documents, Iterable):
        raise TypeError(f"{what}; got {type(documents).__name__} {documents!r:.40}")
    documents = [list(doc) if isinstance(doc, Sequence) and not isinstance(doc, (str, bytes)) else doc for doc in documents]
    for k, doc in enumerate(documents):
        if not isinstance(doc, list) or any(isinstance(s, (str, bytes)) for s in doc):
            raise TypeError(f"{what}; document {k} is {type(doc).__name__} {doc!r:.40}"
                            + (" (plain text: predict_texts())" if isinstance(doc, str) else ""))
    return documents


def _check_container(sentences):
    if isinstance(sentences, (str, bytes)):
        raise TypeError(f"predict() takes a list of sentences, each a list of tokens; got the string {sentences[:40]!r} "
                        "(use predict_text() for plain text)")
    if not isinstance(sentences, Sequence):
        raise TypeError(f"predict() takes a list of sentences, each a list of tokens; got {type(sentences).__name__}")
    return sentences


def _check_sentences(sentences) -> None:
    for i, sentence in enumerate(sentences):
        if isinstance(sentence, (str, bytes)):
            raise TypeError(f"predict() takes a list of sentences, each a list of tokens; sentence {i} is "
                            f"{type(sentence).__name__} {sentence!r:.40} (one sentence: predict([tokens]); "
                            "plain text: predict_text())")
        if not isinstance(sentence, Sequence):
            raise TypeError(f"sentence {i}: expected a list of tokens, got {type(sentence).__name__} {sentence!r:.40}")
        for j, token in enumerate(sentence):
            if not isinstance(token, str):
                raise TypeError(f"sentence {i}, token {j}: expected a string, got {type(token).__name__}")
            if not token:
                raise ValueError(f"sentence {i}, token {j}: a token cannot be empty")
