"""Streaming inference: tag sentences in batches of similar length, in input order.

Input is read lazily in blocks of a few thousand tokens; each block is sorted by
length into batches, tagged, and written back in input order before the next block
is read, so memory stays bounded and an interactive pipeline sees output promptly.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import torch

from .errors import NerpipeError, UsageError
from .formats import (
    FORMATS,
    Annotation,
    Joiner,
    Marker,
    ReadOptions,
    WriteOptions,
    filter_annotation,
    make_writer,
    map_annotation,
    read_records,
    sentences_of,
)
from .formats.conll import has_docstart, has_newdoc
from .formats.source import display_name
from .labelmap import LabelMap
from .patterns import Patterns
from .schemes import Scheme, labels_of_tags
from .tagger import Prediction, Tagger


def group_items(items: Iterable, sentences_of, block_tokens: int, idle: Callable[[], bool] | None = None,
                documents: Documents | None = None) -> Iterator[list]:
    """Consecutive items in lists of about ``block_tokens`` tokens (an item is never split).

    ``idle`` tells when the input has paused (nothing to read right now): the items
    so far go out at once, so an interactive pipeline sees each result promptly.
    ``documents`` (document context): a block ends only where a document starts, unless
    it reaches ``DOCUMENT_TOKENS``; a pause ends a block inside a document only when the
    document has no explicit end to wait for (plain text, CoNLL without ``-DOCSTART-``).
    An error while reading (a bad line) comes after the block read before it.
    """
    block: list = []
    try:
        yield from _grouped(items, sentences_of, block_tokens, idle, documents, block)
    except NerpipeError:
        if block:
            yield block  # what was read before the bad line goes out first, as a line-by-line tool's would
        raise


def _grouped(items: Iterable, sentences_of, block_tokens: int, idle: Callable[[], bool] | None,
             documents: Documents | None, block: list) -> Iterator[list]:
    """:func:`group_items`, filling ``block`` (the block in progress, seen by the caller)."""
    tokens = 0
    paused = False  # the input paused since the block's last cut: the open document may be complete
    for item in items:
        starts = documents.starts(item) if documents is not None else True  # every item, in order: the rule keeps state
        if block and documents is not None and starts and (tokens >= block_tokens or paused):
            yield block[:]  # the documents so far are whole: out they go
            block.clear()
            tokens, paused = 0, False
        block.append(item)
        tokens += sum(len(s) for s in sentences_of(item))
        now_idle = idle is not None and idle()  # (a block of markers alone too: a sentence's closing blank line)
        if documents is None:
            cut = tokens >= block_tokens or now_idle
        else:
            paused = paused or now_idle
            cut = tokens >= DOCUMENT_TOKENS or (not documents.explicit and (
                tokens >= block_tokens * documents.block_factor or now_idle))
        if cut:
            yield block[:]
            block.clear()
            tokens, paused = 0, False
    if block:
        yield block[:]
        block.clear()


DOCUMENT_TOKENS = 100_000  # a document longer than this is read in parts of about this size


class Documents:
    """Where the documents of an input in format ``fmt`` start (one rule per input, fed
    every item in order). In CoNLL a ``-DOCSTART-`` line starts one, in CoNLL-U a ``# newdoc``
    comment (before the first, each sentence is one); in plain text
    (``-i text``) the file is one; elsewhere every record is one, or consecutive records
    with the same ``doc_id`` (a field of the record or of its ``meta``) are, and records
    converted from CoNLL (``convert --to jsonl``) follow the ``-DOCSTART-`` lines they
    carry (``conll.before``) as CoNLL does.

    ``explicit``: whether the open document ends where the input says (a ``-DOCSTART-``
    line or ``# newdoc`` comment has been seen, or the record has a ``doc_id``), so that a block waits for that
    end rather than being cut by a pause in the input. Where it does not (plain text,
    CoNLL without ``-DOCSTART-``, one of several records without ``doc_id``), blocks are
    cut by pauses and at ``block_factor`` times the usual block size, so that output stays
    prompt and ``--workers`` have blocks to share; context then spans one block.
    """

    block_factor = 2

    def __init__(self, fmt: str):
        self.fmt = fmt
        self.explicit = False
        self._key: object = object()

    def starts(self, item) -> bool:
        if self.fmt == "text":
            return False
        if self.fmt == "conll":
            if isinstance(item, Marker) and item.kind == "docstart":
                self.explicit = True
                return True
            return False
        if self.fmt == "conllu":
            # a "# newdoc" comment starts a document; before the first, each sentence is one
            if has_newdoc(getattr(item, "extra", {}).get("conllu", {}).get("lines", ())):
                self.explicit = True
                return True
            return not self.explicit
        record = getattr(item, "record", None)
        key = None
        if isinstance(record, dict):
            meta = record.get("meta")
            key = record.get("doc_id", meta.get("doc_id") if isinstance(meta, dict) else None)
            conll = record.get("conll")
            if key is None and isinstance(conll, dict):  # a CoNLL sentence as JSONL: its -DOCSTART- still counts
                if has_docstart(conll.get("before")):
                    self.explicit, self._key = True, object()
                    return True
                return False  # the sentence goes on its document (before any -DOCSTART-: as CoNLL without one)
        new = key is None or key != self._key
        self._key = key
        self.explicit = key is not None
        return new


def split_documents(block: list, fmt: str) -> list[list[int]]:
    """The items of ``block`` (indices) by document, as :class:`Documents` sees them."""
    rule = Documents(fmt)
    out: list[list[int]] = []
    for k, item in enumerate(block):
        if rule.starts(item) or not out:
            out.append([])
        out[-1].append(k)
    return out


# --------------------------------------------------------------------------- files in, text out

@dataclass(frozen=True, kw_only=True)
class TagOptions:
    """How ``tag`` reads and writes; built by keyword, never changed (``dataclasses.replace`` for a variant)."""

    input_format: str = "auto"  # a name in formats.INPUT_FORMATS, or auto
    output_format: str | None = None  # a name in formats.OUTPUT_FORMATS; None: conll for CoNLL input, else jsonl
    min_score: float = 0.0  # drop entities scoring less (every output format)
    replace_col: int | None = None  # CoNLL: write the tag into this column instead of appending; JSONL: overwrite spans
    sep: str = "auto"
    token_col: int = 0
    on_error: Callable[[NerpipeError], None] | None = None  # None: raise; else report and skip
    on_format: Callable[[str, str, str], None] | None = None  # told (path, format, why) per input
    labels: frozenset[str] | None = None  # keep only these entity types (None: all)
    align: str = "strict"  # JSONL character spans that miss token boundaries: strict, expand or contract
    scores: bool = False  # pretty output: show each entity's score
    on_block: Callable[[int], None] | None = None  # told the tokens of each block once it is written (progress)
    on_note: Callable[[str], None] | None = None  # told what in the input looks suspect (a line for stderr)
    label_map: LabelMap | None = None  # predicted labels are read through it (after --labels and --min-score)
    redact_char: str | None = None  # redact output: black entities out with this character
    label_names: tuple[str, ...] | None = None  # hf input and output: integer ner_tags' names
    annotation: str = "latest"  # labelstudio input: which annotation of a task is its gold
    data_key: str | None = None  # labelstudio: the task's data field holding the text
    directory: str | None = None  # brat output: the directory the files go into
    ls_config: str | None = None  # labelstudio output: write a labeling config here at the end
    conllu_key: str = "NER"  # conllu: the MISC entry of the entity tag
    on_verbose: Callable[[str], None] | None = None  # told what -v says (a sentence tagged in windows)

    def read_options(self) -> ReadOptions:
        return ReadOptions(sep=self.sep, token_col=self.token_col, on_error=self.on_error, align=self.align,
                           label_names=self.label_names, annotation=self.annotation, data_key=self.data_key,
                           conllu_key=self.conllu_key)

    def write_options(self, scheme: Scheme | None, model_tags: Sequence[str] = ()) -> WriteOptions:
        """``model_tags``: the model's tags, whose types (those in ``labels``) a page's legend shows."""
        types = set(labels_of_tags(model_tags))
        if self.labels is not None:
            types &= self.labels
        if self.label_map is not None:
            types = {new for label in types if (new := self.label_map.new(label)) is not None}
        return WriteOptions(scheme=scheme, replace_col=self.replace_col, token_col=self.token_col, keep_gold=self.replace_col is None,
                            scores=self.scores, labels=tuple(sorted(types)), redact_char=self.redact_char,
                            label_names=self.label_names, directory=self.directory, data_key=self.data_key,
                            config=self.ls_config, conllu_key=self.conllu_key)


def resolve_labels(wanted: Iterable[str], model_tags: Sequence[str]) -> tuple[frozenset[str], list[str]]:
    """The entity types of ``wanted`` as the model spells them, and notes on what was
    taken to mean what. A type the model does not know would keep nothing, silently:
    it is a usage error that lists the ones it knows; a difference of case only is
    accepted (and noted)."""
    wanted = [w.strip() for w in wanted if w.strip()]
    if not wanted:
        raise UsageError("--labels: expected entity types, e.g. --labels PER,ORG")
    known = sorted(labels_of_tags(model_tags))
    by_case = {k.casefold(): k for k in known}
    chosen, notes, unknown = set(), [], []
    for name in wanted:
        if name in known:
            chosen.add(name)
        elif name.casefold() in by_case:
            chosen.add(by_case[name.casefold()])
            notes.append(f"--labels {name}: read as {by_case[name.casefold()]}, as the model spells it")
        else:
            unknown.append(name)
    if unknown:
        raise UsageError(f"--labels: the model has no type {', '.join(unknown)}; it knows {', '.join(known) or 'none'}")
    return frozenset(chosen), notes


def output_tags(model_tags: Sequence[str], patterns: Patterns | None) -> list[str]:
    """The model's tags, and a tag for each entity type only its patterns give: what
    ``--labels`` may name and a page's legend shows."""
    known = set(labels_of_tags(model_tags))
    extra = sorted(patterns.labels - known) if patterns is not None else []
    return [*model_tags, *(f"B-{label}" for label in extra)]


BLOCK_TOKENS = 20_000  # records are read, tagged and written in blocks of about this many tokens


def tag_block(tagger: Tagger, block: list, scores: bool = False, fmt: str = "jsonl") -> list[tuple[object, list[Prediction]]]:
    """``(record, predictions)`` for every record of ``block``, its sentences batched
    together, each read in the light of its document (its casing; with the tagger's ``context``, its names)
    (``fmt``: the input's format, which says where documents start: :class:`Documents`)."""
    per_item = [sentences_of(item) for item in block]
    documents = [[s for k in doc for s in per_item[k]] for doc in split_documents(block, fmt)]
    predictions = [p for doc in tagger.predict_documents(documents, scores) for p in doc]
    out, k = [], 0
    for item, own in zip(block, per_item):
        out.append((item, predictions[k : k + len(own)]))
        k += len(own)
    return out


def tag_files(paths: Sequence[str], tagger: Tagger, options: TagOptions, block_tokens: int = BLOCK_TOKENS) -> Iterator[str]:
    """Tag each input file and yield the output text, a block at a time, in input order."""
    write_options = options.write_options(tagger.scheme, output_tags(tagger.vocab.tags, tagger.patterns))
    writer, join = None, Joiner()
    for out, fmt, blocks, _ in read_blocks(paths, options, block_tokens):
        first, writer = writer is None, make_writer(out, write_options)
        if first:
            join = Joiner(writer.separator)
            yield writer.header()  # once, whatever the number of inputs
        yield join.next_input(writer.blocks)
        for block in blocks:
            yield join(render_block(tagger, writer, block, out, options, fmt))
            if options.on_block:
                options.on_block(count_tokens(block))
        yield join([writer.close()])
    if writer is not None:
        yield writer.footer()


def read_blocks(paths: Sequence[str], options: TagOptions,
                block_tokens: int) -> Iterator[tuple[str, str, Iterator[list], Callable[[], bool]]]:
    """For each input: the output format, the input's, its records in blocks of whole
    documents (which document context and the casing verdict read whole; see
    :class:`Documents`), and whether the input has paused now (a pipe with nothing to read)."""
    first_out = None
    for path in paths:
        fmt, items, source = read_records(path, options.input_format, options.read_options(), options.on_format)
        out = options.output_format or FORMATS[fmt].default_output or "jsonl"
        if first_out is not None and out != first_out:  # one output, one format: the first input's
            if options.on_note is not None:
                options.on_note(f"{display_name(path)} ({fmt}) is written as {first_out}, the first input's output format, "
                                f"not {out} (one format for the whole output; -f chooses it)")
            out = first_out
        first_out = out
        check_output(out, options.scores, options.replace_col is not None)
        if options.on_note is not None and FORMATS[fmt].by_offsets and options.replace_col is None:
            items = _noting_scored_gold(items, options.on_note)
        yield out, fmt, group_items(items, sentences_of, block_tokens, source.idle, Documents(fmt)), source.idle


NO_SCORES = ("conll", "conllu", "hf", "doccano", "brat", "redact")  # output formats with no place for a score


def check_output(fmt: str, scores: bool, replace: bool = False) -> None:
    """Refuse what output format ``fmt`` could not honour: ``--scores`` where scores have no
    place, ``--replace`` where there is nothing to write over."""
    if replace and fmt not in ("conll", "jsonl"):
        raise UsageError(f"--replace writes the predictions over a CoNLL column or a JSONL record's gold spans; {fmt} "
                         "output has nothing it would change")
    if scores and fmt in NO_SCORES:
        name = {"conll": "CoNLL", "conllu": "CoNLL-U"}.get(fmt, fmt)
        raise UsageError(f"--scores: {name} output has no place for scores (jsonl, tsv, html and labelstudio always carry "
                         "them; pretty shows them with --scores)")


def _noting_scored_gold(items: Iterable, note: Callable[[str], None]) -> Iterator:
    """``items``, telling ``note`` (once) of a record whose gold spans carry scores: they
    look like predictions (nerpipe's output tagged again), which ``score`` would then
    take for gold."""
    told = False
    for item in items:
        spans = getattr(item, "record", {}).get("spans") if not told else None
        if isinstance(spans, list) and any(isinstance(x, dict) and "score" in x for x in spans):
            told = True
            note(f'{item.path}:{item.line}: the input\'s "spans" carry scores, as predictions do; they are kept as gold '
                 'and this run\'s predictions go beside them ("predicted_spans"; --replace writes over them)')
        yield item


def count_tokens(block: list) -> int:
    return sum(len(s) for item in block for s in sentences_of(item))


def render_block(tagger: Tagger, writer, block: list, out: str, options: TagOptions, fmt: str = "jsonl") -> list[str]:
    """Tag one block of records and write them with ``writer``: a piece of text per record
    (a :class:`~nerpipe.formats.writer.Joiner` puts them together)."""
    if options.on_verbose is not None:
        for item in block:
            for sentence in sentences_of(item):
                if len(sentence) > tagger.window:
                    options.on_verbose(f"{item.path}:{item.line}: a sentence of {len(sentence):,} tokens is tagged in "
                                       f"windows of {tagger.window} overlapping by {tagger.overlap}, stitched at their "
                                       "middles")
    tagged = tag_block(tagger, block, scores=writer.wants_scores or options.min_score > 0, fmt=fmt)
    chunks = []
    for item, preds in tagged:
        annotations = [filter_annotation(Annotation(p.spans, p.scores, p.sources), options.min_score, options.labels) for p in preds]
        if options.label_map is not None:
            annotations = [map_annotation(ann, options.label_map) for ann in annotations]
        chunks.append(writer.write(item, annotations))
    return chunks


# --------------------------------------------------------------------------- worker processes

_WORKER_TAGGER: Tagger | None = None


def worker_start(device: str) -> str:
    """How worker processes start: forked on Linux (at once, the parent's pages shared), but
    spawned for a CUDA device (a forked child cannot use CUDA once the parent has) and off Linux."""
    return "fork" if sys.platform.startswith("linux") and torch.device(device).type == "cpu" else "spawn"


def _init_worker(model_path: str | None, device: str, batch_size: int, patterns: Patterns | None, prefer: str,
                 context: bool) -> None:
    import signal

    from .checkpoints import load_model

    global _WORKER_TAGGER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    torch.set_num_threads(1)
    _WORKER_TAGGER = load_model(model_path, device, batch_size=batch_size, patterns=patterns, prefer=prefer, context=context)
    gc.freeze()  # as in the parent: the vocabulary need not be traversed by every collection


def _render_in_worker(out: str, fmt: str, block: list, options: TagOptions, first: bool = True) -> list[str]:
    assert _WORKER_TAGGER is not None
    # a writer per block: blocks end with a sentence, so only the last one leaves marker lines to close with
    writer = make_writer(out, options.write_options(_WORKER_TAGGER.scheme))
    if not first:
        writer.continues()
    return [*render_block(_WORKER_TAGGER, writer, block, out, options, fmt), writer.close()]


class _WorkerError(Exception):
    """An error a worker met in its block (after the blocks in flight before it are written;
    not those after it)."""

    def __init__(self, error: NerpipeError):
        super().__init__(str(error))
        self.error = error


def tag_files_parallel(paths: Sequence[str], model_path: str | None, options: TagOptions, workers: int,
                       batch_size: int = 256, block_tokens: int = BLOCK_TOKENS, patterns: Patterns | None = None,
                       prefer: str = "pattern", context: bool = True, device: str = "cpu") -> Iterator[str]:
    """:func:`tag_files` with ``workers`` processes, one torch thread each (``patterns``,
    ``prefer``, ``context``, ``device``: as :func:`~nerpipe.checkpoints.load_model` takes them).

    This process reads and hands out blocks; at most two blocks per worker are in
    flight, so memory stays bounded, and results are yielded in input order. On a CUDA
    device the workers share the GPU, each making its batches and spans on a core of its
    own while the GPU computes (the work that holds one process back: see Tagger._in_flight).
    """
    import collections
    import dataclasses
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from .checkpoints import check_model

    # a bad model fails here, once, not in every worker; its tags name the types a page's legend shows
    write_options = options.write_options(None, output_tags(check_model(model_path)["vocab"]["tags"], patterns))
    mp_context = multiprocessing.get_context(worker_start(device))
    plain = dataclasses.replace(options, on_error=None, on_format=None, on_block=None, on_note=None,
                                on_verbose=None)  # callbacks stay here
    pool = ProcessPoolExecutor(workers, mp_context=mp_context, initializer=_init_worker,
                               initargs=(model_path, device, batch_size, patterns, prefer, context))
    pending: collections.deque = collections.deque()  # (future, tokens)

    def done() -> str:
        future, tokens = pending.popleft()
        if future is None:  # the next input file starts here
            return join.next_input(framing is not None and framing.blocks)
        try:
            text = join(future.result())
        except NerpipeError as err:
            raise _WorkerError(err) from None
        if options.on_block:
            options.on_block(tokens)
        return text

    framing = None  # the writer of the output's header and footer, written here (workers write the records)
    join = Joiner()
    try:
        for out, fmt, blocks, idle in read_blocks(paths, options, block_tokens):
            if framing is None:
                framing = make_writer(out, write_options)
                join = Joiner(framing.separator)
                yield framing.header()
            pending.append((None, 0))
            for k, block in enumerate(blocks):
                for item in block:
                    framing.observe(item)
                pending.append((pool.submit(_render_in_worker, out, fmt, block, plain, k == 0), count_tokens(block)))
                # while the input pauses (tail -f), what is in flight goes out: the output keeps up with the input
                while pending and (len(pending) >= 2 * workers or idle()):
                    yield done()
        while pending:
            yield done()
        if framing is not None:
            yield framing.footer()
    except _WorkerError as failed:
        raise failed.error from None
    except NerpipeError:
        try:  # a bad line read: the blocks before it go out first, as with one process
            while pending:
                yield done()
        except _WorkerError as failed:
            raise failed.error from None
        raise
    finally:
        # on Ctrl-C too: wait for the blocks in flight (workers ignore SIGINT and finish them), so
        # no executor thread is left writing to a closed pipe while Python exits
        pool.shutdown(wait=True, cancel_futures=True)
