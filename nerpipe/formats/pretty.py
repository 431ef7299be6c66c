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
    from rich.text import Text

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
        self.console = Console(highlight=False)  # standard output: a terminal? colours? how wide?
        self.console.soft_wrap = not self.console.is_terminal  # lines wrap on a screen; a file keeps the input's
        self.colour = self.console.color_system is not None and not self.console.no_color
        # 16 colours cannot tell the light palette's colours apart
        self.palette = ansi_colour if self.console.color_system in ("standard", "windows") else colour

    def write(self, item, annotations) -> str:
        view = item_to_view(item, annotations)
        if view is None or not view.text:
            return ""
        with self.console.capture() as capture:
            self.console.print(self.render_source(view))
            self.console.print(self.render(view))
            self.console.print()
        return capture.get()

    def render_source(self, view: RecordView) -> Text:
        from rich.text import Text

        return Text(_visible(f"{view.path}:{view.line}"), style="dim")

    def render(self, view: RecordView) -> Text:
        from rich.style import Style
        from rich.text import Text

        out, cursor = Text(), 0
        for ent in view.entities:
            out.append(_visible(view.text[cursor : ent.start]))
            name = _visible(view.text[ent.start : ent.end])
            label = ent.label + (f" {ent.score:.2f}" if self.wants_scores and ent.score is not None else "")
            if self.colour:
                background = Style(color="black", bgcolor=self.palette(ent.label))
                out.append(f" {name} ", background)
                out.append(f"{_visible(label)} ", background + Style(bold=True))
            else:
                out.append(f"[{name}]{_visible(label).replace(' ', ':')}")
            cursor = ent.end
        out.append(_visible(view.text[cursor:]))
        return out
