"""``pretty``: text to read on a terminal, each entity highlighted in its type's colour
and labelled, under a dim ``file:line`` (no torch).

Rich decides what standard output can show, as for every rich program: colours on a
terminal, none in a pipe or file, under ``NO_COLOR`` or ``TERM=dumb``; ``FORCE_COLOR``
forces them. On a terminal each paragraph is reflowed to its width (``COLUMNS``
overrides it), breaking lines only between words and never inside an entity; into a
file the input's lines are kept. Without
colour an entity reads ``[Angela Merkel]PER``. Control characters in the input
(an escape sequence, a bell) are shown as ``\\x1b``, never sent to the terminal.
"""

from __future__ import annotations

import re

from ..console import console
from ..display import ansi_colour, colour
from .text import is_list
from .view import RecordView, item_to_view
from .writer import Writer

Piece = tuple  # (text, style) or (text, style, ENTITY): a run of text and its rich style
_CONTROL = re.compile(r"\r\n|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(text: str) -> str:
    """``text`` safe to print: line ends as they read, other control characters escaped."""
    return _CONTROL.sub(lambda m: "\n" if m.group() == "\r\n" else f"\\x{ord(m.group()):02x}", text)


class PrettyWriter(Writer):
    """Each record as highlighted text; ``scores``: each entity's confidence after its label."""

    def __init__(self, scores: bool = False):
        # rich is imported here, so that `nerpipe --help` need not import it
        from rich.console import Console

        self.wants_scores = scores
        probe = Console()  # standard output: a terminal? colours? how wide?
        self.colour = probe.color_system is not None and not probe.no_color
        # 16 colours cannot tell the light palette's colours apart
        self.palette = ansi_colour if probe.color_system in ("standard", "windows") else colour
        # a file keeps the input's lines; a screen gets each paragraph reflowed to its width, measured once
        self.plain = not self.colour and not probe.is_terminal  # rich would add nothing: plain strings are faster
        self.width = probe.width if probe.is_terminal else None
        self.console = console(highlight=False, width=probe.width, height=probe.height, soft_wrap=True)

    def write(self, item, annotations) -> str:
        view = item_to_view(item, annotations)
        if view is None or not view.text:
            return ""
        body = self.render(view)
        if self.width is not None:
            body = reflow(body, self.width, keep_lines=any(is_list(p.split("\n")) for p in _PARAGRAPH.split(view.text)))
        pieces = [(_visible(f"{view.path}:{view.line}"), "dim"), ("\n", None), *body, ("\n", None)]
        if self.plain:
            return "".join(piece[0] for piece in pieces) + "\n"
        from rich.text import Text

        with self.console.capture() as capture:
            self.console.print(Text.assemble(*((piece[0], piece[1]) for piece in pieces)))
        return capture.get()

    def render(self, view: RecordView) -> list[Piece]:
        """The record's text as ``(text, style)`` pieces, each entity highlighted and labelled."""
        from rich.style import Style

        out: list[Piece] = []
        cursor = 0
        for ent in view.entities:
            out.append((_visible(view.text[cursor : ent.start]), None))
            name = _visible(view.text[ent.start : ent.end])
            if self.width is not None:  # reflowed: the name on one line
                name = " ".join(name.split())
            label = _visible(ent.label) + (f" {ent.score:.2f}" if self.wants_scores and ent.score is not None else "")
            if self.colour:
                background = Style(color="black", bgcolor=self.palette(ent.label))
                out += [(f" {name} ", background, ENTITY), (f"{label} ", background + Style(bold=True), ENTITY)]
            else:
                out.append((f"[{name}]{label.replace(' ', ':')}", None, ENTITY))
            cursor = ent.end
        out.append((_visible(view.text[cursor:]), None))
        return out


ENTITY = "entity"  # a third item on a piece: the piece is part of an entity, never broken across lines
LINE: list[Piece] = []  # in reflow's words: a line break kept
_PARAGRAPH = re.compile(r"\n\s*\n")
_SPACE = re.compile(r"(\s+)")


def reflow(pieces: list[Piece], width: int, keep_lines: bool = False) -> list[Piece]:
    """``pieces`` (text, style[, ENTITY]) as lines of at most ``width`` cells: the text's
    own line breaks within a paragraph become spaces (unless ``keep_lines``: a list, whose
    lines are items), a blank line (two breaks or more) stays a paragraph break, and lines
    break only at spaces outside entities, so a highlight is never split. A word (or
    entity) wider than ``width`` gets a line of its own."""
    from rich.cells import cell_len

    # words: runs of pieces with no breakable space between them; None: a paragraph break
    words: list[list[Piece] | None] = []
    current: list[Piece] = []
    for text, style, *kind in pieces:
        if kind:  # an entity's piece: part of the current word, whatever it holds
            current.append((text, style))
            continue
        for k, part in enumerate(_SPACE.split(text)):
            if k % 2 == 0:
                if part:
                    current.append((part, style))
                continue
            if current:
                words.append(current)
                current = []
            if part.count("\n") >= 2:
                words.append(None)
            elif keep_lines and "\n" in part:
                words.append(LINE)
    if current:
        words.append(current)
    out: list[Piece] = []
    used = 0  # cells on the current line
    for word in words:
        if word is None or word is LINE:
            if used:
                out.append(("\n\n" if word is None else "\n", None))
                used = 0
            continue
        size = sum(cell_len(text) for text, _ in word)
        if used and used + 1 + size > width:
            out.append(("\n", None))
            used = 0
        elif used:
            out.append((" ", None))
            used += 1
        out.extend(word)
        used += size
    return out
