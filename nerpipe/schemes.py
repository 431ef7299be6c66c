"""Tag schemes: IOB1, IOB2 (BIO), IOBES (BIOES) and BILOU (no torch).

A *tag* is ``B-PER``, a *label* is ``PER`` and a *span* is ``(start, end, label)``
over token positions with ``end`` exclusive. Labels may contain hyphens
(``B-creative-work`` has the label ``creative-work``): only the first hyphen
separates prefix and label.

Reading tags is lenient in the way conlleval is: an ``I-X`` after ``O`` or after
another label starts a new entity, so ill-formed sequences still give spans.
Writing tags (:func:`spans_to_tags`) always gives a well-formed sequence.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

from .errors import NerpipeError

Span = tuple[int, int, str]


class Scheme(str, enum.Enum):
    IOB1 = "iob1"
    IOB2 = "iob2"
    IOBES = "iobes"
    BILOU = "bilou"

    @classmethod
    def parse(cls, name: str) -> Scheme:
        aliases = {"bio": "iob2", "bioes": "iobes", "bioul": "bilou", "iob": "iob2"}
        key = name.strip().lower()
        try:
            return cls(aliases.get(key, key))
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise NerpipeError(f"unknown tag scheme {name!r} (expected one of {names})") from None


SCHEME_NAMES = [scheme.value for scheme in Scheme]  # as options spell them: iob1, iob2, iobes, bilou


# Prefixes that can appear in each scheme's tags.
PREFIXES = {
    Scheme.IOB1: "BI",
    Scheme.IOB2: "BI",
    Scheme.IOBES: "BIES",
    Scheme.BILOU: "BILU",
}
_SINGLE = {Scheme.IOBES: "S", Scheme.BILOU: "U"}
_LAST = {Scheme.IOBES: "E", Scheme.BILOU: "L"}


def split_tag(tag: str) -> tuple[str, str]:
    """``"B-PER"`` -> ``("B", "PER")``; ``"O"`` -> ``("O", "")``."""
    prefix, _, label = tag.partition("-")
    return prefix, label


def is_valid_tag(tag: str) -> bool:
    """True for ``O`` and for ``P-LABEL`` with P one of B, I, E, S, L, U."""
    if tag == "O":
        return True
    prefix, sep, label = tag.partition("-")
    return bool(sep) and len(prefix) == 1 and prefix in "BIESLU" and label != "" and not any(
        c.isspace() for c in label
    )


def looks_like_tag(label: str) -> bool:
    """Whether an entity label is written as a tag (``B-PER``, ``I-PER``): a mistake wherever a
    label belongs. Only B- and I-, which every scheme has (E-, S-, L-, U- begin real names:
    ``E-MAIL``)."""
    return label[:2] in ("B-", "I-") and len(label) > 2


def labels_of_tags(tags: Iterable[str]) -> list[str]:
    """The entity labels of ``tags`` (``B-PER`` -> ``PER``), each once, in order of first use."""
    return list(dict.fromkeys(split_tag(t)[1] for t in tags if t != "O"))


def check_tag(tag: str, path: str | None = None, line: int | None = None, hint: str = "is --tag-col right?") -> str:
    """Return ``tag`` or raise a :class:`NerpipeError` saying why it fits no scheme, and ``hint``."""
    if not is_valid_tag(tag):
        raise NerpipeError(
            f"tag {tag!r} fits no tag scheme (expected O or B-, I-, E-, S-, L-, U- followed by a label; {hint})",
            path,
            line,
        )
    return tag


def check_tags(tags: Sequence[str], path: str | None = None, line: int | None = None,
               hint: str = "is --tag-col right?") -> Sequence[str]:
    """Return ``tags``, one a line from ``line`` on (CoNLL), or raise as :func:`check_tag`
    does for the first that fits no scheme."""
    for i, tag in enumerate(tags):
        check_tag(tag, path, None if line is None else line + i, hint)
    return tags


def tags_to_spans(tags: Sequence[str]) -> list[Span]:
    """Entities in a tag sequence of any scheme, read leniently.

    B/S/U always start an entity; I/E/L continue the open entity of the same
    label and start a new one otherwise (conlleval's rule for stray ``I-X``);
    E/L/S/U close the entity after their token.
    """
    return parts_to_spans([split_tag(tag) for tag in tags])


def parts_to_spans(parts: Sequence[tuple[str, str]]) -> list[Span]:
    """:func:`tags_to_spans` over tags already split into ``(prefix, label)``."""
    spans: list[Span] = []
    start, label, closed = -1, "", True
    for i, (prefix, lab) in enumerate(parts):
        if prefix == "O" or not lab:
            if not closed:
                spans.append((start, i, label))
            closed = True
            continue
        if prefix in "BSU" or closed or lab != label:
            if not closed:
                spans.append((start, i, label))
            start, label, closed = i, lab, False
        if prefix in "ESLU":
            spans.append((start, i + 1, label))
            closed = True
    if not closed:
        spans.append((start, len(parts), label))
    return spans


def spans_to_tags(spans: Iterable[Span], length: int, scheme: Scheme) -> list[str]:
    """The well-formed tag sequence of ``length`` tokens holding ``spans``.

    Spans must not overlap; a span whose end does not exceed its start is an error.
    """
    tags = ["O"] * length
    previous_end, previous_label = -1, None
    for start, end, label in sorted(spans):
        if not 0 <= start < end <= length:
            raise ValueError(f"expected 0 <= start < end <= {length}, got span {(start, end, label)}")
        if start < previous_end:
            raise ValueError(f"expected non-overlapping spans, got {(start, end, label)}")
        if scheme is Scheme.IOB1:
            first = "B" if (start == previous_end and label == previous_label) else "I"
            tags[start] = f"{first}-{label}"
            for i in range(start + 1, end):
                tags[i] = f"I-{label}"
        elif scheme is Scheme.IOB2:
            tags[start] = f"B-{label}"
            for i in range(start + 1, end):
                tags[i] = f"I-{label}"
        else:
            if end - start == 1:
                tags[start] = f"{_SINGLE[scheme]}-{label}"
            else:
                tags[start] = f"B-{label}"
                for i in range(start + 1, end - 1):
                    tags[i] = f"I-{label}"
                tags[end - 1] = f"{_LAST[scheme]}-{label}"
        previous_end, previous_label = end, label
    return tags


def convert_tags(tags: Sequence[str], scheme: Scheme) -> list[str]:
    """Re-express ``tags`` (any scheme, read leniently) in ``scheme``."""
    return spans_to_tags(tags_to_spans(tags), len(tags), scheme)


def detect_scheme(sentences: Iterable[Sequence[str]]) -> Scheme:
    """Guess the scheme of some tag sequences from the prefixes they use.

    E/S -> IOBES; L/U -> BILOU; otherwise IOB1 when some entity starts with I
    and every B follows an entity of its own label, else IOB2.
    """
    seen: set[str] = set()
    iob1_evidence = False
    b_after_other = False
    for tags in sentences:
        previous = "O"
        for tag in tags:
            prefix, label = split_tag(tag)
            seen.add(prefix)
            prev_prefix, prev_label = split_tag(previous)
            if prefix == "I" and (prev_prefix == "O" or prev_label != label):
                iob1_evidence = True
            if prefix == "B" and (prev_prefix == "O" or prev_label != label):
                b_after_other = True
            previous = tag
    if seen & {"E", "S"}:
        return Scheme.IOBES
    if seen & {"L", "U"}:
        return Scheme.BILOU
    if iob1_evidence and not b_after_other:
        return Scheme.IOB1
    return Scheme.IOB2


def scheme_tags(labels: Iterable[str], scheme: Scheme) -> list[str]:
    """Every tag of ``scheme`` over ``labels``, ``O`` first, in a stable order."""
    tags = ["O"]
    for label in sorted(set(labels)):
        tags.extend(f"{p}-{label}" for p in PREFIXES[scheme])
    return tags


def is_transition_allowed(scheme: Scheme, previous: str | None, current: str | None) -> bool:
    """May ``current`` follow ``previous`` in a well-formed ``scheme`` sequence?

    ``previous=None`` asks whether a sentence may start with ``current``;
    ``current=None`` whether one may end with ``previous``.
    """
    p_prefix, p_label = split_tag(previous) if previous is not None else ("START", "")
    c_prefix, c_label = split_tag(current) if current is not None else ("END", "")
    same = p_label == c_label
    if scheme in (Scheme.IOB1, Scheme.IOB2):
        if c_prefix == "I":
            return scheme is Scheme.IOB1 or (p_prefix in ("B", "I") and same)
        if c_prefix == "B":
            return scheme is Scheme.IOB2 or (p_prefix in ("B", "I") and same)
        return c_prefix in ("O", "END")
    single, last = _SINGLE[scheme], _LAST[scheme]
    inside = p_prefix in ("B", "I")  # an entity is open after previous
    if c_prefix in ("I", last):
        return inside and same
    if c_prefix in ("O", "B", single, "END"):
        return not inside
    return False
