"""Where records come from: files, standard input, gzip, and their decoding into numbered lines (no torch).

Every reader streams: it takes a path (``-`` is standard input), decodes line by line
so an undecodable byte is reported as ``file:line``, and hands lines on as soon as
they arrive. Gzip data (a ``.gz`` file or gzip bytes on standard input) is unpacked on
the way. A :class:`LineSource` also tells when its input has paused (a pipe with
nothing to read right now), so a tagger can write what it has instead of waiting.
"""

from __future__ import annotations

import io
import os
import re
import select
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Protocol

from ..errors import NerpipeError

OnError = Callable[[NerpipeError], None]
GZIP_MAGIC = b"\x1f\x8b"
BOM = "\ufeff"
# files people pass by mistake, known by their first bytes: said as what they are, with the way to text
BINARY_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": ("a PNG image", ""),
    b"\xff\xd8\xff": ("a JPEG image", ""),
    b"GIF87a": ("a GIF image", ""),
    b"GIF89a": ("a GIF image", ""),
    **{b"%%PDF-1.%d" % minor: ("a PDF document", "; extract its text first, e.g. pdftotext FILE -") for minor in range(10)},
    b"%PDF-2.0": ("a PDF document", "; extract its text first, e.g. pdftotext FILE -"),
    b"PK\x03\x04": ("a ZIP archive (as .docx, .xlsx and .odt files are)", "; save or extract it as plain text first"),
    **{b"BZh%d1AY&SY" % level: ("bzip2 data", "; decompress it first, e.g. bzcat FILE | nerpipe ...") for level in range(1, 10)},
    b"\xfd7zXZ\x00": ("xz data", "; decompress it first, e.g. xzcat FILE | nerpipe ..."),
    b"\x28\xb5\x2f\xfd": ("zstd data", "; decompress it first, e.g. zstdcat FILE | nerpipe ..."),
    b"\x7fELF": ("a program (ELF executable)", ""),
}
_ODD_BREAKS = re.compile("\r(?!\n)|[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _binary(data: bytes) -> bool:
    """Whether ``data`` (the first bytes of a file) holds what no text has: a control
    character other than a line end or tab, or bytes that are not UTF-8."""
    if any(b < 0x20 and b not in b"\t\n\r" for b in data):
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        return err.reason != "unexpected end of data"  # a character cut by the end of the peek is no evidence
    return False


def as_paths(paths: str | os.PathLike | Sequence[str | os.PathLike]) -> list[str]:
    """One path (a string or a ``pathlib.Path``) or a list of them, as a list of strings:
    the library's readers take either (a string is never read as its characters)."""
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    return [os.fspath(p) for p in paths]


def same_file(a: str, b: str) -> bool:
    """Whether two paths name one file: both there and one file (links too), or, where one
    is not there yet, the same path. Standard input (``-``) is no file here."""
    if a == "-" or b == "-":
        return False
    try:
        return os.path.samefile(a, b)
    except OSError:  # (one not there yet)
        return os.path.abspath(a) == os.path.abspath(b)


def display_name(path: str) -> str:
    return "<stdin>" if path == "-" else path


def strip_eol(line: str) -> tuple[str, str]:
    """Split ``line`` into its text and its line end (``\\r\\n``, ``\\n`` or ``""``)."""
    if line.endswith("\r\n"):
        return line[:-2], "\r\n"
    if line.endswith("\n"):
        return line[:-1], "\n"
    return line, ""


class Chunks(Protocol):
    """A binary stream that hands on what it has (``read1``): files, pipes, gzip as it unpacks."""

    def read1(self, size: int = -1, /) -> bytes: ...


def _open_binary(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as err:
        raise NerpipeError(f"cannot open: {err.strerror}", path) from None


def _decode(raw: bytes, name: str, lineno: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        if lineno == 1 and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            hint = "the file is UTF-16; convert it with: iconv -f UTF-16 -t UTF-8"
        elif b"\x00" in raw:
            hint = "this looks like a binary file, not text"
        elif any(0x80 <= b <= 0x9F for b in raw):  # C1 controls in Latin-1: Windows' curly quotes, dashes, euro
            hint = "the file is not UTF-8; convert it, e.g. with: iconv -f CP1252 -t UTF-8"
        else:
            hint = "the file is not UTF-8; convert it, e.g. with: iconv -f LATIN1 -t UTF-8"
        bad = raw[err.start]
        raise NerpipeError(f"invalid UTF-8 (byte 0x{bad:02x} at column {err.start + 1}); {hint}", name, lineno) from None


class Unreadable(str):
    """A line that could not be decoded (reported already, with ``on_error``), as decoded
    with U+FFFD for each bad byte: parsers skip the record holding it, and offsets into
    the text after it count it at that length."""


class LineSource:
    """The numbered lines of one input: ``(line_number, text)``, line ends kept.

    Only ``\\n`` ends a line (a ``\\r`` or U+2028 inside a line is data). An
    undecodable line raises, or with ``on_error`` is reported to it and comes through
    as :class:`Unreadable` so the parser can skip the record holding it. A leading BOM is kept:
    parsers decide what it means.
    """

    def __init__(self, path: str, on_error: OnError | None = None):
        self.path, self.name, self.on_error = path, display_name(path), on_error
        self._raw: IO[bytes] | None = None
        self._stream: Chunks | None = None
        self._buffered = 0  # lines decoded but not yet handed on
        self._ended = False
        self._pollable: int | None = None  # the descriptor to poll for a pause; -1: never pauses

    # ------------------------------------------------------------------ opening

    def _open(self) -> Chunks:
        raw = _open_binary(self.path)
        self._raw = raw
        stream: Chunks
        if hasattr(raw, "peek"):
            stream, head = raw, raw.peek(16)[:16]  # type: ignore[assignment]  # a BufferedReader
        else:  # an in-memory stream (tests): read the head and put it back in front
            head = raw.read1(16)  # type: ignore[attr-defined]  # BytesIO
            stream = _Prefixed(head, raw)
        for magic, (what, advice) in BINARY_SIGNATURES.items():
            # text may open with the same letters ("GIF89a is a format"): the file must go on in binary
            if head.startswith(magic) and (magic[0] >= 0x80 or magic[0] < 0x20 or _binary(head[len(magic):])):
                raise NerpipeError(f"this is {what}, not text{advice}", self.name, 1)
        return _GzipStream(stream, self.name) if head[:2] == GZIP_MAGIC else stream

    def idle(self, wait: float = 0.0) -> bool:
        """True when every line read so far has been handed on and the input (a pipe or
        terminal) has nothing more to read right now, nor within ``wait`` seconds; never
        for a regular file."""
        if self._ended or self._buffered or self._stream is None or self._raw is None:
            return False
        if isinstance(self._stream, _GzipStream) and self._stream.pending:
            return False
        if self._pollable is None:
            try:
                fd = self._raw.fileno()
                self._pollable = fd if not _is_regular(fd) else -1
            except (OSError, ValueError, io.UnsupportedOperation):
                self._pollable = -1  # not a real file descriptor (a test's in-memory stdin): never paused
        if self._pollable < 0:
            return False  # a regular file never pauses
        ready, _, _ = select.select([self._pollable], [], [], wait)
        return not ready

    # ------------------------------------------------------------------ lines

    def __iter__(self) -> Iterator[tuple[int, str]]:
        stream = self._stream = self._open()
        lineno = 0
        rest = b""
        try:
            while True:
                block = stream.read1(1 << 16)
                if not block:
                    break
                cut = block.rfind(b"\n") + 1
                if cut == 0:
                    rest += block
                    continue
                chunk, rest = rest + block[:cut], block[cut:]
                for line in self._hand_on(chunk, lineno):
                    lineno += 1
                    yield lineno, line
            if rest:
                for line in self._hand_on(rest, lineno):
                    lineno += 1
                    yield lineno, line
        finally:
            self._ended = True
            if self._raw is not None and self._raw is not sys.stdin.buffer:
                self._raw.close()

    def _hand_on(self, chunk: bytes, lineno: int) -> Iterator[str]:
        """The decoded lines of ``chunk``, counting those not yet handed on (for :meth:`idle`)."""
        self._buffered = chunk.count(b"\n") + (not chunk.endswith(b"\n"))  # its lines (the last may lack an end)
        for line in _decode_block(chunk, self.name, lineno, self.on_error):
            self._buffered -= 1
            yield line


def _is_regular(fd: int) -> bool:
    import stat

    return stat.S_ISREG(os.fstat(fd).st_mode)


class _Prefixed:
    def __init__(self, head: bytes, raw: IO[bytes]):
        self.head, self.raw = head, raw

    def read1(self, size: int = -1, /) -> bytes:
        if self.head:
            out, self.head = self.head, b""
            return out
        return self.raw.read1(size)  # type: ignore[attr-defined]  # BytesIO


class _GzipStream:
    """gzip members unpacked as they arrive (``read1`` returns what is there), so a
    gzip pipe streams too; concatenated members (``cat a.gz b.gz``) read as one."""

    def __init__(self, raw: Chunks, name: str):
        self.raw, self.name = raw, name
        self.inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self.in_member = False  # data of an unfinished member has been fed
        self.pending = b""

    def read1(self, size: int = -1, /) -> bytes:
        while not self.pending:
            data = self.raw.read1(size)
            if not data:
                if self.in_member:
                    raise NerpipeError("the gzip data ends early (a truncated file?)", self.name)
                return b""
            self._feed(data)
        out, self.pending = self.pending[:size], self.pending[size:]
        return out

    def _feed(self, data: bytes) -> None:
        try:
            while data:
                self.in_member = True
                self.pending += self.inflate.decompress(data)
                if not self.inflate.eof:
                    return
                self.in_member = False
                data = self.inflate.unused_data
                self.inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        except zlib.error as err:
            raise NerpipeError(f"bad gzip data: {err}", self.name) from None


def _decode_block(chunk: bytes, name: str, lineno: int, on_error: OnError | None) -> Iterable[str]:
    """Lines of ``chunk`` (whole lines); the slow line-by-line path finds bad ones, after
    handing on the lines before them."""
    if b"\x00" not in chunk:
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if _ODD_BREAKS.search(text) is None:
                return text.splitlines(keepends=True)  # exact here: "\n" and "\r\n" are the only breaks
            parts = text.split("\n")
            return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    return _decode_lines(chunk, name, lineno, on_error)


def _decode_lines(chunk: bytes, name: str, lineno: int, on_error: OnError | None) -> Iterator[str]:
    """:func:`_decode_block`'s slow path, a line at a time."""
    raw_lines = chunk.split(b"\n")
    raw_lines = [r + b"\n" for r in raw_lines[:-1]] + ([raw_lines[-1]] if raw_lines[-1] else [])
    for k, raw in enumerate(raw_lines, lineno + 1):
        try:
            if b"\x00" in raw:
                raise NerpipeError("binary data (NUL byte); expected a UTF-8 text file (gzip is read as such)", name, k)
            line = _decode(raw, name, k)
        except NerpipeError as err:
            if on_error is None:
                raise
            on_error(err)
            line = Unreadable(raw.decode("utf-8", "replace"))
        yield line


def read_lines(path: str, on_error: OnError | None = None) -> LineSource:
    """The numbered lines of ``path`` (``-``: standard input), gzip unpacked."""
    return LineSource(path, on_error)
