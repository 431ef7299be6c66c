"""Turn CoNLL-2003 tokens back into plain text, with each token's character offsets.

Used by the benchmarks to feed test sentences as raw text: spaces are dropped before
closing punctuation and clitics and after opening brackets, as in running newswire.
"""

from __future__ import annotations

NO_SPACE_BEFORE = {".", ",", ";", ":", "!", "?", ")", "]", "}", "%", "'s", "'S", "n't", "N'T", "'re", "'ve", "'ll", "'d", "'m"}
NO_SPACE_AFTER = {"(", "[", "{", "$"}


def detokenize(tokens) -> tuple[str, list[tuple[int, int]]]:
    """The text and the ``(start, end)`` of every token in it."""
    parts: list[str] = []
    offsets = []
    cursor = 0
    quote_open = False
    previous = None
    for tok in tokens:
        space = bool(parts)
        if tok in NO_SPACE_BEFORE or previous in NO_SPACE_AFTER:
            space = False
        if tok == '"':
            if quote_open:
                space = False
            quote_open = not quote_open
        elif previous == '"' and quote_open:
            space = False
        if space:
            parts.append(" ")
            cursor += 1
        offsets.append((cursor, cursor + len(tok)))
        parts.append(tok)
        cursor += len(tok)
        previous = tok
    return "".join(parts), offsets
