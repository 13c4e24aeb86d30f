"""Serves a TUF repository directory over HTTP on the loopback interface, from a thread.

The server needs no trust of its own: everything it hands out is checked by the client (TUF
metadata signatures, target lengths and hashes, then the model's own signature), so a plain
static file server is enough and a compromised one can only refuse service.
"""
from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        pass


class RepositoryServer:
    """`with RepositoryServer(directory) as server:` serves `directory` at server.url
    (http://127.0.0.1:<any free port>/) until the block ends."""

    def __init__(self, directory: str | Path, port: int = 0):
        handler = partial(_QuietHandler, directory=str(directory))
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        # A short poll interval: stop() waits up to one interval for the serving loop to notice.
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        daemon=True, name="ota-repository-server")

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> "RepositoryServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> "RepositoryServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
