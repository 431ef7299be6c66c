"""Sentences longer than the tagger's window: tagged in overlapping windows, stitched, no
token dropped, memory bounded whatever the length."""

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nerpipe.tagger import windows


@given(st.integers(1, 3000), st.integers(8, 600), st.data())
def test_windows_tile_the_sentence_and_overlap(n, window, data):
    overlap = data.draw(st.integers(0, window // 2 - 1))
    spans = windows(n, window, overlap)
    assert spans[0][1] == 0 and spans[-1][2] == n
    for (start, keep_from, keep_to), nxt in zip(spans, spans[1:] + [None]):
        assert start <= keep_from < keep_to <= min(n, start + window)
        if nxt is not None:
            assert nxt[1] == keep_to and nxt[0] == start + window - overlap  # kept regions tile, windows share overlap


@pytest.fixture(scope="module")
def tagger():
    import nerpipe

    return nerpipe.load_model()


def test_entities_across_the_cuts_are_found_as_in_one_piece(tagger):
    # no sentence end anywhere: one sentence of 500 tokens, entities every few tokens, many across window cuts
    unit = ["Angela", "Merkel", "visited", "New", "York", "City", "with", "Siemens", "and"]
    sentence = unit * 55 + ["Paris"]
    whole = tagger.predict([sentence])[0]
    # cuts every 56 tokens, each entity near one seen with at least 12 tokens on both sides (the default: 32)
    tagger.window, tagger.overlap = 80, 24
    try:
        pieces = tagger.predict([sentence, ["Anna", "Berg"]], scores=True)
    finally:
        tagger.window, tagger.overlap = 500, 64
    assert len(pieces[0].tags) == len(sentence)  # no token dropped
    assert pieces[0].spans == whole.spans and len(pieces[0].scores) == len(whole.spans)
    assert pieces[1].spans == [(0, 2, "PER")]


MEASURE = """
import resource, sys
from nerpipe.cli import main
sys.argv = ["nerpipe", "tag", "-f", "conll", "-o", sys.argv[1], sys.argv[2]]
try:
    main()
except SystemExit:
    pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


@pytest.mark.slow
def test_a_line_of_a_megabyte_without_a_sentence_end_in_bounded_memory(tmp_path):
    words = ["the", "Anna", "Berg", "visited", "Paris", "and", "met", "Siemens", "staff", "in", "Munich", "while"]
    big = " ".join(words[k % len(words)] for k in range(180_000))
    (tmp_path / "big.txt").write_text(big + "\n")
    (tmp_path / "small.txt").write_text("Anna Berg visited Paris.\n")

    def peak(name):
        out = subprocess.run([sys.executable, "-c", MEASURE, str(tmp_path / f"{name}.conll"), str(tmp_path / f"{name}.txt")],
                             capture_output=True, text=True, check=True)
        return int(out.stdout.split()[-1]) // 1024  # MB

    small, large = peak("small"), peak("big")
    tokens = [line for line in (tmp_path / "big.conll").read_text().splitlines() if line.strip()]
    assert len(tokens) == 180_000  # every token, one a line
    assert large - small < 300, (small, large)  # (whole, it took 900 MB more)
