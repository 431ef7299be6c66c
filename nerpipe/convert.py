"""Format and tag-scheme conversion, streamed (no torch)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from .formats import (
    ConllReader,
    Doc,
    Marker,
    display_name,
    doc_to_json,
    format_sentence,
    open_input,
    parse_jsonl,
    sentence_to_doc,
    tokens_to_conll,
)
from .schemes import Scheme, check_tag, convert_tags, spans_to_tags, tags_to_spans
from .tokenize import tokenize


def _doc_tokens(doc: Doc) -> Doc:
    if doc.tokens is None:
        doc.tokens = tokenize(doc.text)
    return doc


def convert_files(
    paths: Sequence[str],
    source: str,
    target: str,
    scheme: Scheme | None = None,
    sep: str = "auto",
    token_col: int = 0,
    tag_col: int = -1,
) -> Iterator[str]:
    """Yield the output text of converting ``paths`` from ``source`` to ``target``."""
    reader = ConllReader(sep, token_col, tag_col)
    for path in paths:
        fmt, _, lines = open_input(path, "auto" if source == "auto" else source)
        name = display_name(path)
        if fmt == "jsonl":
            for doc in parse_jsonl(lines, name):
                doc = _doc_tokens(doc)
                spans = doc.spans or []
                if target == "jsonl":
                    yield doc_to_json(doc, spans)
                else:
                    tokens = [doc.text[s:e] for s, e in doc.tokens]
                    yield tokens_to_conll(tokens, spans_to_tags(spans, len(tokens), scheme or Scheme.IOB2))
            continue
        for item in reader.parse(lines, name):
            if isinstance(item, Marker):
                if target == "conll":
                    yield item.text
                continue
            tags = item.tags
            if tags is not None:
                for i, tag in enumerate(tags):
                    check_tag(tag, item.path, item.line + i)
            if target == "jsonl":
                yield doc_to_json(sentence_to_doc(item), tags_to_spans(tags) if tags else [])
            elif scheme is None or tags is None:
                yield format_sentence(item)
            else:
                ncols = len(item.rows[0])
                yield format_sentence(item, convert_tags(tags, scheme), replace_col=tag_col % ncols)
