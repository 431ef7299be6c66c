"""Entity patterns: names a user already knows, matched on tokens (no torch).

A patterns file is JSON lines in the spirit of spaCy's EntityRuler, one pattern a line::

    {"label": "ORG", "pattern": "Acme Corp"}                      # a phrase, exact tokens
    {"label": "ORG", "pattern": [{"LOWER": "acme"}, {"LOWER": "corp", "OP": "?"}]}
    {"label": "PRODUCT", "pattern": [{"TEXT": {"REGEX": "^X\\d+$"}}], "id": "x-series"}
    {"label": "O", "pattern": "May"}                              # never an entity

A phrase is split into tokens as ``tag -i text`` splits text and matches those tokens
exactly. A token pattern is a list with one dict per token; each key tests the token:
``TEXT`` (or ``ORTH``), ``LOWER``, ``SHAPE`` (``Xxxx``, ``dd``: spaCy's shapes),
``LENGTH`` and the flags ``IS_DIGIT``, ``IS_ALPHA``, ``IS_PUNCT``, ``IS_UPPER``,
``IS_LOWER``, ``IS_TITLE``; a value is a literal, or ``{"REGEX": ...}``,
``{"IN": [...]}``, ``{"NOT_IN": [...]}`` (and ``{">=": n}`` and the like for
``LENGTH``). ``{}`` is any token; ``OP`` repeats it: ``?``, ``*``, ``+``, or ``!``
(exactly one token that does not match). Label ``O`` means the tokens matched are never
part of an entity.

:meth:`Patterns.match` finds the matches of one sentence; where matches overlap, the
longest wins, then the earliest, then the one first in the file (spaCy's rule). The
tagger forces what is left inside its constrained Viterbi search
(:mod:`nerpipe.tagger`), so the tags around a match stay well formed. Phrases and
literal token patterns are looked up by hash, so 100,000 patterns cost about what ten do.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from .errors import NerpipeError

NO_ENTITY = "O"  # the label of a pattern whose matches are never entities
OPS = ("?", "*", "+", "!", "1")
FLAGS: dict[str, Callable[[str], bool]] = {
    "IS_DIGIT": str.isdigit,
    "IS_ALPHA": str.isalpha,
    "IS_PUNCT": lambda t: all(not c.isalnum() and not c.isspace() for c in t),
    "IS_UPPER": str.isupper,
    "IS_LOWER": str.islower,
    "IS_TITLE": str.istitle,
}
_COMPARE: dict[str, Callable[[int, int], bool]] = {
    "==": int.__eq__, "!=": int.__ne__, ">=": int.__ge__, "<=": int.__le__, ">": int.__gt__, "<": int.__lt__,
}
_TEXT_KEYS = {"TEXT": "TEXT", "ORTH": "TEXT", "LOWER": "LOWER"}
_BACKREFERENCE = re.compile(r"\\\d|\(\?P=|\(\?\(")  # \1, (?P=name), (?(1)...): not for a combined screen
_SCHEME_PREFIX = re.compile(r"^[BIESLU]-")


class Match(NamedTuple):
    """A pattern's match: tokens ``start`` to ``end`` (exclusive) of one sentence."""

    start: int
    end: int
    label: str  # NO_ENTITY: never an entity
    id: str | None = None  # the pattern's "id", when it has one

    @property
    def source(self) -> str:
        """What an entity it makes says it came from: ``pattern``, or ``pattern:ID``."""
        return "pattern" if self.id is None else f"pattern:{self.id}"


def shape(token: str) -> str:
    """spaCy's word shape: letters as ``X``/``x``, digits as ``d``, other characters
    kept, a run of one kind cut after four (``Apple`` -> ``Xxxxx``, ``C3PO`` -> ``XdXX``)."""
    out: list[str] = []
    run = 0
    for ch in token:
        kind = "X" if ch.isupper() else "x" if ch.isalpha() else "d" if ch.isdigit() else ch
        run = run + 1 if out and out[-1] == kind else 1
        if run <= 4:
            out.append(kind)
    return "".join(out)


def _attribute(key: str, token: str) -> str:
    if key == "TEXT":
        return token
    if key == "LOWER":
        return token.lower()
    return shape(token)


@dataclass(frozen=True)
class _Token:
    """One token of a token pattern: every test must hold; ``op`` repeats it."""

    tests: tuple[Callable[[str], bool], ...]
    op: str = "1"
    literal: tuple[str, str] | None = None  # ("TEXT" or "LOWER", value) when that equality is its only test
    regex: tuple[str, str] | None = None  # ("TEXT" or "LOWER", expression) when that search is its only test

    def __call__(self, token: str) -> bool:
        ok = all(test(token) for test in self.tests)
        return not ok if self.op == "!" else ok


class _Pattern(NamedTuple):
    tokens: tuple[_Token, ...]
    label: str
    id: str | None
    order: int


class Patterns:
    """Compiled patterns. Build with :meth:`load` (a file) or from dicts as a file holds them."""

    def __init__(self, patterns: Iterable[dict[str, Any]] = (), path: str = "<patterns>"):
        from .tokenize import tokenize

        self.path = path
        self._tokenize = tokenize
        # literal patterns: by attribute (TEXT or LOWER), token tuple -> (label, id, order) of the first such pattern
        self._literal: dict[str, dict[tuple[str, ...], tuple[str, str | None, int]]] = {"TEXT": {}, "LOWER": {}}
        self._lengths: dict[str, dict[str, set[int]]] = {"TEXT": {}, "LOWER": {}}  # first token -> lengths
        self._general: list[_Pattern] = []  # token patterns that need their tests run
        self._anywhere: list[int] = []  # those of them whose first token is optional: tried at every token
        self._opening: dict[str, tuple[int, ...]] = {}  # token -> the others whose first token it passes
        self._by_first: dict[tuple[str, str], list[int]] = {}  # those whose first token is a literal, by it
        self._screens: dict[str, re.Pattern | None] | None = None  # per attribute: any first-token regex at all
        self._labels: set[str] = set()
        self._count = 0
        self._given: list[tuple[dict[str, Any], int | None]] = []  # as added: pickling rebuilds from them
        for k, pattern in enumerate(patterns, 1):
            self.add(pattern, line=k)

    @classmethod
    def coerce(cls, given) -> Patterns | None:
        """``given`` as compiled patterns: None, a :class:`Patterns`, a JSONL file's path, or
        dicts as such a file holds them (what ``load_model(patterns=)`` and ``tagger.patterns`` take)."""
        if given is None or isinstance(given, Patterns):
            return given
        if isinstance(given, (str, os.PathLike)):
            return cls.load(os.fspath(given))
        if isinstance(given, dict):
            raise TypeError("patterns: expected a list of patterns (dicts), a JSONL file or Patterns, got one dict")
        return cls(given)

    @classmethod
    def load(cls, path: str) -> Patterns:
        """The patterns of a JSONL file; a bad line is an error at ``path:line``."""
        try:
            with open(path, "rb") as f:
                raw = f.read().splitlines()
        except OSError as err:
            raise NerpipeError(f"cannot read the patterns: {err.strerror or err}", path) from None
        patterns = cls(path=path)
        for lineno, data in enumerate(raw, 1):
            try:
                text = data.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as err:
                raise NerpipeError(f"not UTF-8 ({err.reason} at byte {err.start} of the line)", path, lineno) from None
            if not text.strip():
                continue
            try:
                pattern = json.loads(text)
            except json.JSONDecodeError as err:
                raise NerpipeError(f"not JSON ({err.msg} at column {err.colno}); expected a pattern such as "
                                   '{"label": "ORG", "pattern": "Acme Corp"}', path, lineno) from None
            patterns.add(pattern, line=lineno)
        return patterns

    def __reduce__(self):
        # compiled tests are closures: another process (tag --workers under spawn) compiles its own
        return _rebuild, (self.path, self._given)

    def __len__(self) -> int:
        return self._count

    @property
    def labels(self) -> frozenset[str]:
        """The entity types the patterns give (not ``O``)."""
        return frozenset(self._labels - {NO_ENTITY})

    def add(self, pattern: dict[str, Any], line: int | None = None) -> None:
        """Add one pattern (a dict as a file's line holds it); ``line`` locates an error."""
        where = (self.path, line)
        if not isinstance(pattern, dict):
            raise NerpipeError(f"expected a JSON object with \"label\" and \"pattern\", got {type(pattern).__name__}", *where)
        unknown = set(pattern) - {"label", "pattern", "id"}
        if unknown:
            raise NerpipeError(f"unknown key {', '.join(sorted(map(repr, unknown)))}; a pattern has \"label\", "
                               "\"pattern\" and optionally \"id\"", *where)
        label, body, pid = pattern.get("label"), pattern.get("pattern"), pattern.get("id")
        if not isinstance(label, str) or not label.strip() or label != label.strip() or " " in label:
            raise NerpipeError(f'"label" must be an entity type such as "ORG" (or "O": never an entity), got {label!r}', *where)
        if _SCHEME_PREFIX.match(label):
            raise NerpipeError(f'"label" is an entity type, not a tag: {label[2:]!r}, not {label!r}', *where)
        if pid is not None and (isinstance(pid, bool) or not isinstance(pid, (str, int))):
            raise NerpipeError(f'"id" must be a string, got {pid!r}', *where)
        pid = None if pid is None else str(pid)
        order = self._count
        if isinstance(body, str):
            tokens = tuple(body[s:e] for s, e in self._tokenize(body))
            if not tokens:
                raise NerpipeError(f'"pattern" {body!r} holds no token', *where)
            self._add_literal("TEXT", tokens, label, pid, order)
        elif isinstance(body, list) and body:
            literal = _literal_tokens(body)
            if literal is not None:
                self._add_literal(*literal, label, pid, order)
            else:
                compiled = tuple(_compile_token(spec, k, where) for k, spec in enumerate(body))
                if all(t.op in "?*" for t in compiled):
                    raise NerpipeError('"pattern" would match no token at all (every token has OP "?" or "*")', *where)
                first = compiled[0]
                if first.op in "?*":
                    self._anywhere.append(len(self._general))
                elif first.literal is not None and first.op in "1+":
                    self._by_first.setdefault(first.literal, []).append(len(self._general))
                self._general.append(_Pattern(compiled, label, pid, order))
                self._opening.clear()
                self._screens = None
        else:
            raise NerpipeError('"pattern" must be a phrase (a string) or a non-empty list of token dicts, '
                               f"got {json.dumps(body)[:60]}", *where)
        self._labels.add(label)
        self._count += 1
        self._given.append((pattern, line))

    def _add_literal(self, key: str, tokens: tuple[str, ...], label: str, pid: str | None, order: int) -> None:
        table = self._literal[key]
        if tokens not in table:  # the first pattern in the file wins a tie
            table[tokens] = (label, pid, order)
            self._lengths[key].setdefault(tokens[0], set()).add(len(tokens))

    def match(self, tokens: Sequence[str]) -> list[Match]:
        """The non-overlapping matches in one sentence's tokens, in order."""
        found: list[tuple[int, int, int, str, str | None]] = []  # (start, end, order, label, id)
        lowered: list[str] | None = None
        n = len(tokens)
        for key, table in self._literal.items():
            if not table:
                continue
            if key == "LOWER":
                lowered = [t.lower() for t in tokens]
            words = tokens if key == "TEXT" else lowered
            assert words is not None
            lengths = self._lengths[key]
            for i, word in enumerate(words):
                for length in lengths.get(word, ()):
                    if i + length <= n and (hit := table.get(tuple(words[i : i + length]))) is not None:
                        found.append((i, i + length, hit[2], hit[0], hit[1]))
        if self._general:
            for i, token in enumerate(tokens):
                for k in (*self._openers(token), *self._anywhere):
                    pattern = self._general[k]
                    end = _longest(pattern.tokens, tokens, i)
                    if end is not None and end > i:
                        found.append((i, end, pattern.order, pattern.label, pattern.id))
        found.sort(key=lambda m: (m[0] - m[1], m[0], m[2]))  # longest, then earliest, then first in the file
        taken = [False] * n
        kept = []
        for start, end, _, label, pid in found:
            if not any(taken[start:end]):
                taken[start:end] = [True] * (end - start)
                kept.append(Match(start, end, label, pid))
        return sorted(kept)


    def _openers(self, token: str) -> tuple[int, ...]:
        """The general patterns whose (required) first token ``token`` passes, remembered
        per distinct token, so each test runs once per word type rather than per token."""
        hit = self._opening.get(token)
        if hit is None:
            if len(self._opening) >= OPENING_CACHE:
                self._opening.clear()
            if self._screens is None:
                self._screens = _screens(self._general)
            # one alternation of every first-token regex tells most tokens that none of them can match
            screened = {key for key, screen in self._screens.items()
                        if screen is not None and screen.search(_attribute(key, token)) is None}
            hit = self._opening[token] = (
                *self._by_first.get(("TEXT", token), ()), *self._by_first.get(("LOWER", token.lower()), ()),
                *(k for k, p in enumerate(self._general)
                  if (first := p.tokens[0]).op not in "?*" and (first.literal is None or first.op == "!")
                  and not (first.regex is not None and first.op != "!" and first.regex[0] in screened)
                  and first(token)))
        return hit


OPENING_CACHE = 200_000  # distinct tokens remembered by Patterns._openers


def _screens(general: list[_Pattern]) -> dict[str, re.Pattern | None]:
    """Per attribute, one expression matching where any first-token regex (of a token
    that has no other test and no back-reference) matches; None where they do not combine."""
    out: dict[str, re.Pattern | None] = {}
    for key in ("TEXT", "LOWER"):
        parts = [p.tokens[0].regex[1] for p in general if p.tokens[0].regex is not None and p.tokens[0].regex[0] == key]
        if parts:
            try:
                out[key] = re.compile("|".join(f"(?:{part})" for part in parts))
            except re.error:
                out[key] = None
    return out


def _rebuild(path: str, given: list[tuple[dict[str, Any], int | None]]) -> Patterns:
    patterns = Patterns(path=path)
    for pattern, line in given:
        patterns.add(pattern, line)
    return patterns


def _literal_tokens(body: list) -> tuple[str, tuple[str, ...]] | None:
    """``(attribute, tokens)`` when every token of a token pattern is one literal of the
    same TEXT or LOWER attribute and nothing else: such patterns are looked up by hash."""
    keys = set()
    values = []
    for spec in body:
        if not isinstance(spec, dict) or len(spec) != 1:
            return None
        (key, value), = spec.items()
        if not isinstance(key, str) or key.upper() not in _TEXT_KEYS or not isinstance(value, str) or not value:
            return None
        keys.add(_TEXT_KEYS[key.upper()])
        values.append(value)
    if len(keys) != 1:
        return None
    key = keys.pop()
    return key, tuple(v.lower() for v in values) if key == "LOWER" else tuple(values)


def _compile_token(spec: Any, k: int, where: tuple[str, int | None]) -> _Token:
    if not isinstance(spec, dict):
        raise NerpipeError(f"token {k + 1} of \"pattern\": expected a dict such as {{\"LOWER\": \"acme\"}}, got {spec!r:.40}",
                           *where)
    tests = []
    op = "1"
    for raw_key, value in spec.items():
        key = raw_key.upper() if isinstance(raw_key, str) else raw_key
        if key == "OP":
            if value not in OPS:
                raise NerpipeError(f'token {k + 1}: "OP" must be one of ?, *, +, !, got {value!r}', *where)
            op = value
        elif key in _TEXT_KEYS or key == "SHAPE":
            tests.append(_string_test(_TEXT_KEYS.get(key, "SHAPE"), value, f"token {k + 1}: {raw_key}", where))
        elif key == "LENGTH":
            tests.append(_length_test(value, f"token {k + 1}: LENGTH", where))
        elif key in FLAGS:
            if not isinstance(value, bool):
                raise NerpipeError(f"token {k + 1}: {raw_key} must be true or false, got {value!r}", *where)
            tests.append(_flag_test(FLAGS[key], value))
        else:
            known = ", ".join([*_TEXT_KEYS, "SHAPE", "LENGTH", *FLAGS, "OP"])
            raise NerpipeError(f"token {k + 1}: unknown attribute {raw_key!r}; known: {known}", *where)
    literal = regex = None
    if len(spec) - ("OP" in map(str.upper, spec)) == 1 and len(tests) == 1:
        (key, value), = ((k, v) for k, v in spec.items() if k.upper() != "OP")
        if key.upper() in _TEXT_KEYS and isinstance(value, str):
            literal = (_TEXT_KEYS[key.upper()], value.lower() if _TEXT_KEYS[key.upper()] == "LOWER" else value)
        elif key.upper() in _TEXT_KEYS and isinstance(value, dict) and "REGEX" in value \
                and not _BACKREFERENCE.search(value["REGEX"]):  # (numbers would shift inside one alternation)
            regex = (_TEXT_KEYS[key.upper()], value["REGEX"])
    return _Token(tuple(tests), op, literal, regex)


def _flag_test(flag: Callable[[str], bool], value: bool) -> Callable[[str], bool]:
    return lambda t: flag(t) == value


def _string_test(key: str, value: Any, what: str, where: tuple[str, int | None]) -> Callable[[str], bool]:
    def norm(v: str) -> str:  # a LOWER value given with capitals still means the lower-cased word
        return v.lower() if key == "LOWER" else v

    if isinstance(value, str):
        value = norm(value)
        return lambda t: _attribute(key, t) == value
    if isinstance(value, dict) and len(value) == 1:
        (kind, arg), = value.items()
        if kind == "REGEX" and isinstance(arg, str):
            try:
                regex = re.compile(arg)
            except re.error as err:
                raise NerpipeError(f"{what}: bad regular expression {arg!r} ({err})", *where) from None
            return lambda t: regex.search(_attribute(key, t)) is not None
        if kind in ("IN", "NOT_IN") and isinstance(arg, list) and all(isinstance(a, str) for a in arg):
            choices = frozenset(map(norm, arg))
            inside = kind == "IN"
            return lambda t: (_attribute(key, t) in choices) == inside
    raise NerpipeError(f'{what}: expected a string, {{"REGEX": "..."}}, {{"IN": [...]}} or {{"NOT_IN": [...]}}, '
                       f"got {json.dumps(value)[:60]}", *where)


def _length_test(value: Any, what: str, where: tuple[str, int | None]) -> Callable[[str], bool]:
    if isinstance(value, int) and not isinstance(value, bool):
        return lambda t: len(t) == value
    if isinstance(value, dict) and value and all(op in _COMPARE and isinstance(n, int) and not isinstance(n, bool)
                                                 for op, n in value.items()):
        checks = [(_COMPARE[op], n) for op, n in value.items()]
        return lambda t: all(check(len(t), n) for check, n in checks)
    raise NerpipeError(f"{what}: expected a number or comparisons such as {{\">=\": 3}}, got {json.dumps(value)[:60]}", *where)


def _longest(pattern: Sequence[_Token], tokens: Sequence[str], i: int) -> int | None:
    """The end of the longest match of ``pattern`` starting at token ``i``, or None."""
    ends = {i}  # positions reachable after the pattern's tokens so far
    for spec in pattern:
        nxt: set[int] = set()
        for pos in ends:
            if spec.op in "?*":
                nxt.add(pos)
            k = pos
            while k < len(tokens) and spec(tokens[k]):
                k += 1
                nxt.add(k)
                if spec.op in ("1", "!", "?"):
                    break
        ends = nxt
        if not ends:
            return None
    return max(ends)
