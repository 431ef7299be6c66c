import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerpipe.errors import UsageError
from nerpipe.recase import CASE_VARIANTS, headline, parse_case_variants, recase


def test_variants_change_only_the_case():
    tokens = ["Angela", "Merkel", "visited", "the", "U.S.", "iPhone", "3-1"]
    assert recase(tokens, "cased") == tokens
    assert recase(tokens, "lower") == ["angela", "merkel", "visited", "the", "u.s.", "iphone", "3-1"]
    assert recase(tokens, "upper") == ["ANGELA", "MERKEL", "VISITED", "THE", "U.S.", "IPHONE", "3-1"]
    assert recase(tokens, "title") == ["Angela", "Merkel", "Visited", "The", "U.S.", "IPhone", "3-1"]


def test_headline_keeps_the_rest_of_the_token():
    assert headline("nATO") == "NATO"
    assert headline("") == ""
    assert headline("élan") == "Élan"


def test_parse_case_variants():
    assert parse_case_variants("") == ()
    assert parse_case_variants("none") == ()
    assert parse_case_variants("title, lower") == ("lower", "title")  # a fixed order, whatever the spelling
    assert parse_case_variants("all") == ("lower", "upper", "title")
    assert parse_case_variants("cased,upper") == ("upper",)
    assert set(CASE_VARIANTS) == {"cased", "lower", "upper", "title"}
    with pytest.raises(UsageError, match="unknown casing variant shouty; choose from cased, lower, upper, title"):
        parse_case_variants("lower,shouty")


def test_sentence_case():
    from nerpipe.vocab import SENTENCE_CASES, sentence_casing

    cases = {
        ("Angela", "Merkel", "met", "the", "Pope", "."): "mixed",
        ("omg", "just", "saw", "taylor", "swift", "3-1"): "lower",
        ("TESLA", "SHARES", "PLUNGE", "'S", "3-1"): "upper",
        ("Tesla", "Shares", "Plunge", "After", "Musk", "Quits", "."): "title",
        ("Paris",): "mixed",  # one word says nothing about the sentence
        ("3", "-", "1"): "mixed",
    }
    for tokens, expected in cases.items():
        assert SENTENCE_CASES[sentence_casing(tokens)] == expected, tokens


# letters whose case maps are odd: final sigma, dotted I, sharp s, titlecase digraphs, ligatures; and
# characters with no case: digits, marks, CJK, symbols
ODD_CASE = "aAzZσςΣİıiIßẞǅǄǆﬁ0123456789-.'ÉéÇçΑΩ日本́ "


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.text(alphabet=ODD_CASE, min_size=1, max_size=5).filter(lambda t: t.strip() == t and t),
                         min_size=1, max_size=7), min_size=1, max_size=6))
def test_sentence_casings_of_a_batch_read_each_sentence_as_sentence_casing_does(sentences):
    import numpy as np

    from nerpipe.vocab import casing_bits, sentence_casing, sentence_casings

    bits = np.array([casing_bits(t) for s in sentences for t in s], dtype=np.int64)
    lengths = np.array([len(s) for s in sentences])
    assert sentence_casings(bits, lengths).tolist() == [sentence_casing(s) for s in sentences]


def test_caseless():
    from nerpipe.recase import caseless, caseless_document

    assert caseless(["omg", "just", "saw", "taylor", "swift", "3-1"]) is True
    assert caseless(["TESLA", "SHARES", "PLUNGE", "3-1"]) is True
    assert caseless(["Tesla", "Shares", "Plunge", "After", "Musk", "Quits", "(", "3-1", ")"]) is True
    assert caseless(["Angela", "Merkel", "met", "the", "Pope", "."]) is False
    assert caseless(["Tesla", "Shares", "iPhone"]) is False  # a word begun in lower case: written, not a headline
    assert caseless(["Paris"]) is None  # one capitalised word cannot tell
    assert caseless(["iPhone"]) is False
    assert caseless(["3", "-", "1"]) is None
    assert caseless(["ÉLAN", "ÇA"]) is True and caseless(["élan"]) is True
    # a document is caseless when no sentence of it is cased and some sentence is caseless
    headline, body = ["SOCCER", "-", "JAPAN", "WIN"], ["Japan", "beat", "Syria", "2-1", "."]
    assert not caseless_document([headline, body])  # a cased text with a headline in capitals
    assert caseless_document([headline, [t.upper() for t in body], ["3", "-", "1"], ["PARIS"]])
    assert caseless_document([[t.lower() for t in headline], ["Paris"]])  # the one word says nothing
    assert not caseless_document([["Paris"], ["1996-08-22"]])
    assert not caseless_document([])
