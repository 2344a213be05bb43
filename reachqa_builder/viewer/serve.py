"""Serve a generated site on 127.0.0.1 (the site also opens from disk without this)."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def make_server(site_dir: str | Path, port: int = 8000, host: str = "127.0.0.1") -> http.server.ThreadingHTTPServer:
    """An HTTP server for ``site_dir`` bound to ``host:port`` (port 0: any free port); not started."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    return http.server.ThreadingHTTPServer((host, port), handler)


def serve(site_dir: str | Path, port: int = 8000, host: str = "127.0.0.1", background: bool = False):
    """Serve until interrupted (or, with ``background``, in a thread: returns the server; call ``shutdown()``)."""
    server = make_server(site_dir, port, host)
    if background:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return server
