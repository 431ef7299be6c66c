"""How entities look to a person: one colour per type, text marked up as HTML pages (no torch).

``tag -f pretty`` (a terminal), ``tag -f html`` and ``score --format html`` all draw
from here, so a type has the same colour everywhere. Every piece of input text that
reaches HTML goes through :func:`html.escape`; pages are self-contained (inline CSS,
no script, no network).
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterable, Sequence

# light backgrounds that black text reads well on; the four CoNLL types get fixed ones
COLOURS = {"PER": "#c4b5fd", "ORG": "#7dd3c8", "LOC": "#fdba74", "MISC": "#fde68a"}
_SPARE = ("#a5d8ff", "#f9a8d4", "#bef264", "#d8b4fe", "#fcd34d", "#99f6e4", "#fecaca", "#c7d2fe", "#e9d5ff", "#bbf7d0")


def colour(label: str) -> str:
    """The background colour of entity type ``label`` (stable across runs and processes)."""
    if label in COLOURS:
        return COLOURS[label]
    digest = hashlib.blake2s(label.encode("utf-8"), digest_size=2).digest()
    return _SPARE[int.from_bytes(digest, "big") % len(_SPARE)]


# for terminals of 16 colours, where the light colours above would all turn white or yellow
ANSI_COLOURS = {"PER": "magenta", "ORG": "cyan", "LOC": "yellow", "MISC": "green"}
_ANSI_SPARE = ("bright_blue", "bright_magenta", "bright_green", "bright_cyan", "bright_yellow", "bright_red")


def ansi_colour(label: str) -> str:
    """The background colour of ``label`` among a terminal's 16 (a rich colour name)."""
    if label in ANSI_COLOURS:
        return ANSI_COLOURS[label]
    digest = hashlib.blake2s(label.encode("utf-8"), digest_size=2).digest()
    return _ANSI_SPARE[int.from_bytes(digest, "big") % len(_ANSI_SPARE)]


def mark_html(text: str, spans: Iterable[tuple[int, int, str, float | None] | tuple[int, int, str, float | None, str | None]],
              css_class: str = "entity") -> str:
    """``text`` as escaped HTML with each ``(start, end, label, score)`` character span
    (or ``(start, end, label, score, source)``: a pattern's is said in its tooltip)
    wrapped in a labelled ``<mark>``. Spans must not overlap; they may come in any order."""
    out, cursor = [], 0
    for start, end, label, score, *rest in sorted(spans, key=lambda s: (s[0], s[1])):
        if start < cursor:
            raise ValueError(f"overlapping spans at character {start}")
        out.append(html.escape(text[cursor:start]))
        source = rest[0] if rest else None
        said = [label] + ([f"{score:.2f}"] if score is not None else []) + ([f"from {source}"] if source not in (None, "model") else [])
        title = f' title="{html.escape(" ".join(said))}"' if len(said) > 1 else ""
        out.append(f'<mark class="{css_class}" style="background:{colour(label)}"{title}>{html.escape(text[start:end])}'
                   f'<span class="label">{html.escape(label)}</span></mark>')
        cursor = end
    out.append(html.escape(text[cursor:]))
    return "".join(out)


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 60rem;
       padding: 0 1rem; color: #1f2328; background: #fff; line-height: 2.4; }
h1 { font-size: 1.3rem; line-height: 1.3; } h2 { font-size: 1.1rem; line-height: 1.3; margin-top: 2rem; }
.record { border-top: 1px solid #d0d7de; padding: 0.6rem 0; white-space: pre-wrap; }
.source { display: block; color: #656d76; font-size: 0.75rem; line-height: 1.2; white-space: normal; }
mark { padding: 0.3em 0.45em; margin: 0 0.1em; border-radius: 0.35em; line-height: 1; color: #1f2328;
       box-decoration-break: clone; -webkit-box-decoration-break: clone; }
mark .label { font-size: 0.68em; font-weight: 700; letter-spacing: 0.02em; margin-left: 0.45em;
              vertical-align: middle; text-transform: uppercase; }
mark.gold { outline: 2px solid #1a7f37; } mark.pred { outline: 2px dashed #cf222e; }
table { border-collapse: collapse; line-height: 1.4; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #d0d7de; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.legend mark { font-size: 0.85rem; }
"""


def html_head(title: str, style: str = "") -> str:
    """The start of a self-contained page, up to and including ``<body>``; ``title`` is escaped."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{STYLE}{style}</style>\n</head>\n<body>\n")


HTML_TAIL = "</body>\n</html>\n"


def html_page(title: str, body: str, style: str = "") -> str:
    """A whole self-contained page around ``body`` (already HTML); ``title`` is escaped."""
    return f"{html_head(title, style)}{body}\n{HTML_TAIL}"


def legend_html(labels: Iterable[str]) -> str:
    """A legend: each entity type as a mark in its colour."""
    marks = " ".join(f'<mark style="background:{colour(label)}">{html.escape(label)}</mark>' for label in labels)
    return f'<p class="legend">{marks}</p>\n'


def html_table(header: Sequence[str], rows: Iterable[Sequence[object]], caption: str = "") -> str:
    """A plain HTML table; every cell is escaped."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>\n" for row in rows)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody></table>\n"
