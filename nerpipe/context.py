"""Document context: mentions of one name in a document should agree (no torch).

The tagger reads each sentence alone; a document names "Angela Merkel" in one
sentence and "Merkel" in another, or a company as ORG here and LOC there. After a
first pass over a whole document, :func:`document_names` gathers the names the model
was sure of (its confident mentions, and the last word of a multi-word one: a surname,
"Merkel" after "Angela Merkel") with the type they were given, and :func:`name_hints`
finds them again in every sentence of the document. The tagger then decodes the
sentences where they disagree once more, with a bonus on the tags of the document's
type over each mention (a soft hint inside the CRF, not an overwrite): the sentence's
own evidence can still outvote the document.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

MAX_NAME_TOKENS = 6


@dataclass(frozen=True)
class ContextOptions:
    """How document context is used; the defaults were chosen on CoNLL-2003 valid.txt."""

    confident: float = 0.9  # a mention counts as evidence at this score or more
    bonus: float = 2.0  # added to the tags of the document's type over each mention
    last_word: bool = True  # the last word of a multi-word name counts too, with half its weight
    agree: float = 0.7  # a name's type must carry at least this share of its evidence


def _key(tokens: Sequence[str]) -> tuple[str, ...]:
    return tuple(t.lower() for t in tokens)


def _is_name(key: tuple[str, ...]) -> bool:
    """Evidence worth spreading: a name with a letter in it, not a lone short word."""
    text = "".join(key)
    return any(c.isalpha() for c in text) and (len(key) > 1 or len(text) > 2)


def document_names(sentences: Sequence[Sequence[str]], spans: Sequence[Sequence[tuple[int, int, str]]],
                   scores: Sequence[Sequence[float]], options: ContextOptions = ContextOptions()) -> dict[tuple[str, ...], str]:
    """The names of a document (lower-cased token tuples) and the type its confident
    mentions agree on; a name whose mentions disagree too much is left out."""
    votes: dict[tuple[str, ...], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for tokens, own, own_scores in zip(sentences, spans, scores):
        for (start, end, label), score in zip(own, own_scores):
            if score < options.confident or end - start > MAX_NAME_TOKENS:
                continue
            key = _key(tokens[start:end])
            if _is_name(key):
                votes[key][label] += score
            if options.last_word and end - start > 1 and _is_name(key[-1:]):
                votes[key[-1:]][label] += score / 2
    names = {}
    for key, by_label in votes.items():
        label, weight = max(by_label.items(), key=lambda kv: kv[1])
        if weight >= options.agree * sum(by_label.values()):
            names[key] = label
    return names


def name_hints(tokens: Sequence[str], names: dict[tuple[str, ...], str], bonus: float,
               starts: dict[str, tuple[int, ...]] | None = None) -> list[tuple[int, int, str, float]]:
    """Where ``names`` occur in a sentence (longest first, not overlapping), as soft hints
    ``(start, end, label, bonus)`` for :func:`nerpipe.decoding.hint_bias`. ``starts``:
    :func:`name_starts` of ``names``, when a document's sentences are looked at in turn."""
    if not names:
        return []
    if starts is None:
        starts = name_starts(names)
    key = _key(tokens)
    out = []
    i = 0
    while i < len(key):
        for n in starts.get(key[i], ()):
            label = names.get(key[i : i + n]) if i + n <= len(key) else None
            if label is not None:
                out.append((i, i + n, label, bonus))
                i += n
                break
        else:
            i += 1
    return out


def name_starts(names: dict[tuple[str, ...], str]) -> dict[str, tuple[int, ...]]:
    """The lengths of the names starting with each word, longest first."""
    lengths: dict[str, set[int]] = defaultdict(set)
    for key in names:
        lengths[key[0]].add(len(key))
    return {word: tuple(sorted(n, reverse=True)) for word, n in lengths.items()}
