"""``pretty``: text to read on a terminal, each entity highlighted in its type's colour
and labelled, under a dim ``file:line`` (no torch).

Rich decides what standard output can show, as for every rich program: colours on a
terminal, none in a pipe or file, under ``NO_COLOR`` or ``TERM=dumb``; ``FORCE_COLOR``
forces them; on a terminal, lines wrap at its width (``COLUMNS`` overrides it). Without
colour an entity reads ``[Angela Merkel]PER``. Control characters in the input
(an escape sequence, a bell) are shown as ``\\x1b``, never sent to the terminal.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..display import ansi_colour, colour
from .view import RecordView, item_to_view
from .writer import Writer

if TYPE_CHECKING:
    from rich.style import Style

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
        # a file keeps the input's lines; a screen wraps them at its width, measured once
        self.plain = not self.colour and not probe.is_terminal  # rich would add nothing: plain strings are faster
        self.console = Console(highlight=False, width=probe.width, height=probe.height, soft_wrap=not probe.is_terminal)

    def write(self, item, annotations) -> str:
        view = item_to_view(item, annotations)
        if view is None or not view.text:
            return ""
        pieces = [(_visible(f"{view.path}:{view.line}"), "dim"), ("\n", None), *self.render(view), ("\n", None)]
        if self.plain:
            return "".join(text for text, _ in pieces) + "\n"
        from rich.text import Text

        with self.console.capture() as capture:
            self.console.print(Text.assemble(*pieces))
        return capture.get()

    def render(self, view: RecordView) -> list[tuple[str, str | Style | None]]:
        """The record's text as ``(text, style)`` pieces, each entity highlighted and labelled."""
        from rich.style import Style

        out, cursor = [], 0
        for ent in view.entities:
            out.append((_visible(view.text[cursor : ent.start]), None))
            name = _visible(view.text[ent.start : ent.end])
            label = _visible(ent.label) + (f" {ent.score:.2f}" if self.wants_scores and ent.score is not None else "")
            if self.colour:
                background = Style(color="black", bgcolor=self.palette(ent.label))
                out += [(f" {name} ", background), (f"{label} ", background + Style(bold=True))]
            else:
                out.append((f"[{name}]{label.replace(' ', ':')}", None))
            cursor = ent.end
        out.append((_visible(view.text[cursor:]), None))
        return out
