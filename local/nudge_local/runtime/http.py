"""The local HTTP API on a real socket: a thin stdlib server in front of `LocalRuntime.handle`, which
does the routing, the API Gateway event, the invocation and the `/_local/...` controls."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


class _Handler(BaseHTTPRequestHandler):
    server_version = "nudge-local"
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle's algorithm the second waits for the client's
    # delayed ACK (~40 ms an answer on Linux), which API Gateway does not add.
    disable_nagle_algorithm = True
    runtime: Any = None  # set per server class below

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, payload = self.runtime.handle(
            self.command,
            url.path,
            url.query,
            list(self.headers.items()),
            body,
            source_ip=self.client_address[0],
            domain=self.headers.get("host") or "localhost",
        )
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        # Only the request line: query strings and bodies may carry personal data.
        if self.runtime.access_log is not None:
            self.runtime.access_log.write(
                f"{self.command} {urlsplit(self.path).path} {args[1] if len(args) > 1 else ''}\n"
            )


def make_server(runtime: Any, host: str = "127.0.0.1", port: int = 3000) -> ThreadingHTTPServer:
    handler = type("NudgeLocalHandler", (_Handler,), {"runtime": runtime})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve_in_background(runtime: Any, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """Start serving on a thread (tests, benchmarks); stop with `server.shutdown()`."""
    server = make_server(runtime, host, port)
    threading.Thread(target=server.serve_forever, name="nudge-local-http", daemon=True).start()
    return server
