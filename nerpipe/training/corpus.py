"""Training and dev data: gold sentences read from CoNLL or JSONL, and the checks that
stop a run before its first step (no torch)."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import NerpipeError
from ..formats import ReadOptions, declined, display_name, gold_of, read_records
from ..labelmap import LabelMap
from ..schemes import check_tags, tags_to_spans
from .config import TrainConfig


@dataclass(frozen=True)
class GoldSentence:
    """A sentence to learn from: tokens, their tags, and where it was read."""

    tokens: tuple[str, ...]
    tags: tuple[str, ...]
    path: str
    line: int
    reviewed: bool = False  # a person decided on it (nerpipe annotate's answer): its O tags mean "no entity"
    # reviewed: the types the person was offered (annotate's "_labels"); None: not recorded, every type counts as decided
    offered: frozenset[str] | None = None


@dataclass(frozen=True)
class Corpus:
    sentences: tuple[GoldSentence, ...]
    paths: tuple[str, ...]
    tokens: int  # in all sentences
    declined: int = 0  # records left out: answered reject or ignore in nerpipe annotate
    notes: tuple[str, ...] = ()  # warnings from reading it (tasks nobody annotated, left out)
    labels_read: frozenset[str] = frozenset()  # with a --map: the labels of its entities as written, before the map

    @classmethod
    def of(cls, sentences: Sequence[GoldSentence], paths: Sequence[str], declined: int = 0) -> Corpus:
        return cls(tuple(sentences), tuple(paths), sum(len(s.tokens) for s in sentences), declined)

    def digest(self) -> str:
        """SHA-256 of the sentences in order, tokens and tags: what a run learns from,
        however it was read (files, standard input, CoNLL or JSONL)."""
        h = hashlib.sha256()
        for s in self.sentences:
            h.update("\x1f".join(s.tokens + s.tags).encode("utf-8", "surrogatepass") + b"\x1e")
        return h.hexdigest()


LONG_SENTENCE = 1000  # tokens: more is said (CoNLL-2003's longest has 124)


def labels_offered(record: dict, label_map: LabelMap | None = None) -> frozenset[str] | None:
    """The entity types the person who decided on a record was offered (nerpipe annotate's
    ``_labels``; named as ``label_map`` names them); None where the record does not say,
    as in files annotate wrote before it recorded them (then every type counts as decided:
    select's ``meta.labels`` is no proof, annotate --labels may have offered others)."""
    labels = record.get("_labels")
    if not (isinstance(labels, list) and labels and all(isinstance(x, str) and x for x in labels)):
        return None
    return frozenset(label_map.new(x) or "" for x in labels) - {""} if label_map is not None else frozenset(labels)


def read_corpus(paths: Sequence[str], config: TrainConfig, role: str) -> Corpus:
    """Gold sentences from CoNLL files (a tag column) or JSONL (spans), any mix.

    ``role`` ("training", "dev") names the data in error messages.
    """
    from ..labelmap import parse_label_map

    options = ReadOptions(sep=config.sep, token_col=config.token_col, tag_col=config.tag_col, label_names=config.label_names)
    label_map = parse_label_map(config.label_map, config.map_drop_others)
    sentences = []
    left_out = 0
    open_tasks: Counter[str] = Counter()  # per format
    for path in paths:
        fmt, items, _ = read_records(path, "auto", options, annotated=True)
        for item in items:
            if declined(item):
                left_out += 1
                continue
            if fmt in ("labelstudio", "brat") and getattr(item, "spans", ()) is None:
                open_tasks[fmt] += 1  # nobody has annotated it yet (an export holds every task, a collection .txt files
                continue        # without their .ann): no gold to learn
            for tokens, tags, where, line in gold_of(item):
                if tags is None:
                    what = {"conll": "a tag column, found only tokens",
                            "conllu": "gold entities: no word of this CoNLL-U sentence has NER= in its MISC column"}.get(
                        fmt, '"spans" (gold entities), found none')
                    raise NerpipeError(f"{role} data needs {what}", where, line)
                if fmt == "conll":
                    check_tags(tags, where, line)
                if label_map is not None:
                    tags = label_map.tags(tags)
                if tokens:
                    reviewed = isinstance(getattr(item, "record", None), dict) and "answer" in item.record
                    offered = labels_offered(item.record, label_map) if reviewed else None
                    sentences.append(GoldSentence(tuple(tokens), tuple(tags), where, line, reviewed, offered))
    if not sentences:
        raise NerpipeError(f"the {role} data holds no sentences", display_name(paths[0]) if len(paths) == 1 else None)
    corpus = Corpus.of(sentences, paths, left_out)
    kinds = {"labelstudio": "Label Studio task(s)", "brat": "brat document(s) (a .txt without its .ann)"}
    notes = [f"{count} {kinds[kind]} of the {role} data without an annotation are left out"
             for kind, count in sorted(open_tasks.items())]
    long = [s for s in sentences if len(s.tokens) > LONG_SENTENCE]
    if long:
        more = f" (and {len(long) - 1:,} more over {LONG_SENTENCE:,})" if len(long) > 1 else ""
        notes.append(f"{long[0].path}:{long[0].line}: a sentence of {len(long[0].tokens):,} tokens{more} in the {role} "
                     "data, which slows each step it is in: are blank lines missing between sentences there?")
    return replace(corpus, notes=tuple(notes), labels_read=frozenset(label_map.seen) if label_map is not None else frozenset())


def fingerprint(path: str) -> dict:
    """What the checkpoint says about a data file: its path, SHA-256 and size."""
    if path == "-":
        return {"path": "<stdin>"}
    digest = hashlib.sha256()
    # a directory (a brat collection): its files in order, each named
    files = sorted(p for p in Path(path).rglob("*") if p.is_file()) if os.path.isdir(path) else [Path(path)]
    size = 0
    for file in files:
        if len(files) > 1 or file != Path(path):
            digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        with open(file, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        size += file.stat().st_size
    return {"path": path, "sha256": digest.hexdigest(), "bytes": size}


def labels_of(corpus: Corpus) -> set[str]:
    return {label for s in corpus.sentences for _, _, label in tags_to_spans(s.tags)}


def check_data(train: Corpus, dev: Corpus | None, base_labels: AbstractSet[str] = frozenset()) -> set[str]:
    """The training data's entity labels; an error when it has none, or when the dev
    data has labels the model could never predict (neither the training data's nor
    ``base_labels``, those of the model training starts from)."""
    labels = labels_of(train)
    if not labels:
        first = train.sentences[0]
        raise NerpipeError("the training data has no entities (every tag is O); is --tag-col right?", first.path, first.line)
    if dev is not None and dev.sentences:
        dev_labels = labels_of(dev)
        if not dev_labels:  # its F1 would be 0 every round, and the first round's model kept
            first = dev.sentences[0]
            raise NerpipeError("the dev data has no entities (every tag is O): dev F1 would be 0 every round and early "
                               "stopping would keep the first round's model; is --tag-col right?", first.path, first.line)
        unknown = dev_labels - labels - base_labels
        if unknown:
            where = next(s for s in dev.sentences if {label for *_, label in tags_to_spans(s.tags)} & unknown)
            raise NerpipeError(
                f"the dev data has labels the training data lacks: {', '.join(sorted(unknown))}; the model could never predict "
                "them", where.path, where.line)
    return labels
