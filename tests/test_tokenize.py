import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nerpipe.tokenize import INVISIBLE, tokenize, tokenize_sentences


def words(text):
    return [text[s:e] for s, e in tokenize(text)]


@pytest.mark.parametrize("text, expected", [
    ("U.S. officials didn't say.", ["U.S.", "officials", "did", "n't", "say", "."]),
    ("John's Acme Inc. rose 1,000.50 points", ["John", "'s", "Acme", "Inc.", "rose", "1,000.50", "points"]),
    ("Saudi-led AT&T O'Neill won 3-1.", ["Saudi-led", "AT&T", "O'Neill", "won", "3-1", "."]),
    ('He said "no" (twice)...', ["He", "said", '"', "no", '"', "(", "twice", ")", "..."]),
    ("See https://example.com/a?b=1, then mail a.b@example.org.",
     ["See", "https://example.com/a?b=1", ",", "then", "mail", "a.b@example.org", "."]),
    ("Café e\u0301te\u0301 👍🏽 ok", ["Café", "e\u0301te\u0301", "👍🏽", "ok"]),
    ("tab\there\r\nnext", ["tab", "here", "next"]),
])
def test_conll_style_tokens(text, expected):
    assert words(text) == expected


INVISIBLE_CHARS = set("\u00ad\u200c\u200d\u200e\u200f\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
SKIPPED = re.compile(r"[\s\u200b" + INVISIBLE + "]*")  # white space, zero-width spaces, lone invisibles


@given(st.text(max_size=80) | st.text(alphabet="ab .\u00ad\u200b\u200c\u200d\u200e\u2060\ufeff\u0301", max_size=30))
def test_offsets_are_exact_and_skip_only_whitespace_and_invisibles(text):
    spans = tokenize(text)
    cursor = 0
    for start, end in spans:
        assert cursor <= start < end <= len(text)
        assert SKIPPED.fullmatch(text[cursor:start])
        assert not text[start:end][0].isspace()
        assert not SKIPPED.fullmatch(text[start:end])  # no token of invisibles alone
        assert text[start] not in INVISIBLE_CHARS and text[end - 1] not in INVISIBLE_CHARS  # nor at a token's edges
        cursor = end
    assert SKIPPED.fullmatch(text[cursor:])


@pytest.mark.parametrize("text, expected", [
    ("Mer\u00adkel", ["Mer\u00adkel"]),  # a soft hyphen: inside the word
    ("Angela \u200bMerkel", ["Angela", "Merkel"]),  # a zero-width space: a break, no token
    ("New\u200bYork", ["New", "York"]),
    ("می\u200cخواهم", ["می\u200cخواهم"]),  # a zero-width non-joiner inside a Persian word
    ("\u200eParis\u200e .", ["Paris", "."]),  # direction marks at a word's edges: not in the token
    ("\ufeffAngela Merkel", ["Angela", "Merkel"]),  # a byte-order mark before a name: not in the entity
    ("word\u200d👍", ["word", "👍"]),
    ("a \ufeff b \u200e", ["a", "b"]),  # alone: nothing
    ("👨\u200d👩\u200d👧 ok", ["👨\u200d👩\u200d👧", "ok"]),  # an emoji sequence joined by ZWJ stays one
    ("do\u00adn't stop", ["do", "n't", "stop"]),
])
def test_invisible_characters_of_web_and_pdf_text(text, expected):
    assert [text[s:e] for s, e in tokenize(text)] == expected


def test_invisible_characters_inside_a_long_word_cost_linear_time():
    import time

    word = "\u2060".join("Bundesverfassungsgerichtsentscheidung")  # 36 letters, 35 word joiners
    started = time.perf_counter()
    text = word + " ruled"
    assert [text[s:e] for s, e in tokenize(text)] == [word, "ruled"]
    assert len(tokenize("a\u00ad" * 2000 + "'")) == 2
    assert time.perf_counter() - started < 1.0  # (each split tried both ways doubled the time per invisible: hours)


def test_sentences():
    text = 'He left. "Why?" she asked. the end was near. Mr. Smith stayed in the U.S. for years.'
    sents = [[text[s:e] for s, e in sent] for sent in tokenize_sentences(text)]
    assert sents[0] == ["He", "left", "."]
    assert sents[1] == ['"', "Why", "?", '"', "she", "asked", ".", "the", "end", "was", "near", "."]
    assert sents[2][:2] == ["Mr.", "Smith"]


@pytest.mark.parametrize("text, expected", [
    # CoNLL's tokens joined by spaces: a quote or bracket after the end closes the sentence that opened it
    ('I play for New South Wales in the Super 12 next year . "', ['I play for New South Wales in the Super 12 next year . "']),
    ('He said " go home . " Then he left . " What ? " she asked .',
     ['He said " go home . "', "Then he left .", '" What ? " she asked .']),
    ("He left ( for good . ) Then she came .", ["He left ( for good . )", "Then she came ."]),
    ("“ Run . ” He ran . ‘ Fine . ’ ( No . )", ["“ Run . ”", "He ran .", "‘ Fine . ’", "( No . )"]),
    ("' Fine . ' ' No . ' He said ' go home . ' Then he left .",
     ["' Fine . '", "' No . '", "He said ' go home . '", "Then he left ."]),
    ('He left . " She came .', ["He left .", '" She came .']),  # an opening quote opens the next one
    ("It ended . )", ["It ended . )"]),  # last of all: it can open nothing
    # an apostrophe or an inch mark is no quote to close
    ("The players' coach left. 'No way,' he said.", ["The players ' coach left .", "' No way , ' he said ."]),
    ("The players ' coach left . ' No way , ' he said .", ["The players ' coach left .", "' No way , ' he said ."]),
    ('He bought 3 items at 5" each. "Great," she said.', ['He bought 3 items at 5 " each .', '" Great , " she said .']),
    ("It was the '90s. Then it ended.", ["It was the ' 90s .", "Then it ended ."]),
])
def test_closing_quotes_and_brackets_stay_with_their_sentence(text, expected):
    assert [" ".join(text[s:e] for s, e in sent) for sent in tokenize_sentences(text)] == expected


@pytest.mark.parametrize("text, expected", [
    ("1. Michael Schumacher", ["1.", "Michael", "Schumacher"]),
    ("won 4-1/2 points, .596 avg on the 31st", ["won", "4-1/2", "points", ",", ".596", "avg", "on", "the", "31st"]),
    ("C$ 1.2 billion", ["C$", "1.2", "billion"]),
])
def test_newswire_numbers(text, expected):
    assert words(text) == expected


@pytest.mark.parametrize("text, expected", [
    # CoNLL-2003 writes web names as one token (train.txt: www.internetstartup.com)
    ("Amazon.com said sales rose.", ["Amazon.com", "said", "sales", "rose", "."]),
    ("AMAZON.COM ROSE.", ["AMAZON.COM", "ROSE", "."]),
    ("Yahoo.com, bbc.co.uk and nerpipe.io!", ["Yahoo.com", ",", "bbc.co.uk", "and", "nerpipe.io", "!"]),
    ("See example.it/docs or news.bbc.co.", ["See", "example.it/docs", "or", "news.bbc.co", "."]),
    ("Read docs.python.org/3/library.", ["Read", "docs.python.org/3/library", "."]),
    ("Mail jeffrey.hodgson@reuters.com now", ["Mail", "jeffrey.hodgson@reuters.com", "now"]),
    ("Thanks @jack_dorsey for #MeToo.", ["Thanks", "@jack_dorsey", "for", "#MeToo", "."]),
    # not web names: a missing space before a capital, a rank, C#, an address without a host
    ("It ended.In fact he left.It rained", ["It", "ended", ".", "In", "fact", "he", "left", ".", "It", "rained"]),
    # top-level domains that are words too ("it", "in", "no"): a missing space, not a web name
    ("We flew to Berlin.it was cold, home.in time.", ["We", "flew", "to", "Berlin", ".", "it", "was", "cold", ",", "home", ".",
                                                      "in", "time", "."]),
    ("#1 seed plays C# at 5@", ["#", "1", "seed", "plays", "C", "#", "at", "5", "@"]),
])
def test_web_names_stay_whole(text, expected):
    assert words(text) == expected
