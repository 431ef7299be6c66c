import pytest
from hypothesis import given
from strategies import any_tags, spans_and_length

from nerpipe.errors import NerpipeError
from nerpipe.schemes import (
    Scheme,
    check_tag,
    convert_tags,
    detect_scheme,
    is_transition_allowed,
    is_valid_tag,
    scheme_tags,
    spans_to_tags,
    split_tag,
    tags_to_spans,
)


def test_split_tag_keeps_hyphenated_labels():
    assert split_tag("B-creative-work") == ("B", "creative-work")
    assert split_tag("O") == ("O", "")


@pytest.mark.parametrize("tag", ["O", "B-PER", "I-creative-work", "S-X", "E-X", "L-X", "U-X"])
def test_valid_tags(tag):
    assert is_valid_tag(tag)


@pytest.mark.parametrize("tag", ["", "o", "B", "B-", "X-PER", "PER", "BB-PER", "B-P ER", "1"])
def test_invalid_tags(tag):
    assert not is_valid_tag(tag)
    with pytest.raises(NerpipeError, match="f.conll:3: tag .* fits no tag scheme"):
        check_tag(tag, "f.conll", 3)


def test_each_scheme_writes_its_own_tags():
    spans = [(0, 1, "PER"), (1, 3, "PER"), (4, 5, "LOC")]
    assert spans_to_tags(spans, 5, Scheme.IOB2) == ["B-PER", "B-PER", "I-PER", "O", "B-LOC"]
    assert spans_to_tags(spans, 5, Scheme.IOB1) == ["I-PER", "B-PER", "I-PER", "O", "I-LOC"]
    assert spans_to_tags(spans, 5, Scheme.IOBES) == ["S-PER", "B-PER", "E-PER", "O", "S-LOC"]
    assert spans_to_tags(spans, 5, Scheme.BILOU) == ["U-PER", "B-PER", "L-PER", "O", "U-LOC"]


def test_ill_formed_sequences_read_as_conlleval_does():
    # I-X after O starts an entity; I-X after B-Y starts a new one
    assert tags_to_spans(["O", "I-PER", "I-PER"]) == [(1, 3, "PER")]
    assert tags_to_spans(["B-LOC", "I-PER"]) == [(0, 1, "LOC"), (1, 2, "PER")]
    assert tags_to_spans(["B-PER", "E-PER", "I-PER"]) == [(0, 2, "PER"), (2, 3, "PER")]


def test_spans_to_tags_rejects_overlap_and_bad_bounds():
    with pytest.raises(ValueError):
        spans_to_tags([(0, 2, "A"), (1, 3, "B")], 3, Scheme.IOB2)
    with pytest.raises(ValueError):
        spans_to_tags([(2, 2, "A")], 3, Scheme.IOB2)


@given(spans_and_length())
def test_spans_survive_every_scheme(case):
    spans, n = case
    for scheme in Scheme:
        assert tags_to_spans(spans_to_tags(spans, n, scheme)) == spans


@given(any_tags())
def test_conversions_round_trip(tags):
    iob2 = convert_tags(tags, Scheme.IOB2)
    for scheme in Scheme:
        assert convert_tags(convert_tags(iob2, scheme), Scheme.IOB2) == iob2


@given(spans_and_length())
def test_written_sequences_use_only_allowed_transitions(case):
    spans, n = case
    for scheme in Scheme:
        tags = spans_to_tags(spans, n, scheme)
        path = [None, *tags, None]
        for prev, cur in zip(path, path[1:]):
            if prev is None and cur is None:
                continue
            assert is_transition_allowed(scheme, prev, cur), (scheme, prev, cur, tags)


def test_forbidden_transitions():
    assert not is_transition_allowed(Scheme.IOB2, "O", "I-PER")
    assert not is_transition_allowed(Scheme.IOB2, None, "I-PER")
    assert not is_transition_allowed(Scheme.IOB2, "B-LOC", "I-PER")
    assert is_transition_allowed(Scheme.IOB1, "O", "I-PER")
    assert not is_transition_allowed(Scheme.IOB1, "O", "B-PER")
    assert not is_transition_allowed(Scheme.IOBES, "B-PER", "O")
    assert not is_transition_allowed(Scheme.IOBES, "B-PER", None)
    assert not is_transition_allowed(Scheme.IOBES, "I-PER", "E-LOC")
    assert not is_transition_allowed(Scheme.BILOU, "U-PER", "L-PER")
    assert is_transition_allowed(Scheme.BILOU, "B-PER", "L-PER")


@pytest.mark.parametrize(
    "sentences, scheme",
    [
        ([["B-PER", "I-PER", "O"]], Scheme.IOB2),
        ([["I-PER", "I-PER", "B-PER", "O"]], Scheme.IOB1),
        ([["S-PER", "O"]], Scheme.IOBES),
        ([["U-PER", "B-LOC", "L-LOC"]], Scheme.BILOU),
        ([["O"]], Scheme.IOB2),
    ],
)
def test_detect_scheme(sentences, scheme):
    assert detect_scheme(sentences) is scheme


def test_scheme_tags_and_parse():
    assert scheme_tags(["PER"], Scheme.IOBES) == ["O", "B-PER", "I-PER", "E-PER", "S-PER"]
    assert Scheme.parse("BIO") is Scheme.IOB2
    with pytest.raises(NerpipeError, match="unknown tag scheme"):
        Scheme.parse("iob3")
