"""Label maps: one tool's entity names as another's (``--map PERSON=PER``), no torch.

A map is read from any mix of ``A=B`` rules (``A=`` drops ``A``), TSV files of such
pairs (``A<TAB>B``, an empty ``B`` dropping ``A``; ``#`` starts a comment line) and the
names of built-in presets. A label the map does not name stays as it is, or with
``drop_others`` is dropped (a label some rule makes, as ``PER`` where ``PERSON=PER``,
counts as named: gold already in the map's names stays). It applies to spans and to
tags alike, and counts how many entities each rule changed.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from .errors import NerpipeError, UsageError
from .schemes import looks_like_tag, split_tag, tags_to_spans

_DROPPED = ("DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL")
PRESETS: dict[str, dict[str, str | None]] = {
    # OntoNotes 5 (spaCy's English pipelines) to CoNLL-2003: numbers and times are no CoNLL entities
    "ontonotes-conll": {
        "PERSON": "PER", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC", "ORG": "ORG",
        **dict.fromkeys(("NORP", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE", "PRODUCT"), "MISC"),
        **dict.fromkeys(_DROPPED, None),
    },
}


@dataclass(frozen=True)
class LabelMap:
    rules: Mapping[str, str | None]  # label -> new label, or None: dropped
    drop_others: bool = False  # a label no rule names, as OLD or as NEW, is dropped (else kept as it is)
    counts: Counter = field(default_factory=Counter, compare=False)  # (old, new or None) -> entities changed
    given: Mapping[str, str] = field(default_factory=dict, compare=False)  # OLD -> the rule of yours (not a preset's)
    seen: set[str] = field(default_factory=set, compare=False)  # the labels of the entities it was given

    def unknown(self, labels: Iterable[str]) -> list[str]:
        """Your rules (not a preset's) whose OLD is none of ``labels`` (a model's types: a
        rule for a type it never predicts does nothing)."""
        known = set(labels)
        return [rule for old, rule in self.given.items() if old not in known]

    def idle_notes(self, where: str) -> list[str]:
        """A warning for each rule of yours that met no entity of its label in the data
        read so far (a typo, or the wrong tool's names: its labels go through unchanged);
        ``where`` names the data ("the training data")."""
        found = ", ".join(sorted(self.seen)) or "none"
        return [f"--map {rule}: no {rule.split('=')[0].strip()!r} entity in {where} (its labels: {found}); the rule does nothing"
                for rule in self.unknown(self.seen)]

    def new(self, label: str) -> str | None:
        """What ``label`` becomes (None: dropped). A rule's OLD is read without the spaces
        around it, so it also names a label padded with them (``" PER "``)."""
        for key in (label, label.strip()):
            if key in self.rules:
                return self.rules[key]
        # a label some rule makes (PER, where PERSON=PER) is already what the map wants: kept
        return None if self.drop_others and label.strip() not in self._made else label

    @cached_property
    def _made(self) -> set[str | None]:
        return set(self.rules.values())

    def __call__(self, label: str) -> str | None:
        """:meth:`new`, counting the change (and the label as seen)."""
        self.seen.add(label.strip())
        new = self.new(label)
        if new != label:
            self.counts[label, new] += 1
        return new

    def spans(self, spans: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
        """``spans`` with their labels mapped; dropped ones left out."""
        out = []
        for start, end, label in spans:
            new = self(label)
            if new is not None:
                out.append((start, end, new))
        return out

    def tags(self, tags: Sequence[str]) -> list[str]:
        """``tags`` with their labels mapped, prefixes as they are; a dropped label's tags
        are ``O``. Entities stay apart: one that begins with ``I-`` after an entity of
        another type (IOB1) begins with ``B-`` once the two have one name, as IOB1 writes it
        (``I-MISC I-LOC`` with ``MISC=LOC`` is ``I-LOC B-LOC``, not one entity)."""
        entities = tags_to_spans(tags)
        for _, _, label in entities:  # counted by entity, not by token
            self(label)
        out = []
        for tag in tags:
            prefix, label = split_tag(tag) if tag != "O" else ("O", "")
            new = self.new(label) if tag != "O" else None
            out.append("O" if new is None else f"{prefix}-{new}")
        for start, _, _ in entities:
            if start > 0 and out[start].startswith("I-") and out[start - 1] != "O" and \
                    split_tag(out[start - 1])[1] == split_tag(out[start])[1]:
                out[start] = "B-" + out[start][2:]
        return out

    def report(self) -> str:
        """How many entities each rule changed, for a line on stderr."""
        changed = ", ".join(f"{old} -> {new or '(dropped)'}: {n}" for (old, new), n in sorted(self.counts.items()))
        return f"label map: {changed or 'no entity changed'}"


def _new(text: str) -> str | None:
    """A rule's NEW: None (the entity dropped) when empty or ``O``, the tag of no entity."""
    new = text.strip()
    return None if new in ("", "O") else new


def _label_problem(new: str | None) -> str | None:
    """Why a rule's NEW cannot be meant as written: a tag (``B-LOC``) where a label belongs
    (a type ``B-LOC``, written ``B-B-LOC``); None when it is fine. An OLD may be one:
    mapping it to a label is the cure (``--map B-PER=PER``). (A NEW with a space inside
    is fine in JSON; the writers of columns refuse it.)"""
    if new is not None and looks_like_tag(new):
        return f"NEW is a tag, not a label: labels come without B-/I- (write {new[2:]!r})"
    return None


def parse_label_map(specs: Sequence[str], drop_others: bool = False) -> LabelMap | None:
    """The map of ``specs`` (each ``A=B``, a TSV file or a preset name); None for no specs."""
    if not specs:
        if drop_others:
            raise UsageError("--map-drop-others drops the labels no --map rule names; give --map")
        return None
    rules: dict[str, str | None] = {}
    given: dict[str, str] = {}  # OLD -> the rule of yours (not a preset's) that names it
    for spec in specs:
        if spec in PRESETS:
            rules.update(PRESETS[spec])
        elif "=" in spec and not os.path.exists(spec):
            old, _, new = spec.partition("=")
            if not old.strip():
                raise UsageError(f"--map {spec!r}: expected OLD=NEW (NEW empty: drop OLD), a TSV file or one of "
                                 f"{', '.join(PRESETS)}")
            problem = _label_problem(_new(new))
            if problem:
                raise UsageError(f"--map {spec!r}: {problem}")
            earlier = given.get(old.strip())
            if earlier is not None and rules[old.strip()] != _new(new):  # (a preset's rule may be overridden)
                raise UsageError(f"--map {spec!r}: --map {earlier!r} already maps {old.strip()!r} otherwise; give one rule")
            rules[old.strip()], given[old.strip()] = _new(new), spec
        elif os.path.isfile(spec):
            read = _read_tsv(spec)
            rules.update(read)
            given.update((old, f"{old}={new or ''} ({spec})") for old, new in read.items())
        else:
            raise UsageError(f"--map {spec!r}: expected OLD=NEW, a TSV file of pairs or one of {', '.join(PRESETS)}")
    return LabelMap(rules, drop_others, given=given)


def _read_tsv(path: str) -> dict[str, str | None]:
    rules: dict[str, str | None] = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            text = line.rstrip("\r\n")
            if not text.strip() or text.startswith("#"):
                continue
            parts = text.split("\t")
            if len(parts) != 2 or not parts[0].strip():
                raise NerpipeError("expected OLD<TAB>NEW (NEW empty: drop OLD)", path, lineno)
            problem = _label_problem(_new(parts[1]))
            if problem:
                raise NerpipeError(problem, path, lineno)
            rules[parts[0].strip()] = _new(parts[1])
    return rules
