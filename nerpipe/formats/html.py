"""``html``: one self-contained page showing every record with its entities marked and
labelled, in the style of spaCy's displaCy (no torch).

The page streams: its head (with a legend of the types, when they are known in
advance, as the types of ``tag``'s model) comes first, records as they are tagged,
its end last; an empty input still gives a whole page. Every piece of input text is
escaped (see :mod:`nerpipe.display`); there is no script and nothing to fetch. A
record shows its ``file:line``; an entity's score, when known, is its tooltip.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from ..display import HTML_TAIL, html_head, legend_html, mark_html
from .view import item_to_view
from .writer import Writer

TITLE = "Named entities (nerpipe)"
# the legend of types found (convert) comes at the end of the stream but shows first
STYLE = """
.page { display: flex; flex-direction: column; } .page > h1 { order: -2; } .page > .legend { order: -1; }
main:empty::after { content: "No records."; color: #656d76; }
"""


class HtmlWriter(Writer):
    wants_scores = True

    def __init__(self, labels: Sequence[str] | None = None):
        self.labels = labels  # the types the output can hold; None: not known in advance
        self.seen: set[str] = set()

    def header(self) -> str:
        legend = legend_html(self.labels) if self.labels is not None else ""
        return f'{html_head(TITLE, STYLE)}<div class="page">\n<h1>{html.escape(TITLE)}</h1>\n{legend}<main>'

    def write(self, item, annotations) -> str:
        view = item_to_view(item, annotations)
        if view is None or not view.text:
            return ""
        self.seen.update(e.label for e in view.entities)
        marked = mark_html(view.text, [(e.start, e.end, e.label, e.score, e.source) for e in view.entities])
        return f'<div class="record"><span class="source">{html.escape(view.path)}:{view.line}</span>{marked}</div>\n'

    def footer(self) -> str:
        # only convert gets here without labels, and it writes every record with this writer
        legend = legend_html(sorted(self.seen)) if self.labels is None and self.seen else ""
        return f"</main>\n{legend}</div>\n{HTML_TAIL}"
