"""Format and tag-scheme conversion, streamed, through the same readers and writers as ``tag`` (no torch)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence

from .errors import UsageError
from .formats import FORMATS, Doc, Joiner, ReadOptions, Sentence, WriteOptions, declined, make_writer, read_records
from .formats.source import OnError
from .labelmap import LabelMap
from .schemes import Scheme, check_tags


def convert_files(
    paths: Sequence[str],
    source: str,
    target: str,
    scheme: Scheme | None = None,
    sep: str = "auto",
    token_col: int = 0,
    tag_col: int = -1,
    on_error: OnError | None = None,
    align: str = "strict",
    label_map: LabelMap | None = None,
    redact_char: str | None = None,
    label_names: Sequence[str] | None = None,
    annotation: str = "latest",
    data_key: str | None = None,
    directory: str | None = None,
    ls_config: str | None = None,
    conllu_key: str = "NER",
    on_note: Callable[[str], None] | None = None,
    on_format: Callable[[str, str, str], None] | None = None,
) -> Iterator[str]:
    """Yield the output text of converting ``paths`` from ``source`` (or auto) to ``target``.

    The records' own annotations are written: CoNLL tags as spans, JSONL spans as tags
    (in ``scheme``, default: the tags as read, IOB2 for JSONL). ``on_format(name, format,
    why)`` is told the format each input is read as.
    """
    if scheme is not None and target not in ("conll", "conllu"):
        raise UsageError(f"--scheme rewrites CoNLL tags; --to {target} writes entities, which have no tag scheme")
    names = tuple(label_names) if label_names is not None else None
    read = ReadOptions(sep=sep, token_col=token_col, tag_col=tag_col, on_error=on_error, align=align, label_names=names,
                       annotation=annotation, data_key=data_key, conllu_key=conllu_key)
    # one writer for every input: a page's legend shows all their types
    writer = make_writer(target, WriteOptions(scheme=scheme, token_col=token_col, tag_col=tag_col, redact_char=redact_char,
                                              label_names=names, directory=directory, data_key=data_key, config=ls_config,
                                              conllu_key=conllu_key))
    yield writer.header()
    join = Joiner(writer.separator)
    unannotated = annotated = left_out = empty = boundaries = 0
    for path in paths:
        yield join.next_input(writer.blocks)
        fmt, items, _ = read_records(path, source, read, on_format)
        for item in items:
            if declined(item) and target != "jsonl":
                left_out += 1  # rejected or skipped in annotate: not gold (JSONL keeps the answer with it)
                continue
            if isinstance(item, Doc) and FORMATS[fmt].annotated:
                if item.spans is not None:
                    annotated += 1
                elif not writer.holds_unannotated:
                    unannotated += 1  # written as gold it would say "no entities here"
                    continue
                else:
                    unannotated += 1
            if isinstance(item, Sentence) and item.tags is not None:
                check_tags(item.tags, item.path, item.line)
                if label_map is not None:
                    item = dataclasses.replace(item, tags=tuple(label_map.tags(item.tags)))
            elif isinstance(item, Doc) and item.spans is not None and label_map is not None:
                item = dataclasses.replace(item, spans=tuple(label_map.spans(item.spans)))
            if getattr(item, "kind", None) == "docstart" and target not in ("conll", "conllu", "jsonl"):
                boundaries += 1  # CoNLL's document boundary: the target has no place for one
            if isinstance(item, Doc) and not item.tokens and writer.blocks and (item.text or "conll" not in item.record):
                empty += 1  # a record without a word: CoNLL has no sentence to hold it
            yield join([writer.write(item, None)])
        yield join([writer.close()])
    yield writer.footer()
    if boundaries and on_note is not None:
        on_note(f"{boundaries} -DOCSTART- line{'s' if boundaries > 1 else ''} left out: {target} has no document boundary "
                "(each sentence is a record of its own there; --to jsonl keeps them)")
    if empty and on_note is not None:
        on_note(f"{empty} record{'s' if empty > 1 else ''} without a word (empty text) left out: {target} has no sentence "
                "to hold one")
    if left_out and on_note is not None:
        on_note(f'{left_out} records answered "reject" or "ignore" (nerpipe annotate) are left out: not gold')
    if unannotated and on_note is not None:
        if not writer.holds_unannotated:
            on_note(f"{unannotated} records have no annotation (not labelled yet): left out, since {target} would write "
                    "them as gold without entities")
        elif annotated and target == "conll":
            on_note(f"{unannotated} records have no annotation (not labelled yet): written as tokens without a tag "
                    "column, where train and score stop; label them or leave them out")
