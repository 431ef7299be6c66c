"""Plain text to sentences and tokens, CoNLL-2003 style, with exact offsets (no torch).

The CoNLL-2003 data splits punctuation off words, keeps abbreviations (``U.S.``,
``Inc.``), hyphenated words, numbers (``1,000.5``, ``3-1``), URLs, domain names
(``Amazon.com``), e-mail addresses, ``@handles`` and ``#hashtags`` whole, and
splits clitics (``do n't``, ``John 's``). One compiled regular expression does the
scanning; every token is a ``(start, end)`` slice of the input, so
``text[start:end]`` is always the token itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Abbreviations that keep their final period (newswire: titles, months, companies, places).
ABBREVIATIONS = (
    "Mr Mrs Ms Dr Prof Sen Rep Gov Gen Col Lt Capt Sgt Maj Adm Cmdr Rev Fr St Jr Sr Mt Ft "
    "Inc Corp Co Ltd Bros Plc Cie Dept Univ Assn Ave Blvd Rd "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Mon Tue Tues Wed Thu Thur Thurs Fri Sat Sun "
    "No Nos vs etc approx est Vol Fig pp "
    "Ala Ariz Ark Calif Colo Conn Del Fla Ga Ill Ind Kan Ky La Md Mass Mich Minn Miss Mo Mont "
    "Neb Nev Okla Ore Pa Tenn Tex Va Vt Wash Wis Wyo"
).split()
# the same in capitals, for ALL-CAPS text (only those that are no common word in capitals)
SHOUTED = "MR MRS MS DR PROF SEN REP GOV GEN COL LT CAPT SGT INC CORP CO LTD BROS PLC JR SR ST".split()
SHOUTED += "mr mrs ms dr prof inc corp ltd plc bros jr sr st".split()  # and in chat

_MARK = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"  # combining marks
# invisible characters of web and PDF text that sit inside words: soft hyphen, zero-width
# (non-)joiners, direction marks and isolates, word joiner, zero-width no-break space; part
# of the word they touch (the vocabulary reads the word without them), never a token alone
JOINERS = "\u200c\u200d"  # zero-width (non-)joiners: Persian and Indic words are spelt with them
FORMATTING = "\u00ad\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff"  # the rest: no part of any spelling
INVISIBLE = JOINERS + FORMATTING  # (character-class ranges, for regular expressions)
BREAK = "\u200b"  # a zero-width space: a word break, as a space is, and no token
_ANY_INVISIBLE = re.compile(f"[{INVISIBLE}]")
# a word character with any combining marks (and invisibles) after it; invisibles before a word's
# first letter are _LEAD's, so that a run of units splits one way only (two ways per invisible
# would make the lazy n't rule below try every split: exponential time)
_W = rf"(?:\w[{_MARK}{INVISIBLE}]*)"
_LEAD = rf"[{INVISIBLE}]*"
_EMOJI_TAIL = "\ufe0f\U0001f3fb-\U0001f3ff\u20e3"
_CLITIC = r"(?:['’](?:s|re|ve|ll|d|m)|n['’]t)"

# Domain names without a scheme need a known top-level domain, so "end.Then" (a missing
# space) still splits; a path may follow, as in URLs. Top-level domains that are also
# words ("Berlin.it was cold", "home.in time") count only after two labels
# (bbc.co.uk, news.bbc.co) or before a path.
_TLDS = ("com net org edu gov mil int info biz io ai app dev uk eu fr nl ch dk fi pl cz ru ua jp cn kr au nz br mx ar za "
         "ie pt gr tr il sg hk tw").split()
_WORD_TLDS = "in it me at no us be de es co se ca tv".split()
_PATH = r"/[^\s<>\"]*[^\s<>\".,;:!?)\]}'’”]"
_LABEL, _CAPS = r"\w[\w-]*", r"[A-Z0-9][A-Z0-9-]*"
_DOMAIN = (r"(?<![\w.@])(?:"
           + rf"{_LABEL}(?:\.{_LABEL})*\.(?:{'|'.join(_TLDS)})(?![\w-])(?:{_PATH})?"  # the top-level domain in lower case
           + rf"|{_CAPS}(?:\.{_CAPS})*\.(?:{'|'.join(_TLDS).upper()})(?![\w-])(?:{_PATH})?"  # or all in capitals
           + rf"|{_LABEL}\.{_LABEL}(?:\.{_LABEL})*\.(?:{'|'.join(_WORD_TLDS)})(?![\w-])(?:{_PATH})?"
           + rf"|{_LABEL}\.(?:{'|'.join(_WORD_TLDS)}){_PATH}"
           + ")")

_TOKEN = re.compile(
    "|".join(
        [
            r"(?:https?://|ftp://|www\.)[^\s<>\"]*[^\s<>\".,;:!?)\]}'’”]",  # URLs
            r"[\w.+-]+@\w[\w-]*(?:\.\w[\w-]*)+",  # e-mail addresses
            _DOMAIN,  # Amazon.com, docs.python.org/3/
            r"(?<![\w@#])[@#](?=\w*[^\W\d_])\w+",  # @handles and #hashtags (not #1)
            r"(?:" + "|".join(ABBREVIATIONS + SHOUTED) + r")\.(?!\w)",  # known abbreviations
            r"[A-Z][a-z]\.(?:[A-Z]\.)+(?!\w)",  # Ph.D.
            r"(?:[A-Za-z]\.){2,}(?![\w])",  # U.S., e.g., U.N.
            r"[A-Z]\.(?=\s+[A-Z])",  # an initial: John F. Kennedy
            r"(?m:^)\d{1,3}\.(?=[ \t])",  # "3. Schumacher": a rank that opens a line
            r"[A-Z]{1,2}\$",  # C$ US$
            r"[+-]?(?:\d+(?:[.,:/]\d+)*|\.\d+)" + _W + r"*(?:-(?:\d+(?:[.,:/]\d+)*|" + _W + r"+))*",  # 1,000.5 .596 31st 4-1/2
            rf"{_LEAD}{_W}+?(?=(?i:n['’]t)(?!\w))",  # do|n't  ca|n't
            rf"(?i:{_CLITIC})(?!\w)",  # 's n't 're ...
            rf"{_LEAD}{_W}+(?:(?:[-&]|['’](?!(?i:s|re|ve|ll|d|m|t)(?!\w))){_W}+)*",  # words: O'Neill AT&T Saudi-led
            r"\.\.\.+|--+|''|``",  # ellipsis, dashes, TeX quotes
            rf"[^\s{INVISIBLE}{BREAK}][{_MARK}{_EMOJI_TAIL}]*(?:\u200d\S[{_MARK}{_EMOJI_TAIL}]*)*",  # any other symbol
        ]
    )
)

_ENDERS = {".", "!", "?", "...", "!!", "??"}
# words that open sentences far more often than they follow an abbreviation mid-sentence
_OPENERS = set("The He She It They We I But And In A An This That There His Her Its Their Our On At For After When "
               "THE HE SHE IT THEY WE BUT AND IN THIS THAT THERE".split())
# abbreviations that often end a sentence: company suffixes
_FINAL_ABBREVIATIONS = {f"{a}." for a in "Inc Corp Co Ltd Bros Plc etc INC CORP CO LTD".split()}
_CLOSERS = {'"', "'", ")", "]", "}", "’", "”", "''", "»"}
_OPENER_OF = {")": "(", "]": "[", "}": "{", "”": "“", "’": "‘", "»": "«", "''": "``"}


def _closes(text: str, sentence: list[tuple[int, int]], tok: str) -> bool:
    """Whether ``tok`` (a closer after a sentence's end, white space between) closes a quote or
    bracket the sentence opened: a straight quote after an odd number of its kind that open,
    or a closing bracket or curly quote whose opener the sentence holds unclosed (``year .
    "`` as CoNLL writes it). A straight quote opens at the sentence's start or after white
    space (not an inch mark, ``5"``, nor ``players'``), and a single one not after a word
    ending in s (``players ' coach`` as CoNLL spaces the apostrophe)."""
    if tok in ('"', "'"):
        opening = 0
        for k, (s, e) in enumerate(sentence):
            if text[s:e] != tok:
                continue
            before = text[sentence[k - 1][0] : sentence[k - 1][1]] if k else ""
            if k == 0 or (text[s - 1].isspace() and not (tok == "'" and before[-1:] in ("s", "S"))):
                opening += 1
        return opening % 2 == 1
    seen = [text[s:e] for s, e in sentence]
    return seen.count(_OPENER_OF[tok]) > seen.count(tok)


def tokenize(text: str) -> list[tuple[int, int]]:
    """Token offsets ``(start, end)`` of ``text``; whitespace is never part of a token, nor
    are invisible characters at a token's edges (a byte-order mark before a name, a
    direction mark after it: an entity's offsets hold the name alone)."""
    spans = [m.span() for m in _TOKEN.finditer(text)]
    if _ANY_INVISIBLE.search(text) is None:
        return spans
    out = []
    for start, end in spans:
        while _ANY_INVISIBLE.match(text, start):
            start += 1
        while end - 1 > start and _ANY_INVISIBLE.match(text, end - 1):
            end -= 1
        out.append((start, end))
    return out


def split_sentences(text: str, tokens: list[tuple[int, int]], breaks: Sequence[int] = ()) -> list[list[tuple[int, int]]]:
    """Group tokens into sentences.

    A break follows ``.``/``!``/``?`` (and the quotes or brackets after it that close the
    sentence: attached to it, last in the text, or closing one the sentence opened) when the
    next token does not start in lower case, or whatever follows in text with no
    capitals at all (chat, transcripts). An abbreviation that ends a sentence (``the
    U.S. He left``) ends it when a common sentence opener follows. ``breaks`` are token
    positions where a sentence starts regardless (the lines of a list).
    """
    sentences: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    pending_break = False
    previous_end = -1
    caseless = not any(c.isupper() for c in text)
    forced = set(breaks)
    for k, (start, end) in enumerate(tokens):
        tok = text[start:end]
        if k in forced and current:
            sentences.append(current)
            current, pending_break = [], False
        elif pending_break:
            if tok in _CLOSERS and (start == previous_end or k == len(tokens) - 1 or _closes(text, current, tok)):
                # attached, last of all, or closing what the sentence opened: it closes
                current.append((start, end))
                previous_end = end
                continue
            if caseless or not tok[0].islower():
                sentences.append(current)
                current = []
            pending_break = False
        elif current and _ends_with_abbreviation(text, current[-1]) and tok in _OPENERS:
            sentences.append(current)
            current = []
        current.append((start, end))
        previous_end = end
        if tok in _ENDERS or (len(tok) > 1 and set(tok) <= {".", "!", "?"}):
            pending_break = True
    if current:
        sentences.append(current)
    return sentences


def _ends_with_abbreviation(text: str, token: tuple[int, int]) -> bool:
    tok = text[token[0] : token[1]]
    return (len(tok) > 2 and tok.endswith(".") and tok[-2].isalpha() and not tok[:-1].isalpha()) or tok in _FINAL_ABBREVIATIONS


def tokenize_sentences(text: str) -> list[list[tuple[int, int]]]:
    """Sentences of token offsets into ``text``."""
    return split_sentences(text, tokenize(text))


def joined_offsets(tokens: Sequence[str]) -> list[tuple[int, int]]:
    """Each token's ``(start, end)`` in ``" ".join(tokens)``: how a CoNLL sentence reads as text."""
    offsets, cursor = [], 0
    for token in tokens:
        offsets.append((cursor, cursor + len(token)))
        cursor += len(token) + 1
    return offsets
