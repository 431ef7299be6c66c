"""Casing variants of text, for training models that hold up when text is not cased like news (no torch).

Chat, transcripts and search queries come lower-cased, headlines in capitals or with
every word capitalised. A model trained on news learns that a capital letter means a
name, and finds nothing in ``omg just saw taylor swift``. Training on copies of the
data in each casing (Mayhew, Tsygankova and Roth, EMNLP 2019) teaches it to use capitals
when they are there and to do without when they are not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .errors import UsageError


def headline(token: str) -> str:
    """Headline style: the first letter upper-cased, the rest as written (``iPhone`` -> ``IPhone``)."""
    return token[:1].upper() + token[1:]


def _as_written(token: str) -> str:
    return token


CASE_VARIANTS: dict[str, Callable[[str], str]] = {
    "cased": _as_written,  # the text as written
    "lower": str.lower,
    "upper": str.upper,
    "title": headline,
}
CASE_MIXES = ("concat", "sample", "half")


def recase(tokens: Sequence[str], variant: str) -> list[str]:
    """``tokens`` in casing ``variant`` (a key of :data:`CASE_VARIANTS`)."""
    change = CASE_VARIANTS[variant]
    return [change(t) for t in tokens]


def caseless(tokens: Sequence[str]) -> bool | None:
    """Whether ``tokens`` say nothing by their casing: every cased letter lower-case, or
    every one upper-case, or every word begun with a capital (a headline) -- such text is
    the same text in any of these casings. None where they cannot tell: no cased letter,
    or a single word, capitalised."""
    text = " ".join(tokens)
    if text.islower() or text.isupper():
        return True
    if any(t[:1].islower() for t in tokens):  # running text stops here, at its first lower-case word
        return False
    return True if sum(t.lower() != t.upper() for t in tokens) > 1 else None


def caseless_document(sentences: Sequence[Sequence[str]]) -> bool:
    """Whether a document says nothing by its casing: some sentence is :func:`caseless` and
    none is cased (each alone may be caseless in a cased document: a headline in capitals)."""
    some = False
    for sentence in sentences:
        verdict = caseless(sentence)
        if verdict is False:
            return False
        some = some or verdict is True
    return some


# the casings a caseless text is read in, its readings' scores averaged (see Tagger.read_caseless)
CASELESS_READINGS = ("lower", "upper")


def parse_case_variants(spec: str) -> tuple[str, ...]:
    """``"lower,upper,title"`` (or ``all``, or ``none``/empty) -> the variants besides ``cased``, in a fixed order."""
    names = {n.strip() for n in spec.split(",") if n.strip()} - {"none"}
    if "all" in names:
        names = (names - {"all"}) | set(CASE_VARIANTS)
    unknown = sorted(names - set(CASE_VARIANTS))
    if unknown:
        raise UsageError(f"unknown casing variant {', '.join(unknown)}; choose from {', '.join(CASE_VARIANTS)} (or all)")
    return tuple(v for v in CASE_VARIANTS if v in names and v != "cased")
