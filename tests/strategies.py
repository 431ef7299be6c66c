"""Hypothesis strategies shared by the tests."""

from hypothesis import strategies as st

LABELS = ["PER", "LOC", "creative-work"]


@st.composite
def spans_and_length(draw, labels=LABELS, max_len=12):
    """Non-overlapping spans over a sentence of n tokens."""
    n = draw(st.integers(0, max_len))
    spans, i = [], 0
    while i < n:
        if draw(st.booleans()):
            end = draw(st.integers(i + 1, n))
            spans.append((i, end, draw(st.sampled_from(labels))))
            i = end
        else:
            i += 1
    return spans, n


def any_tags(labels=("PER", "LOC", "creative-work"), prefixes="BIESLU", max_len=12):
    """Arbitrary, possibly ill-formed tag sequences."""
    tag = st.one_of(st.just("O"), st.builds(lambda p, l: f"{p}-{l}", st.sampled_from(prefixes), st.sampled_from(labels)))
    return st.lists(tag, max_size=max_len)
