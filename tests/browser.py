"""Render HTML in a real headless browser (Chromium or Chrome), for tests of HTML output.

    from browser import requires_browser, render, screenshot, parse_html, read_png

    @requires_browser
    def test_page(tmp_path):
        dom = parse_html(render(page))        # the DOM as the browser built it
        image = read_png(screenshot(page, tmp_path / "page.png"))

``render`` gives the DOM after parsing (``--dump-dom``): what a user's browser makes of
the page, so an unescaped ``<script>`` shows up there as an element, not as text.
``requires_browser`` skips, saying why, where no browser is installed (Debian:
``apt-get install chromium``), unless ``NERPIPE_REQUIRE_BROWSER`` is set (CI);
``NERPIPE_BROWSER`` names one explicitly.
"""

from __future__ import annotations

import functools
import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def find_browser() -> str | None:
    """The path of a Chromium-family browser, or None."""
    named = os.environ.get("NERPIPE_BROWSER")
    if named:
        return shutil.which(named) or (named if Path(named).exists() else None)
    return next((path for path in map(shutil.which, CANDIDATES) if path), None)


_MISSING = f"no headless browser found (looked for {', '.join(CANDIDATES)}; on Debian: apt-get install chromium)"


def requires(present: bool, why: str, variable: str = "NERPIPE_REQUIRE_BROWSER"):
    """A decorator: run the test where ``present``; elsewhere skip it, saying ``why``, or
    fail it when the environment ``variable`` is set (CI installs what is needed: a skip
    there would pass unseen)."""
    def decorate(test):
        if present:
            return test
        if os.environ.get(variable):
            @functools.wraps(test)
            def missing(*args, **kwargs):
                pytest.fail(f"{why}, and {variable} is set")
            return missing
        return pytest.mark.skip(reason=why)(test)
    return decorate


def requires_browser(test):
    """Run ``test`` where a browser is (see :func:`requires`)."""
    return requires(find_browser() is not None, _MISSING)(test)


def _run(page: Path, *flags: str, width: int, height: int, timeout: float) -> subprocess.CompletedProcess:
    browser = find_browser()
    if browser is None:
        raise RuntimeError("no browser: mark the test with @requires_browser")
    with tempfile.TemporaryDirectory() as profile:
        # --no-sandbox: the sandbox cannot start as root or in many CI containers
        args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                "--hide-scrollbars", f"--user-data-dir={profile}", f"--window-size={width},{height}", *flags,
                Path(page).resolve().as_uri()]
        proc = subprocess.run(args, capture_output=True, timeout=timeout, check=False)  # failure explained below
    if proc.returncode != 0:
        raise RuntimeError(f"{browser} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[-2000:]}")
    return proc


def render(page: Path, width: int = 1000, height: int = 800, timeout: float = 120) -> str:
    """The page's DOM, serialised by the browser after it parsed and laid out the page."""
    return _run(page, "--dump-dom", width=width, height=height, timeout=timeout).stdout.decode("utf-8")


def screenshot(page: Path, png: Path, width: int = 1000, height: int = 800, timeout: float = 120) -> bytes:
    """A PNG of the page's first ``width`` x ``height`` pixels, written to ``png`` and returned."""
    _run(page, f"--screenshot={Path(png).resolve()}", width=width, height=height, timeout=timeout)
    return Path(png).read_bytes()


# --------------------------------------------------------------------------- the DOM

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list)

    def text(self) -> str:
        """All the text inside, as the user reads it (entities decoded)."""
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self, tag: str | None = None):
        """Every element below this one (depth first), or those with ``tag``."""
        for child in self.children:
            if isinstance(child, Element):
                if tag is None or child.tag == tag:
                    yield child
                yield from child.iter(tag)

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document")
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse_html(text: str) -> Element:
    """A tree of ``text`` (best read from :func:`render`, which is well formed)."""
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


# --------------------------------------------------------------------------- screenshots

@dataclass(frozen=True)
class Image:
    width: int
    height: int
    rows: list[bytes]  # RGB, 3 bytes a pixel

    def colours(self) -> set[tuple[int, int, int]]:
        return {tuple(row[i : i + 3]) for row in self.rows for i in range(0, len(row), 3)}


def read_png(data: bytes) -> Image:
    """Decode an 8-bit RGB or RGBA PNG without interlacing (what Chromium writes)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or colour_type not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour_type}, interlace {interlace}")
    bpp = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + (left + previous[i]) // 2) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = previous[i], previous[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line) if bpp == 3 else bytes(v for i, v in enumerate(line) if i % 4 != 3))
        previous = line
    return Image(width, height, rows)


# --------------------------------------------------------------------------- driving a page

_NO_DRIVER = ("no chromedriver and selenium to drive a browser (Debian: apt-get install chromium chromium-driver; "
              "selenium comes with pip install -e '.[test]')")


def find_driver() -> str | None:
    """The path of chromedriver, when it and selenium are there; else None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return None
    return shutil.which("chromedriver") if find_browser() else None


def requires_driver(test):
    """As :func:`requires_browser`, for tests that drive a page with the keyboard and mouse."""
    return requires(find_driver() is not None, _NO_DRIVER)(test)


def webdriver(width: int = 1100, height: int = 800):
    """A headless Chromium under selenium, driven through the system's chromedriver (no
    download: Selenium Manager is not asked)."""
    from selenium import webdriver as selenium_webdriver
    from selenium.webdriver.chrome.service import Service

    options = selenium_webdriver.ChromeOptions()
    options.binary_location = find_browser()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                 "--disable-dev-shm-usage", f"--window-size={width},{height}"):
        options.add_argument(flag)
    return selenium_webdriver.Chrome(service=Service(executable_path=find_driver()), options=options)
