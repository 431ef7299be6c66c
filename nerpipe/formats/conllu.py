"""CoNLL-U (Universal Dependencies) with the entity tag in MISC (no torch).

A sentence is comment lines (``# sent_id``, ``# text``, ...), then one line per word
or multiword token or empty node, ten tab-separated columns, then a blank line. The
entity tag of a word is a ``KEY=TAG`` entry of its MISC column (``NER=B-PER`` unless
another key is given), any tag scheme; a word without one is outside every entity,
and a sentence where no word has one is not annotated.

Each sentence is one record. Its tokens are its words (integer ids: a multiword
token's line, ``1-2``, and an empty node's, ``8.1``, are kept but not tagged); its text
is ``# text`` when the words can be found in it in order, else the words joined by
spaces (none after ``SpaceAfter=No``). Every line travels with the record, so writing
CoNLL-U gives each line back as it was but for the key in MISC, set to the entity's
tag (the model's for ``tag``, the record's own for ``convert``); other entries keep
their order. Records of other formats are written as sentences with ``# text`` and the
words' FORM and MISC columns (``_`` elsewhere).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..errors import NerpipeError
from ..schemes import Scheme, check_tag, detect_scheme, spans_to_tags, tags_to_spans
from .conll import has_docstart
from .doc import Doc, annotation_spans, check_written_labels, make_doc
from .jsonl import as_doc
from .source import BOM, OnError, Unreadable, strip_eol
from .writer import Writer

KEY = "NER"
_WORD_ID = re.compile(r"[1-9]\d*$")
_OTHER_ID = re.compile(r"(\d+-\d+|\d+\.\d+)$")
EXAMPLE = ("# sent_id = 1\n# text = Angela Merkel visited Paris.\n"
           "1\tAngela\tAngela\tPROPN\t_\t_\t3\tnsubj\t_\tNER=B-PER\n"
           "2\tMerkel\tMerkel\tPROPN\t_\t_\t1\tflat\t_\tNER=I-PER\n"
           "3\tvisited\tvisit\tVERB\t_\t_\t0\troot\t_\tNER=O\n"
           "4\tParis\tParis\tPROPN\t_\t_\t3\tobj\t_\tNER=B-LOC|SpaceAfter=No\n"
           "5\t.\t.\tPUNCT\t_\t_\t3\tpunct\t_\tNER=O\n\n")


def parse_conllu(lines: Iterable[tuple[int, str]], name: str, key: str = KEY, on_error: OnError | None = None,
                 align: str = "strict") -> Iterator[Doc]:
    block: list[tuple[int, str]] = []  # the sentence's lines (with their numbers), and the blank ones after it
    ended = False  # the block's sentence has had its blank line
    broken = False  # a line of the block could not be decoded (reported already)

    def flush() -> Iterator[Doc]:
        nonlocal broken
        if block and not broken:
            try:
                yield _sentence(block, name, key, align)
            except NerpipeError as err:
                if on_error is None:
                    raise
                on_error(err)
        block.clear()
        broken = False

    for lineno, raw in lines:
        if isinstance(raw, Unreadable):
            broken = True
            continue
        blank = not raw.strip(" \t\r\n" + BOM)
        if not blank and ended:
            yield from flush()
            ended = False
        block.append((lineno, raw))
        ended = ended or (blank and any(_is_token(r) for _, r in block))
    yield from flush()


def _is_token(raw: str) -> bool:
    return bool(raw.strip()) and not raw.lstrip(BOM).startswith("#")


def _sentence(block: list[tuple[int, str]], name: str, key: str, align: str) -> Doc:
    words: list[tuple[int, str, str | None, bool]] = []  # (index in block, form, tag, space after)
    text_comment, sent_id = None, None
    for k, (lineno, raw) in enumerate(block):
        body = raw.rstrip("\r\n").lstrip(BOM) if k == 0 else raw.rstrip("\r\n")
        if not body.strip():
            continue
        if body.startswith("#"):
            label, _, value = body[1:].partition("=")
            if label.strip() == "text" and _:
                text_comment = value.strip()
            elif label.strip() == "sent_id" and _:
                sent_id = value.strip()
            continue
        cols = body.split("\t")
        if len(cols) != 10:
            raise NerpipeError(f"expected 10 tab-separated columns (CoNLL-U), found {len(cols)}", name, lineno)
        if _OTHER_ID.match(cols[0]):
            continue  # a multiword token or an empty node: kept, not tagged
        if not _WORD_ID.match(cols[0]):
            raise NerpipeError(f"ID {cols[0]!r} is not a word id (1, 2, ...), a range (1-2) or an empty node (1.1)",
                               name, lineno)
        misc = cols[9].split("|") if cols[9] != "_" else []
        tag = next((entry[len(key) + 1:] for entry in misc if entry.startswith(key + "=")), None)
        if tag is not None:
            check_tag(tag, name, lineno, f"the {key}= entry of MISC")
        words.append((k, cols[1], tag, "SpaceAfter=No" not in misc))
    first = block[0][0]
    if not words:
        raise NerpipeError("a sentence without words (CoNLL-U)", name, first)
    forms = [w[1] for w in words]
    offsets = _find(text_comment, forms) if text_comment is not None else None
    text = text_comment if offsets is not None else None
    if text is None:
        parts, offsets, cursor = [], [], 0
        for (_, form, _, space), last in zip(words, [False] * (len(words) - 1) + [True]):
            offsets.append((cursor, cursor + len(form)))
            parts.append(form + (" " if space and not last else ""))
            cursor += len(parts[-1])
        text = "".join(parts)
    tagged = any(w[2] is not None for w in words)
    tags = [w[2] or "O" for w in words]
    spans = tags_to_spans(tags) if tagged else None
    record: dict[str, Any] = {"meta": {"file": name, "line": first}}
    if sent_id is not None:
        record["id"] = sent_id
    # the scheme the tags are in, so that the record's own tags are written back in it (IOB2 unless they say otherwise)
    scheme = detect_scheme([tags]) if tagged else None
    extra = {"conllu": {"lines": [raw for _, raw in block], "words": [w[0] for w in words], "scheme": scheme}}
    return make_doc(text, record, name, first, offsets, None, spans, align, split=False, extra=extra)


def _find(text: str, forms: Sequence[str]) -> list[tuple[int, int]] | None:
    """Each form's offsets in ``text``, in order with only spaces between; None where they are not."""
    out, cursor = [], 0
    for form in forms:
        while cursor < len(text) and text[cursor].isspace():
            cursor += 1
        if not form or not text.startswith(form, cursor):
            return None
        out.append((cursor, cursor + len(form)))
        cursor += len(form)
    return out if not text[cursor:].strip() else None


def _comment(line: str) -> str:
    """A CoNLL comment line as a CoNLL-U one: ``#`` first, one line."""
    return strip_eol(line.lstrip(BOM))[0].rstrip() + "\n"


class ConlluWriter(Writer):
    blocks = True

    def __init__(self, key: str = KEY, scheme: Scheme | None = None):
        self.key = key
        self.scheme = scheme  # None: a CoNLL-U record's own tags in their scheme, others in IOB2
        self.newdoc = False  # a CoNLL -DOCSTART- came: the next sentence written afresh opens with "# newdoc"
        self.comments: list[str] = []  # CoNLL's comment lines since the last sentence: the next one's comments

    def write(self, item, annotations) -> str:
        doc = as_doc(item)
        if doc is None:
            # CoNLL's blank and -DOCSTART- lines: a CoNLL-U sentence has its own; a document
            # boundary is kept, as "# newdoc", and a comment as a comment of the next sentence
            self.newdoc = self.newdoc or getattr(item, "kind", None) == "docstart"
            if getattr(item, "kind", None) == "comment":
                self.comments.append(_comment(item.text))
            return ""
        before = (doc.record.get("conll") or {}).get("before") if isinstance(doc.record, dict) else None
        if has_docstart(before):
            self.newdoc = True  # (a CoNLL sentence as JSONL carries the lines before it)
        if isinstance(before, list):
            self.comments += [_comment(line) for line in before if isinstance(line, str) and line.lstrip(BOM).startswith("#")]
        if not doc.tokens:
            return ""  # (CoNLL's lines after its last sentence, as JSONL: a comment there belongs to no sentence)
        spans = list(doc.spans or []) if annotations is None else annotation_spans(doc, annotations)[0]
        check_written_labels(spans, doc.path, doc.line, tags=True)
        known = doc.extra.get("conllu")
        scheme = self.scheme or (known and annotations is None and known.get("scheme")) or Scheme.IOB2
        tags = spans_to_tags(spans, len(doc.tokens), scheme)
        if known is not None:
            return self._rewrite(known["lines"], known["words"], tags, doc.spans is None and annotations is None,
                                 annotations is None)
        return self._fresh(doc, tags, annotations is None and doc.spans is None)

    def _rewrite(self, lines: Sequence[str], words: Sequence[int], tags: Sequence[str], untouched: bool, sparse: bool) -> str:
        """``sparse``: a word outside every entity keeps a MISC without the key as it was (its own annotation)."""
        if untouched:
            return "".join(lines)  # (not annotated, and nothing to add)
        out = list(lines)
        for k, tag in zip(words, tags):
            body = out[k].rstrip("\r\n")
            cols = body.split("\t")
            if sparse and tag == "O" and not any(e.startswith(self.key + "=") for e in cols[9].split("|")):
                continue
            cols[9] = self._misc(cols[9], tag)
            out[k] = "\t".join(cols) + out[k][len(body):]
        return "".join(out)

    def _misc(self, misc: str, tag: str) -> str:
        entries = misc.split("|") if misc != "_" else []
        prefix = self.key + "="
        for i, entry in enumerate(entries):
            if entry.startswith(prefix):
                entries[i] = prefix + tag
                return "|".join(entries)
        return "|".join([prefix + tag, *entries])

    def _fresh(self, doc: Doc, tags: Sequence[str], untagged: bool) -> str:
        out: list[str] = []
        k = 0
        if self.newdoc:
            out.append("# newdoc\n")
            self.newdoc = False
        out += self.comments
        self.comments = []
        own = doc.record.get("id")  # the record's id (JSONL, doccano, a CoNLL-U sentence's through JSONL), else where it is
        base = str(own) if isinstance(own, (str, int)) and not isinstance(own, bool) and str(own).strip() \
            else f"{doc.path}:{doc.line}"
        for number, n in enumerate(doc.sentence_lengths, 1):
            tokens = doc.tokens[k : k + n]
            start, end = tokens[0][0], tokens[-1][1]
            out.append(f"# sent_id = {' '.join(base.split())}" + (f"-{number}" if len(doc.sentence_lengths) > 1 else "") + "\n")
            out.append(f"# text = {' '.join(doc.text[start:end].split())}\n")
            for i, (s, e) in enumerate(tokens):
                misc = [] if untagged else [f"{self.key}={tags[k + i]}"]
                if i + 1 < n and tokens[i + 1][0] == e:
                    misc.append("SpaceAfter=No")
                form = re.sub(r"\s", " ", doc.text[s:e])  # a FORM may hold spaces, but no tab or line break
                out.append(f"{i + 1}\t{form}\t_\t_\t_\t_\t_\t_\t_\t{'|'.join(misc) or '_'}\n")
            out.append("\n")
            k += n
        return "".join(out)
