"""A local messaging gateway: NHN Cloud (KakaoTalk Bizmessage AlimTalk v2.3, brand message v1.0, SMS v3.0
with its ad-SMS endpoints) and Solapi (messages v4), in-process or on localhost, validating the way the real
services do (korea-messaging.md §2–3).

The front door. Each provider is a module of its own, with what it checks and the codes it answers:
`nhn.py` (X-Secret-Key per appKey, approved AlimTalk templates and their variables, ad-SMS labels and
byte limits, Kakao's night block, M/N targeting, the SMS fallback, idempotency keys, NHN's 080 list) and
`solapi.py` (HMAC-SHA256 signatures within 15 minutes, the same rules in Solapi's codes, message groups
sent at most once). What they share:
`common.py` (a Korean text message's encoding, byte limits and ad label, the night window, a template's
variables, the wire's answers) and `outbox.py` (the people on the other end, and what the gateways took
and owe).

Here: the routing of a request to its provider, the faults injected on request (`Faults`: error rate,
latency, timeouts, dropped reports, a lagging message list), and the two ways to reach it: on a socket
(`serve`) or in-process as an httpx transport (`transport`: the local runtime's functions and the tests, no
socket). It keeps an outbox of what reached a phone (`outbox`, served as `GET /_local/outbox`), queues
delivery reports for Nudge (`take_reports`: the runtime posts them to `/gateway/reports/{provider}`, with
the store's report signature where each gateway carries it: NHN's header, the Solapi report URL's query),
and answers the lookups the sender uses after an unclear outcome (the message lists, a Solapi group).
"""

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from nudge_local.gateway import nhn
from nudge_local.gateway.common import Answer, answer
from nudge_local.gateway.images import Upload
from nudge_local.gateway.nhn import NhnAccount, NhnCloud
from nudge_local.gateway.outbox import Outbox, Recipients, Report
from nudge_local.gateway.solapi import Solapi, SolapiAccount

__all__ = ["Faults", "GatewayEmulator", "NhnAccount", "Report", "SolapiAccount"]


@dataclass
class Faults:
    """Injected on the requests that change something (POST, PUT: a send, and Solapi's group calls).
    `error_rate` answers 500 (half the time after doing what was asked, as a gateway that fails while
    answering would); `timeout_rate` does it and never answers. `lookup_lag_seconds`: the message lists the
    sender asks after an unclear outcome (Solapi's `/messages/v4/list`, NHN's message searches) show a
    message only this long after it was taken, on the emulator's clock, as a search index behind the
    gateway's own records would (a Solapi group, read by its id, does not lag)."""

    error_rate: float = 0.0
    timeout_rate: float = 0.0
    latency_seconds: float = 0.0
    drop_report_rate: float = 0.0
    timeout_seconds: float = 6.0  # a socket client waits this long (beyond the sender's 5 s timeout)
    lookup_lag_seconds: float = 0.0
    seed: int | None = None


class _Timeout(Exception):
    pass


class GatewayEmulator:
    def __init__(
        self,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        nhn: list[NhnAccount] | None = None,
        solapi: list[SolapiAccount] | None = None,
    ) -> None:
        self.now = now
        self.nhn = list(nhn or [])  # the accounts each provider knows
        self.solapi = list(solapi or [])
        self.faults = Faults()
        self._lock = threading.RLock()
        self._random = random.Random()
        self._recipients = Recipients()
        self._outbox = Outbox(self._lock, self._report_dropped)
        self._nhn_api = NhnCloud(self.nhn, self._outbox, self._recipients, self._now)
        self._solapi_api = Solapi(self.solapi, self._outbox, self._recipients, self._now)
        self._server: ThreadingHTTPServer | None = None

    def _now(self) -> datetime:
        return self.now()

    def _report_dropped(self) -> bool:
        # Called under the lock, by the outbox queuing a report.
        return self._random.random() < self.faults.drop_report_rate

    # ------------------------------------------------------------------ the other end, what was taken
    @property
    def non_kakao(self) -> set[str]:
        """Numbers without KakaoTalk."""
        return self._recipients.non_kakao

    @non_kakao.setter
    def non_kakao(self, numbers: set[str]) -> None:
        self._recipients.non_kakao = numbers

    @property
    def blocked(self) -> set[str]:
        """Numbers that blocked the store's channel."""
        return self._recipients.blocked

    @blocked.setter
    def blocked(self, numbers: set[str]) -> None:
        self._recipients.blocked = numbers

    @property
    def optout_080(self) -> dict[str, datetime]:
        """Numbers on the store's 080 free opt-out list -> when they called."""
        return self._recipients.optout_080

    @optout_080.setter
    def optout_080(self, numbers: dict[str, datetime]) -> None:
        self._recipients.optout_080 = numbers

    @property
    def outbox(self) -> list[dict[str, Any]]:
        """What reached a phone, in order."""
        return self._outbox.messages

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every send request that was taken (for duplicate checks)."""
        return self._outbox.requests

    # ------------------------------------------------------------------ control
    def set_faults(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._random = random.Random(faults.seed)

    def take_reports(self) -> list[Report]:
        """The reports to post (outbox.py: results waiting for the same webhook go out together)."""
        return self._outbox.take_reports()

    def reset(self) -> None:
        with self._lock:
            self._outbox.reset()
            self._nhn_api.reset()
            self._solapi_api.reset()

    # ------------------------------------------------------------------ transports
    def transport(self, *, wait: bool = False) -> httpx.MockTransport:
        """In-process: no socket. A timeout fault raises httpx.ReadTimeout after the message was taken, and so
        does a latency longer than the client's read timeout, as on a socket. With `wait`, the client waits
        as it would on a socket (the sender's measured duration then includes it): the latency, and on a
        timeout the rest of its read timeout (or of the fault's `timeout_seconds`, if shorter)."""

        def handler(request: httpx.Request) -> httpx.Response:
            faults = self.faults
            read_timeout = request.extensions.get("timeout", {}).get("read") or float("inf")
            latency = faults.latency_seconds if request.method in ("POST", "PUT") else 0.0
            try:
                status, headers, body = self.handle(
                    request.method,
                    request.url.path,
                    request.url.query.decode(),
                    dict(request.headers),
                    request.content,
                    sleep=False,
                )
                waited = min(latency, read_timeout)
                late = latency >= read_timeout  # the answer comes after the client gave up
            except _Timeout:
                waited = min(latency + faults.timeout_seconds, read_timeout)
                late = True
            if wait and waited:
                time.sleep(waited)
            if late:
                raise httpx.ReadTimeout("emulated gateway timeout", request=request)
            return httpx.Response(status, headers=headers, content=body)

        return httpx.MockTransport(handler)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on a socket in a background thread; returns the base URL."""
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The headers and the body go out in two writes: with Nagle's algorithm on, the body waits for
            # the client's delayed ACK of the headers (tens of milliseconds per request on Linux).
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    status, headers, payload = emulator.handle(
                        self.command,
                        url.path,
                        url.query,
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                    )
                except _Timeout:
                    time.sleep(emulator.faults.timeout_seconds)
                    self.close_connection = True
                    return
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="gateway-emulator", daemon=True).start()
        return f"http://{host}:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # ------------------------------------------------------------------ routing
    def handle(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes, *, sleep: bool = True
    ) -> Answer:
        headers = {k.lower(): v for k, v in headers.items()}
        params = dict(parse_qsl(query))
        parts = [p for p in path.split("/") if p]
        faults = self.faults
        if method == "GET":  # lookups after an unclear outcome: Solapi's paths, anything else NHN's
            listed_by = self._now() - timedelta(seconds=faults.lookup_lag_seconds)
            found = self._solapi_api.lookup(parts, headers, params, listed_by)
            return found if found is not None else self._nhn_api.lookup(parts, headers, params, listed_by)
        if method not in ("POST", "PUT"):
            return answer(405, {"message": "method not allowed"})
        if faults.latency_seconds and sleep:
            time.sleep(faults.latency_seconds)
        with self._lock:
            roll = self._random.random()
        fail = roll < faults.error_rate
        timeout = not fail and roll < faults.error_rate + faults.timeout_rate
        if fail and roll < faults.error_rate / 2:
            return answer(503, {"message": "Service Unavailable"})  # refused before taking it
        routed: Answer | None = None
        if headers.get("content-type", "").startswith("multipart/form-data"):
            form = _form(headers["content-type"], body)
            routed = self._nhn_api.route_form(parts, headers, form) if method == "POST" else None
            if routed is None:
                routed = answer(
                    400, {"header": nhn.header(-9996, "Only application/json Content-type is supported.")}
                )
            return _faulted(routed, fail, timeout)
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return answer(400, {"header": nhn.header(-2000, "body is not JSON")})
        routed = self._nhn_api.route(parts, headers, data) if method == "POST" else None
        if routed is None:
            routed = self._solapi_api.route(method, parts, headers, data)
        if routed is None:
            routed = answer(404, {"message": f"no such endpoint /{'/'.join(parts)}"})
        return _faulted(routed, fail, timeout)

    # ------------------------------------------------------------------ images
    @property
    def uploads(self) -> list[Upload]:
        """Every image an account uploaded, in order (a test asks: was it uploaded once?)."""
        return list(self._outbox.uploads.all)


def _faulted(routed: Answer, fail: bool, timeout: bool) -> Answer:
    if fail:
        return answer(500, {"message": "Internal Server Error"})  # taken, but the answer is lost
    if timeout:
        raise _Timeout  # the transport waits as its client would
    return routed


def _form(content_type: str, body: bytes) -> dict[str, tuple[str, bytes]]:
    """A multipart/form-data body's parts: name -> (file name, bytes)."""
    message = BytesParser(policy=default).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    parts: dict[str, tuple[str, bytes]] = {}
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        return parts
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            parts[name] = (part.get_filename() or "", payload)
    return parts
