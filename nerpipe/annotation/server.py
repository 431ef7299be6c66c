"""The local web server of ``nerpipe annotate`` (no torch).

It listens on 127.0.0.1 only, on a free port unless one is given, and answers only
requests that carry its access token (made anew each start, printed in the URL as
Jupyter does; the page then sends it in a header). Requests whose ``Host`` is not the
server's own are refused, so another site cannot reach it through DNS rebinding. The
page (``page.html``) is one self-contained document: no script, style or font is
fetched from anywhere, and a Content-Security-Policy header forbids it.

    GET  /?token=T                    the page
    GET  /api/record?index=I          a record, its spans and the progress (index omitted: the first undecided)
    POST /api/answer                  {"index", "answer", "spans"}: decided, on disk before the reply
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..display import colour
from ..errors import UsageError
from .session import Session

TOKEN_HEADER = "X-Nerpipe-Token"
MAX_BODY = 1 << 20


def page(session: Session, token: str) -> bytes:
    """The page, with what it needs to start (labels, their colours, the token) as JSON."""
    template = resources.files(__package__).joinpath("page.html").read_text(encoding="utf-8")
    config = {"token": token, "labels": [{"name": label, "colour": colour(label)} for label in session.labels]}
    # no "<" in the script element (neither "</script" nor "<!--" could then end or hide it)
    data = json.dumps(config, ensure_ascii=True).replace("<", "\\u003c")
    return template.replace("/*CONFIG*/null", data).encode("utf-8")


class AnnotationServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, session: Session, port: int = 0, token: str | None = None):
        self.session = session
        self.token = token or secrets.token_urlsafe(24)
        try:
            super().__init__(("127.0.0.1", port), _Handler)
        except OSError as err:
            raise UsageError(f"--port {port}: {err.strerror}") from None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/?token={self.token}"

    def serve_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: AnnotationServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the terminal shows the URL and errors only
        pass

    def _allowed(self) -> bool:
        port = self.server.server_address[1]
        if self.headers.get("Host") not in (f"127.0.0.1:{port}", f"localhost:{port}"):
            self._send(403, b"forbidden: wrong host\n", "text/plain")
            return False
        given = self.headers.get(TOKEN_HEADER) or parse_qs(urlsplit(self.path).query).get("token", [""])[0]
        if not hmac.compare_digest(given.encode(), self.server.token.encode()):
            self._send(403, b"forbidden: this needs the URL nerpipe annotate printed, with its token\n", "text/plain")
            return False
        return True

    def do_GET(self) -> None:
        if not self._allowed():
            return
        url = urlsplit(self.path)
        session = self.server.session
        if url.path == "/":
            self._send(200, page(session, self.server.token), "text/html; charset=utf-8")
        elif url.path == "/api/record":
            query = parse_qs(url.query)
            try:
                if "index" in query and not query["index"][0].isdigit():
                    raise ValueError(f"index {query['index'][0]!r}: expected a record number")
                index = int(query["index"][0]) if "index" in query else session.first_open()
                self._json(200, session.record(index) if index is not None else {"index": None, **session.progress()})
            except ValueError as err:
                self._json(400, {"error": str(err)})
        else:
            self._send(404, b"not found\n", "text/plain")

    def do_POST(self) -> None:
        if not self._allowed():
            return
        if urlsplit(self.path).path != "/api/answer":
            self._send(404, b"not found\n", "text/plain")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            self.close_connection = True  # (the body is not read)
            self._json(400, {"error": "expected a JSON body"})
            return
        try:
            body = json.loads(self.rfile.read(length))
            result = self.server.session.decide(body["index"], body["answer"], body["spans"])
        except (ValueError, KeyError, TypeError) as err:
            self._json(400, {"error": str(err)})
            return
        except OSError as err:  # the disk: the page must not move on as if it were written
            self._json(500, {"error": f"could not write {self.server.session.path}: {err.strerror or err}"})
            return
        self._json(200, result)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json")

    def _send(self, status: int, body: bytes, kind: str) -> None:
        if status >= 400:
            self.close_connection = True  # a body left unread must not be taken for the next request
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; "
                                                    "style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; "
                                                    "form-action 'none'; frame-ancestors 'none'")
        self.end_headers()
        self.wfile.write(body)
