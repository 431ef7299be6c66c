"""Streaming inference: tag sentences in batches of similar length, in input order.

Input is read lazily in blocks of a few thousand tokens; each block is sorted by
length into batches, tagged, and written back in input order before the next block
is read, so memory stays bounded and an interactive pipeline sees output promptly.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import torch

from .checkpoints import LoadedModel
from .errors import NerpipeError
from .formats import (
    ConllReader,
    Doc,
    Marker,
    Sentence,
    display_name,
    doc_to_json,
    format_sentence,
    open_input,
    parse_jsonl,
    parse_paragraphs,
    sentence_to_doc,
    tokens_to_conll,
)
from .model import BiLSTMCRF, CharFeatureCache, make_batch
from .schemes import Scheme, parts_to_spans, spans_to_tags, split_tag
from .tokenize import split_sentences, tokenize_sentences
from .vocab import Vocab

Tags = list[str]


@dataclass
class Prediction:
    tags: list[str]  # in the output scheme
    spans: list[tuple[int, int, str]]
    scores: list[float] | None  # one per span: the lowest marginal probability of its tags


def _decode_batch(model: BiLSTMCRF, vocab: Vocab, sentences: Sequence[Sequence[str]], scheme: Scheme,
                  device: torch.device, with_scores: bool, cache: CharFeatureCache | None = None) -> list[Prediction]:
    if cache is not None:
        cache.make_room(sum(map(len, sentences)))
    batch = make_batch(sentences, vocab, cache=cache).to(device)
    path, probs = model.predict(batch, with_scores=with_scores, cache=cache)
    path = path.cpu().tolist()
    probs = probs.cpu().tolist() if probs is not None else None
    parts = [split_tag(t) for t in vocab.tags]
    out = []
    for row, tokens in enumerate(sentences):
        n = len(tokens)
        spans = parts_to_spans([parts[k] for k in path[row][:n]])
        scores = [min(probs[row][s:e]) for s, e, _ in spans] if probs is not None else None
        out.append(Prediction(spans_to_tags(spans, n, scheme), spans, scores))
    return out


def predict(model: BiLSTMCRF, vocab: Vocab, sentences: Sequence[Sequence[str]], scheme: Scheme,
            device: torch.device, batch_size: int = 256, with_scores: bool = False,
            cache: CharFeatureCache | None = None) -> list[Prediction]:
    """Predictions for ``sentences`` (lists of tokens; empty ones allowed), in their order.

    ``cache`` keeps character features across calls; it belongs to this model.
    """
    results: list[Prediction | None] = [None] * len(sentences)
    # longest first: packing a batch already in that order skips a sort and an unsort
    order = sorted((i for i, s in enumerate(sentences) if s), key=lambda i: len(sentences[i]), reverse=True)
    for i, s in enumerate(sentences):
        if not s:
            results[i] = Prediction([], [], [] if with_scores else None)
    for k in range(0, len(order), batch_size):
        chunk = order[k : k + batch_size]
        for i, pred in zip(chunk, _decode_batch(model, vocab, [sentences[i] for i in chunk], scheme, device, with_scores, cache)):
            results[i] = pred
    return results  # type: ignore[return-value]


def predict_tags(model: BiLSTMCRF, vocab: Vocab, sentences: Sequence[Sequence[str]], scheme: Scheme,
                 device: torch.device, batch_size: int = 256) -> list[list[str]]:
    return [p.tags for p in predict(model, vocab, sentences, scheme, device, batch_size)]


class Tagger:
    """A loaded model that tags streams of items, each holding zero or more sentences.

    ``sentences_of(item)`` gives an item's token lists; :meth:`blocks` yields lists of
    ``(item, predictions)`` in input order, one list per block of about
    ``block_tokens`` tokens, so callers can write and flush after each.
    """

    def __init__(self, loaded: LoadedModel, batch_size: int = 256, block_tokens: int = 20_000):
        self.loaded, self.batch_size, self.block_tokens = loaded, batch_size, block_tokens
        self.cache = CharFeatureCache()

    def predict(self, sentences: Sequence[Sequence[str]], with_scores: bool = False) -> list[Prediction]:
        m = self.loaded
        return predict(m.model, m.vocab, sentences, m.scheme, m.device, self.batch_size, with_scores, self.cache)

    def blocks(self, items: Iterable, sentences_of, with_scores: bool = False) -> Iterator[list[tuple[object, list[Prediction]]]]:
        for block in group_items(items, sentences_of, self.block_tokens):
            yield self.tag_block(block, sentences_of, with_scores)

    def tag_block(self, block: list, sentences_of, with_scores: bool = False) -> list[tuple[object, list[Prediction]]]:
        """Predictions for every sentence of every item of ``block``, batched together."""
        per_item = [sentences_of(item) for item in block]
        sentences = [s for own in per_item for s in own]
        predictions = self.predict(sentences, with_scores) if sentences else []
        out, k = [], 0
        for item, own in zip(block, per_item):
            out.append((item, predictions[k : k + len(own)]))
            k += len(own)
        return out


def group_items(items: Iterable, sentences_of, block_tokens: int) -> Iterator[list]:
    """Consecutive items in lists of about ``block_tokens`` tokens (an item is never split)."""
    block: list = []
    tokens = 0
    for item in items:
        block.append(item)
        tokens += sum(len(s) for s in sentences_of(item))
        if tokens >= block_tokens:
            yield block
            block, tokens = [], 0
    if block:
        yield block


# --------------------------------------------------------------------------- files in, text out

DEFAULT_OUTPUT = {"conll": "conll", "text": "jsonl", "jsonl": "jsonl"}


@dataclass
class TagOptions:
    input_format: str = "auto"  # text, conll, jsonl or auto
    output_format: str | None = None  # conll or jsonl; None: conll for CoNLL input, else jsonl
    min_score: float = 0.0
    replace_col: int | None = None  # CoNLL: write the tag into this column instead of appending
    sep: str = "auto"
    token_col: int = 0
    on_error: Callable[[NerpipeError], None] | None = None  # None: raise; else report and skip
    on_format: Callable[[str, str, str], None] | None = None  # told (path, format, why) per input


def tag_files(paths: Sequence[str], tagger: Tagger, options: TagOptions) -> Iterator[str]:
    """Tag each input file and yield the output text, a block at a time, in input order."""
    for kind, out, blocks in read_blocks(paths, options, tagger.block_tokens):
        for block in blocks:
            yield render_block(tagger, kind, out, block, options)


def read_blocks(paths: Sequence[str], options: TagOptions, block_tokens: int) -> Iterator[tuple[str, str, Iterator[list]]]:
    """For each input: its format, the output format, and its items in blocks."""
    for path in paths:
        fmt, why, lines = open_input(path, options.input_format, on_error=options.on_error)
        name = display_name(path)
        if options.on_format:
            options.on_format(name, fmt, why)
        out = options.output_format or DEFAULT_OUTPUT[fmt]
        if fmt == "conll":
            items = ConllReader(options.sep, options.token_col, -1, on_error=options.on_error).parse(lines, name)
        elif fmt == "jsonl":
            items = parse_jsonl(lines, name, options.on_error)
        else:
            items = parse_paragraphs(lines, name)
        yield fmt, out, group_items(items, _SENTENCES_OF[fmt], block_tokens)


def render_block(tagger: Tagger, kind: str, out: str, block: list, options: TagOptions) -> str:
    """Tag one block of items of input format ``kind`` and format it as ``out``."""
    tagged = tagger.tag_block(block, _SENTENCES_OF[kind], with_scores=out == "jsonl")
    render = _conll_output if kind == "conll" else _doc_output
    return "".join(render(item, preds, out, options) for item, preds in tagged)


def _conll_sentences(item) -> list[Sequence[str]]:
    return [item.tokens] if isinstance(item, Sentence) else []


def _conll_output(item, preds: list[Prediction], out: str, options: TagOptions) -> str:
    if isinstance(item, Marker):
        return item.text if out == "conll" else ""
    if out == "conll":
        ncols = len(item.rows[0])
        replace = None if options.replace_col is None else options.replace_col % ncols
        if replace is not None and replace == options.token_col % ncols:
            raise NerpipeError(f"--replace would overwrite the tokens: the file has {ncols} column(s) and "
                               f"--tag-col {options.replace_col} is the token column", item.path, item.line)
        return format_sentence(item, preds[0].tags, replace)
    spans, scores = _kept(preds[0], options.min_score)
    return doc_to_json(sentence_to_doc(item), spans, scores)


def _doc_sentences(doc: Doc) -> list[list[str]]:
    """Split a doc into sentences (tokenising it first if needed), once: the split stays on the doc."""
    if doc.sentences is None:
        sentences = tokenize_sentences(doc.text) if doc.tokens is None else split_sentences(doc.text, doc.tokens)
        doc.tokens = [tok for sent in sentences for tok in sent]
        doc.sentence_lengths = [len(sent) for sent in sentences]
        doc.sentences = [[doc.text[s:e] for s, e in sent] for sent in sentences]
    return doc.sentences


def _doc_output(doc: Doc, preds: list[Prediction], out: str, options: TagOptions) -> str:
    if out == "conll":
        chunks, k = [], 0
        for n, pred in zip(doc.sentence_lengths, preds):
            chunks.append(tokens_to_conll([doc.text[s:e] for s, e in doc.tokens[k : k + n]], pred.tags))
            k += n
        return "".join(chunks)
    spans, scores, offset = [], [], 0
    for n, pred in zip(doc.sentence_lengths, preds):
        kept, kept_scores = _kept(pred, options.min_score, offset)
        spans += kept
        scores += kept_scores
        offset += n
    return doc_to_json(doc, spans, scores)


def _kept(pred: Prediction, min_score: float, offset: int = 0) -> tuple[list, list[float]]:
    """Spans (shifted by ``offset`` tokens) whose score reaches ``min_score``."""
    spans, scores = [], []
    for (s, e, label), score in zip(pred.spans, pred.scores or [1.0] * len(pred.spans)):
        if score >= min_score:
            spans.append((s + offset, e + offset, label))
            scores.append(score)
    return spans, scores


_SENTENCES_OF = {"conll": _conll_sentences, "jsonl": _doc_sentences, "text": _doc_sentences}


# --------------------------------------------------------------------------- worker processes

_WORKER_TAGGER: Tagger | None = None


def _init_worker(model_path: str | None, batch_size: int) -> None:
    import signal

    from .checkpoints import load_model

    global _WORKER_TAGGER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    torch.set_num_threads(1)
    _WORKER_TAGGER = Tagger(load_model(model_path, "cpu"), batch_size=batch_size)
    gc.freeze()  # as in the parent: the vocabulary need not be traversed by every collection


def _render_in_worker(kind: str, out: str, block: list, options: TagOptions) -> str:
    assert _WORKER_TAGGER is not None
    return render_block(_WORKER_TAGGER, kind, out, block, options)


def tag_files_parallel(paths: Sequence[str], model_path: str | None, options: TagOptions, workers: int,
                       batch_size: int = 256, block_tokens: int = 20_000) -> Iterator[str]:
    """:func:`tag_files` with ``workers`` CPU processes, one torch thread each.

    This process reads and hands out blocks; at most two blocks per worker are in
    flight, so memory stays bounded, and results are yielded in input order.
    """
    import collections
    import dataclasses
    import multiprocessing
    import sys
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    plain = dataclasses.replace(options, on_error=None, on_format=None)  # callbacks stay in this process
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(model_path, batch_size))
    pending: collections.deque = collections.deque()
    try:
        for kind, out, blocks in read_blocks(paths, options, block_tokens):
            for block in blocks:
                pending.append(pool.submit(_render_in_worker, kind, out, block, plain))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=not pending, cancel_futures=True)
