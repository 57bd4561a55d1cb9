"""A local HTTP server for tests whose clients may give up (a timeout under test) before the handler writes."""

from __future__ import annotations

import sys
from http.server import ThreadingHTTPServer
from typing import Any


class QuietServer(ThreadingHTTPServer):
    """The broken pipe of a client that has given up is expected: socketserver's default report would print it, from a
    handler thread, into whatever stderr a later test captures. Every other handler error is reported as before."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)
