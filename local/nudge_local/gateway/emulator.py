"""A local messaging gateway: NHN Cloud (KakaoTalk Bizmessage AlimTalk v2.3, brand message v1.0, SMS v3.0
with its ad-SMS endpoints) and Solapi (messages v4), in-process or on localhost, validating the way the real
services do.

What it checks, with the codes the real gateways answer (korea-messaging.md §2–3):
- authentication: NHN `X-Secret-Key` per appKey (-1001); Solapi `HMAC-SHA256 apiKey, date, salt, signature`
  (HTTP 401), the date within 15 minutes;
- AlimTalk: an approved template code (-3005) and every `#{variable}` of the template given (-2000);
- ad SMS (`/sender/ad-sms`, `/sender/ad-mms`): "(광고)" first and "무료수신거부 080…" / "무료거부 080…"
  last (-2000); EUC-KR only and 90 bytes SMS / 2,000 bytes LMS body / 40 bytes title (-2000);
  a registered sender number (-2000);
- Kakao: the brand-message night block 20:50–08:00 (3022; Solapi 3108), targeting M/N without the
  channel's approval (1028), people without KakaoTalk (3019; Solapi 3104), who blocked the channel (3020;
  Solapi 3107). A Kakao message that cannot be delivered falls back to its SMS/LMS when the request asked for
  it (NHN `resendParameter`, Solapi `disableSms: false` on AlimTalk), so the person gets exactly one message;
- idempotency: a repeated NHN `X-NC-API-IDEMPOTENCY-KEY` within 10 minutes answers -1005 and sends nothing.

It keeps an outbox of what reached a phone (`outbox`, served as `GET /_local/outbox`), queues delivery
reports for Nudge (`take_reports`: the runtime posts them to `/gateway/reports/{provider}`, with the store's
report signature where each gateway carries it: NHN's header, the Solapi report URL's query), answers the
message-list lookups the sender uses after an unclear outcome, and injects faults on request (`Faults`:
error rate, latency, timeouts, dropped reports). Serve it on a socket (`serve`) or in-process as an httpx
transport (`transport`: the local runtime's functions and the tests, no socket).
"""

import hashlib
import hmac
import json
import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import httpx

KST = ZoneInfo("Asia/Seoul")
CODEC = "euc-kr"
SMS_MAX, LMS_MAX, TITLE_MAX = 90, 2_000, 40
IDEMPOTENCY_WINDOW = timedelta(minutes=10)
AUTH_SKEW = timedelta(minutes=15)
REPORT_BATCH = 100  # results in one posted report (an assumption: neither gateway documents its maximum)
AD_SMS = re.compile(r"^\(광고\).*(무료수신거부|무료거부)\s*:?\s*080-?\d{3,4}-?\d{4}\s*$", re.DOTALL)
VARIABLE = re.compile(r"#\{([^{}]+)\}")
NIGHT_START, NIGHT_END = (20, 50), (8, 0)


@dataclass
class NhnAccount:
    kakao_appkey: str
    kakao_secret: str
    sms_appkey: str
    sms_secret: str
    sender_key: str
    send_numbers: set[str]
    templates: dict[str, str] = field(default_factory=dict)  # approved code -> text with #{variables}
    mn_approved: bool = False
    report_signature: str = ""


@dataclass
class SolapiAccount:
    api_key: str
    api_secret: str
    pf_id: str
    send_numbers: set[str]
    templates: dict[str, str] = field(default_factory=dict)
    mn_approved: bool = False
    # The `signature` query parameter of the report URL the store registered with Solapi.
    report_signature: str = ""


class Report(NamedTuple):
    """A delivery report as the gateway posts it to `/gateway/reports/{provider}`."""

    provider: str
    headers: dict[str, str]
    body: bytes
    query: dict[str, str]  # the registered URL's query parameters (Solapi's report signature)


@dataclass
class Faults:
    """Injected on send requests (POST). `error_rate` answers 500 (half the time after taking the message,
    as a gateway that fails while answering would); `timeout_rate` takes the message and never answers."""

    error_rate: float = 0.0
    timeout_rate: float = 0.0
    latency_seconds: float = 0.0
    drop_report_rate: float = 0.0
    timeout_seconds: float = 6.0  # a socket client waits this long (beyond the sender's 5 s timeout)
    seed: int | None = None


class _Timeout(Exception):
    pass


def _answer(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    return (
        status,
        {"content-type": "application/json;charset=UTF-8"},
        json.dumps(body, ensure_ascii=False).encode(),
    )


def _filled(template: str, values: dict[str, Any], group: int) -> str:
    """The template with each `#{name}` replaced: by values[name] (group 1, NHN's templateParameter) or by
    values["#{name}"] (group 0, SOLAPI's variables); a missing one by nothing."""
    return VARIABLE.sub(lambda m: str(values.get(m.group(group), "")), template)


def _nhn_header(code: int = 0, message: str = "SUCCESS") -> dict[str, Any]:
    return {"isSuccessful": code == 0, "resultCode": code, "resultMessage": message}


def _euckr_bytes(text: str) -> int | None:
    try:
        return len(text.encode(CODEC))
    except UnicodeEncodeError:
        return None


def _in_night(at: datetime) -> bool:
    local = at.astimezone(KST)
    hm = (local.hour, local.minute)
    return hm >= NIGHT_START or hm < NIGHT_END


class GatewayEmulator:
    def __init__(
        self,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        nhn: list[NhnAccount] | None = None,
        solapi: list[SolapiAccount] | None = None,
    ) -> None:
        self.now = now
        self.nhn = list(nhn or [])
        self.solapi = list(solapi or [])
        self.faults = Faults()
        self.non_kakao: set[str] = set()  # numbers without KakaoTalk
        self.blocked: set[str] = set()  # numbers that blocked the channel
        # numbers on the store's 080 free opt-out list -> when they called (refused at once; NHN lists them)
        self.optout_080: dict[str, datetime] = {}
        self.outbox: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []  # every send request that was taken (for duplicate checks)
        # (provider, headers, query, NHN envelope without its hooks or None for Solapi, one result)
        self._reports: list[
            tuple[str, dict[str, str], dict[str, str], dict[str, Any] | None, dict[str, Any]]
        ] = []
        self._idempotency: dict[str, datetime] = {}
        self._taken: dict[str, dict[str, Any]] = {}  # correlation key -> message record (lookups)
        self._lock = threading.RLock()
        self._random = random.Random()
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ control
    def set_faults(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._random = random.Random(faults.seed)

    def take_reports(self) -> list[Report]:
        """The reports to post. Results waiting for the same webhook go out together, up to REPORT_BATCH in
        one body: NHN's `hooks` and Solapi's group report are lists."""
        with self._lock:
            pending, self._reports = self._reports, []
        groups: dict[
            tuple[str, str],
            tuple[dict[str, str], dict[str, str], dict[str, Any] | None, list[dict[str, Any]]],
        ] = {}
        for provider, headers, query, envelope, result in pending:
            key = (provider, json.dumps([headers, query, envelope], sort_keys=True))
            groups.setdefault(key, (headers, query, envelope, []))[3].append(result)
        out = []
        for (provider, _), (headers, query, envelope, results) in groups.items():
            for first in range(0, len(results), REPORT_BATCH):
                chunk = results[first : first + REPORT_BATCH]
                body: Any = (
                    chunk if envelope is None else {**envelope, "hooksId": uuid.uuid4().hex, "hooks": chunk}
                )
                out.append(Report(provider, headers, json.dumps(body, ensure_ascii=False).encode(), query))
        return out

    def reset(self) -> None:
        with self._lock:
            self.outbox.clear()
            self.requests.clear()
            self._reports.clear()
            self._idempotency.clear()
            self._taken.clear()

    # ------------------------------------------------------------------ transports
    def transport(self, *, wait: bool = False) -> httpx.MockTransport:
        """In-process: no socket. A timeout fault raises httpx.ReadTimeout after the message was taken, and so
        does a latency longer than the client's read timeout, as on a socket. With `wait`, the client waits
        as it would on a socket (the sender's measured duration then includes it): the latency, and on a
        timeout the rest of its read timeout (or of the fault's `timeout_seconds`, if shorter)."""

        def handler(request: httpx.Request) -> httpx.Response:
            faults = self.faults
            read_timeout = request.extensions.get("timeout", {}).get("read") or float("inf")
            latency = faults.latency_seconds if request.method == "POST" else 0.0
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

            do_GET = do_POST = _serve

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
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {k.lower(): v for k, v in headers.items()}
        params = dict(parse_qsl(query))
        parts = [p for p in path.split("/") if p]
        if method == "GET":
            return self._lookup(parts, headers, params)
        if method != "POST":
            return _answer(405, {"message": "method not allowed"})
        faults = self.faults
        if faults.latency_seconds and sleep:
            time.sleep(faults.latency_seconds)
        with self._lock:
            roll = self._random.random()
        fail = roll < faults.error_rate
        timeout = not fail and roll < faults.error_rate + faults.timeout_rate
        if fail and roll < faults.error_rate / 2:
            return _answer(503, {"message": "Service Unavailable"})  # refused before taking it
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return _answer(400, {"header": _nhn_header(-2000, "body is not JSON")})
        answer = self._route(parts, headers, data)
        if fail:
            return _answer(500, {"message": "Internal Server Error"})  # taken, but the answer is lost
        if timeout:
            raise _Timeout  # the transport waits as its client would
        return answer

    def _route(
        self, parts: list[str], headers: dict[str, str], data: Any
    ) -> tuple[int, dict[str, str], bytes]:
        if parts[:2] == ["alimtalk", "v2.3"] and parts[-1] == "messages":
            return self._nhn_kakao(parts[3], headers, data, "ALIMTALK")
        if parts[:2] == ["brand-message", "v1.0"] and parts[-1] == "freestyle-messages":
            return self._nhn_kakao(parts[3], headers, data, "BRAND_MESSAGE")
        if parts[:2] == ["sms", "v3.0"] and len(parts) == 6 and parts[4] == "sender":
            return self._nhn_sms(parts[3], parts[5], headers, data)
        if parts == ["messages", "v4", "send-many", "detail"]:
            return self._solapi_send(headers, data)
        return _answer(404, {"message": f"no such endpoint /{'/'.join(parts)}"})

    # ------------------------------------------------------------------ NHN
    def _nhn_account(self, appkey: str, secret: str | None, product: str) -> NhnAccount | None:
        for account in self.nhn:
            if product == "kakao" and account.kakao_appkey == appkey and account.kakao_secret == secret:
                return account
            if product == "sms" and account.sms_appkey == appkey and account.sms_secret == secret:
                return account
        return None

    def _idempotent(self, key: str | None) -> bool:
        """True when the key was used within the window (the request must not be sent again)."""
        if not key:
            return False
        now = self.now()
        with self._lock:
            seen = self._idempotency.get(key)
            if seen is not None and now - seen < IDEMPOTENCY_WINDOW:
                return True
            self._idempotency[key] = now
        return False

    def _nhn_kakao(
        self, appkey: str, headers: dict[str, str], data: dict[str, Any], kind: str
    ) -> tuple[int, dict[str, str], bytes]:
        account = self._nhn_account(appkey, headers.get("x-secret-key"), "kakao")
        if account is None:
            return _answer(401, {"header": _nhn_header(-1001, "invalid appKey or secretKey")})
        if data.get("senderKey") != account.sender_key:
            return _answer(400, {"header": _nhn_header(-2000, "unknown senderKey")})
        recipients = data.get("recipientList") or []
        template = ""
        if kind == "ALIMTALK":
            code = data.get("templateCode")
            if code not in account.templates:
                return _answer(400, {"header": _nhn_header(-3005, f"template {code} is not approved")})
            template = account.templates[code]
            for r in recipients:
                missing = set(VARIABLE.findall(template)) - set(r.get("templateParameter") or {})
                if missing:
                    return _answer(
                        400, {"header": _nhn_header(-2000, f"templateParameter misses {sorted(missing)}")}
                    )
        elif not 1 <= len(str(data.get("content", ""))) <= 1300:
            return _answer(400, {"header": _nhn_header(-2000, "content must hold 1 to 1,300 characters")})
        for r in recipients:
            problem = self._resend_problem(r.get("resendParameter"), account.send_numbers, kind)
            if problem:
                return _answer(400, {"header": _nhn_header(-2000, problem)})
        if self._idempotent(headers.get("x-nc-api-idempotency-key")):
            return _answer(200, {"header": _nhn_header(-1005, "duplicated idempotency key")})
        request_id = uuid.uuid4().hex[:20]
        results = []
        for seq, r in enumerate(recipients, start=1):
            number, key = str(r.get("recipientNo", "")), r.get("recipientGroupingKey")
            targeting = r.get("targeting", "I")
            if kind == "BRAND_MESSAGE" and targeting in ("M", "N") and not account.mn_approved:
                results.append(self._result(seq, number, key, 1028, "targeting option not available"))
                continue
            results.append(self._result(seq, number, key, 0, "SUCCESS"))
            if kind == "ALIMTALK":
                params = r.get("templateParameter") or {}
                text = _filled(template, params, 1)
            else:
                text = str(data.get("content", ""))
            record = {
                "provider": "nhn",
                "kind": kind,
                "to": number,
                "text": text,
                "request_id": request_id,
                "key": key,
                "buttons": data.get("buttons") or [],
                "targeting": targeting if kind != "ALIMTALK" else None,
            }
            self._deliver_kakao(record, r.get("resendParameter"), account, appkey, kind)
        return _answer(
            200,
            {
                "header": _nhn_header(),
                "message": {
                    "requestId": request_id,
                    "senderGroupingKey": data.get("senderGroupingKey"),
                    "sendResults": results,
                },
            },
        )

    @staticmethod
    def _result(seq: int, number: str, key: Any, code: int, message: str) -> dict[str, Any]:
        return {
            "recipientSeq": seq,
            "recipientNo": number,
            "resultCode": code,
            "resultMessage": message,
            "recipientGroupingKey": key,
        }

    def _resend_problem(self, resend: Any, numbers: set[str], kind: str) -> str | None:
        if not resend or not resend.get("isResend"):
            return None
        text = str(resend.get("resendContent", ""))
        if str(resend.get("resendSendNo", "")) not in numbers:
            return "resendSendNo is not a registered sender number"
        if kind == "BRAND_MESSAGE" and not AD_SMS.match(text):
            return "a brand message's fallback must be a complete ad SMS: (광고) … 무료수신거부 080"
        return self._sms_problem(str(resend.get("resendType", "LMS")), text, resend.get("resendTitle"))

    @staticmethod
    def _sms_problem(kind: str, text: str, title: Any) -> str | None:
        size = _euckr_bytes(text)
        if size is None:
            return "body holds a character outside EUC-KR"
        limit = SMS_MAX if kind == "SMS" else LMS_MAX
        if size > limit:
            return f"{kind} body is {size} bytes; the limit is {limit}"
        if title:
            title_size = _euckr_bytes(str(title))
            if title_size is None or title_size > TITLE_MAX:
                return f"title must be EUC-KR and at most {TITLE_MAX} bytes"
        return None

    def _deliver_kakao(
        self, record: dict[str, Any], resend: Any, account: NhnAccount, appkey: str, kind: str
    ) -> None:
        number = record["to"]
        now = self.now()
        code, resend_status = 1000, "RSC01"
        if kind == "BRAND_MESSAGE" and _in_night(now):
            code = 3022
        elif number in self.non_kakao:
            code = 3019
        elif number in self.blocked:
            code = 3020
        with self._lock:
            self.requests.append(record)
            self._taken[record["key"]] = record
            if code == 1000:
                self.outbox.append({**record, "fallback": False, "at": now.isoformat()})
            elif code in (3018, 3019, 3020) and resend and resend.get("isResend"):
                resend_status = "RSC04"
                self.outbox.append(
                    {
                        **record,
                        "kind": str(resend.get("resendType", "LMS")),
                        "text": resend.get("resendContent"),
                        "title": resend.get("resendTitle"),
                        "fallback": True,
                        "at": now.isoformat(),
                    }
                )
        hook = {
            "kakaoMessageType": "ALIMTALK_NORMAL" if kind == "ALIMTALK" else "BRAND_MESSAGE_NORMAL",
            "requestId": record["request_id"],
            "recipientSeq": 1,
            "requestDate": now.isoformat(),
            "receiveDate": now.isoformat(),
            "recipientNo": number,
            "resultCode": str(code),
            "resendStatus": resend_status,
            "recipientGroupingKey": record["key"],
            "isAddedChannel": True,
            "hookId": uuid.uuid4().hex,
        }
        self._queue_nhn_report(account, appkey, "KakaoTalk Bizmessage", hook)

    def _queue_nhn_report(self, account: NhnAccount, appkey: str, product: str, hook: dict[str, Any]) -> None:
        envelope = {
            "webhookConfigId": f"local-{appkey}",
            "productName": product,
            "appKey": appkey,
            "event": "MESSAGE_RESULT_UPDATE",
        }
        headers = {"content-type": "application/json", "x-toast-webhook-signature": account.report_signature}
        self._queue_report("nhn", headers, {}, envelope, hook)

    def _queue_report(
        self,
        provider: str,
        headers: dict[str, str],
        query: dict[str, str],
        envelope: dict[str, Any] | None,
        result: dict[str, Any],
    ) -> None:
        with self._lock:
            if self._random.random() < self.faults.drop_report_rate:
                return
            self._reports.append((provider, headers, query, envelope, result))

    def _nhn_sms(
        self, appkey: str, endpoint: str, headers: dict[str, str], data: dict[str, Any]
    ) -> tuple[int, dict[str, str], bytes]:
        account = self._nhn_account(appkey, headers.get("x-secret-key"), "sms")
        if account is None:
            return _answer(401, {"header": _nhn_header(-1001, "invalid appKey or secretKey")})
        if endpoint not in ("sms", "mms", "ad-sms", "ad-mms"):
            return _answer(404, {"header": _nhn_header(-2000, f"no endpoint {endpoint}")})
        text, title = str(data.get("body", "")), data.get("title")
        if str(data.get("sendNo", "")) not in account.send_numbers:
            return _answer(400, {"header": _nhn_header(-2000, "sendNo is not a registered sender number")})
        is_ad = endpoint.startswith("ad-")
        if is_ad and not AD_SMS.match(text):
            refusal = "an ad message must start with (광고) and end with 무료수신거부 080…"
            return _answer(400, {"header": _nhn_header(-2000, refusal)})
        kind = "SMS" if endpoint.endswith("sms") else "LMS"
        problem = self._sms_problem(kind, text, title if kind == "LMS" else None)
        if problem:
            return _answer(400, {"header": _nhn_header(-2000, problem)})
        if self._idempotent(headers.get("x-nc-api-idempotency-key")):
            return _answer(200, {"header": _nhn_header(-1005, "duplicated idempotency key")})
        request_id = uuid.uuid4().hex[:20]
        results = []
        now = self.now()
        for seq, r in enumerate(data.get("recipientList") or [], start=1):
            number, key = str(r.get("recipientNo", "")), r.get("recipientGroupingKey")
            if is_ad and number in self.optout_080:  # NHN's 080 service: an ad to a refused number fails
                results.append(self._result(seq, number, key, -6001, "Recipient Number is refused."))
                continue
            results.append(self._result(seq, number, key, 0, "SUCCESS"))
            record = {
                "provider": "nhn",
                "kind": kind,
                "to": number,
                "text": text,
                "title": title,
                "request_id": request_id,
                "key": key,
                "is_ad": is_ad,
            }
            with self._lock:
                self.requests.append(record)
                self._taken[key] = record
                self.outbox.append({**record, "fallback": False, "at": now.isoformat()})
            hook = {
                "messageType": kind,
                "requestId": request_id,
                "recipientSeq": seq,
                "requestDate": now.isoformat(),
                "receiveDate": now.isoformat(),
                "recipientNo": number,
                "resultCode": "1000",
                "recipientGroupingKey": key,
                "hookId": uuid.uuid4().hex,
            }
            self._queue_nhn_report(account, appkey, "SMS", hook)
        return _answer(
            200,
            {
                "header": _nhn_header(),
                "body": {"data": {"requestId": request_id, "statusCode": "2", "sendResultList": results}},
            },
        )

    # ------------------------------------------------------------------ Solapi
    def _solapi_account(self, authorization: str | None) -> SolapiAccount | None:
        if not authorization or not authorization.startswith("HMAC-SHA256 "):
            return None
        fields = dict(
            part.strip().split("=", 1)
            for part in authorization[len("HMAC-SHA256 ") :].split(",")
            if "=" in part
        )
        fields = {k.lower(): v for k, v in fields.items()}
        account = next((a for a in self.solapi if a.api_key == fields.get("apikey")), None)
        if account is None:
            return None
        try:
            date = datetime.fromisoformat(fields.get("date", "").replace("Z", "+00:00"))
        except ValueError:
            return None
        if abs(datetime.now(UTC) - date) > AUTH_SKEW:
            return None
        expected = hmac.new(
            account.api_secret.encode(),
            (fields.get("date", "") + fields.get("salt", "")).encode(),
            hashlib.sha256,
        ).hexdigest()
        return account if hmac.compare_digest(expected, fields.get("signature", "")) else None

    def _solapi_send(
        self, headers: dict[str, str], data: dict[str, Any]
    ) -> tuple[int, dict[str, str], bytes]:
        account = self._solapi_account(headers.get("authorization"))
        if account is None:
            return _answer(401, {"errorCode": "InvalidAPIKey", "errorMessage": "unauthorized"})
        group_id = "G4V" + uuid.uuid4().hex[:20].upper()
        accepted, failed = [], []
        now = self.now()
        for item in data.get("messages") or []:
            kind, to, text = str(item.get("type")), str(item.get("to", "")), str(item.get("text", ""))
            custom = item.get("customFields") or {}
            message_id = "M4V" + uuid.uuid4().hex[:20].upper()
            problem = self._solapi_problem(account, item)
            summary = {
                "messageId": message_id,
                "to": to,
                "from": item.get("from"),
                "type": kind,
                "customFields": custom,
            }
            if problem:
                failed.append({**summary, "statusCode": problem[0], "statusMessage": problem[1]})
                continue
            accepted.append(
                {**summary, "statusCode": "2000", "statusMessage": "정상 접수(이통사로 접수 예정) "}
            )
            kakao = item.get("kakaoOptions") or {}
            if kind == "ATA":
                variables = kakao.get("variables") or {}
                text = _filled(account.templates[kakao["templateId"]], variables, 0)
            record = {
                "provider": "solapi",
                "kind": kind,
                "to": to,
                "text": text,
                "title": item.get("subject"),
                "key": custom.get("nudge_send"),
                "message_id": message_id,
                "custom": custom,
            }
            code, delivered_type, fallback = "4000", kind, False
            if kind.startswith("BMS") and _in_night(now):
                code = "3108"
            elif kind in ("ATA", "BMS_FREE") and to in self.non_kakao | self.blocked:
                code = "3104" if to in self.non_kakao else "3107"
                if kind == "ATA" and not kakao.get("disableSms"):
                    code, fallback = "4000", True
                    delivered_type = "SMS" if (_euckr_bytes(text) or 0) <= SMS_MAX else "LMS"
            elif kind in ("SMS", "LMS") and text.startswith("(광고)") and to in self.optout_080:
                code = "2061"
            with self._lock:
                self.requests.append(record)
                self._taken[str(record["key"])] = record
                if code == "4000":
                    self.outbox.append(
                        {**record, "kind": delivered_type, "fallback": fallback, "at": now.isoformat()}
                    )
            report = {
                "eventDataId": uuid.uuid4().hex,
                "retryCount": 0,
                "data": {
                    **summary,
                    "groupId": group_id,
                    "type": delivered_type,
                    "statusCode": code,
                    "statusMessage": "",
                    "dateProcessed": now.isoformat(),
                    "dateReceived": now.isoformat(),
                    "kakaoOptions": kakao or None,
                },
            }
            query = {"signature": account.report_signature} if account.report_signature else {}
            self._queue_report("solapi", {"content-type": "application/json"}, query, None, report)
        return _answer(
            200,
            {
                "groupInfo": {"groupId": group_id, "count": {"total": len(accepted) + len(failed)}},
                "messageList": accepted,
                "failedMessageList": failed,
            },
        )

    def _solapi_problem(self, account: SolapiAccount, item: dict[str, Any]) -> tuple[str, str] | None:
        kind, text = str(item.get("type")), str(item.get("text", ""))
        if str(item.get("from", "")) not in account.send_numbers:
            return "1062", "발신번호 미등록"
        kakao = item.get("kakaoOptions") or {}
        if kind in ("SMS", "LMS"):
            return (
                ("1029", problem) if (problem := self._sms_problem(kind, text, item.get("subject"))) else None
            )
        if kind == "ATA":
            template = account.templates.get(str(kakao.get("templateId")))
            if template is None or kakao.get("pfId") != account.pf_id:
                return "3040", "템플릿 미승인"
            missing = {f"#{{{v}}}" for v in VARIABLE.findall(template)} - set(kakao.get("variables") or {})
            return ("3041", f"변수 누락 {sorted(missing)}") if missing else None
        if kind == "BMS_FREE":
            if kakao.get("pfId") != account.pf_id:
                return "3040", "채널 미등록"
            bms = kakao.get("bms") or {}
            if bms.get("targeting") in ("M", "N") and not account.mn_approved:
                return "1028", "해당 타겟팅 옵션을 사용할 수 없음"
            return None
        return "1021", f"unsupported type {kind}"

    # ------------------------------------------------------------------ lookups (after an unclear outcome)
    def _lookup(
        self, parts: list[str], headers: dict[str, str], params: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        if parts[:3] == ["messages", "v4", "list"]:
            if self._solapi_account(headers.get("authorization")) is None:
                return _answer(401, {"errorCode": "InvalidAPIKey", "errorMessage": "unauthorized"})
            with self._lock:
                found = self._taken.get(params.get("value", ""))
            listed = {} if found is None else {found["message_id"]: {"customFields": found["custom"]}}
            return _answer(200, {"messageList": listed})
        if parts[:2] == ["sms", "v3.0"] and parts[4:6] == ["blockservice", "recipients"]:
            return self._nhn_opt_outs(parts[3], headers, params)
        key = params.get("recipientGroupingKey", "")
        with self._lock:
            found = self._taken.get(key)
        hit = [] if found is None else [{"requestId": found.get("request_id"), "recipientGroupingKey": key}]
        if parts[:2] == ["sms", "v3.0"]:
            if self._nhn_account(parts[3], headers.get("x-secret-key"), "sms") is None:
                return _answer(401, {"header": _nhn_header(-1001, "invalid appKey or secretKey")})
            return _answer(200, {"header": _nhn_header(), "body": {"data": hit}})
        if (
            self._nhn_account(parts[3] if len(parts) > 3 else "", headers.get("x-secret-key"), "kakao")
            is None
        ):
            return _answer(401, {"header": _nhn_header(-1001, "invalid appKey or secretKey")})
        return _answer(200, {"header": _nhn_header(), "messageSearchResultResponse": {"messages": hit}})

    def _nhn_opt_outs(
        self, appkey: str, headers: dict[str, str], params: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """NHN's 080 opt-out list (`GET /sms/v3.0/appKeys/{appKey}/blockservice/recipients`), Korean time."""
        account = self._nhn_account(appkey, headers.get("x-secret-key"), "sms")
        if account is None:
            return _answer(401, {"header": _nhn_header(-1001, "invalid appKey or secretKey")})
        start = params.get("startRequestDate")
        size, page = int(params.get("pageSize", 15)), int(params.get("pageNum", 1))
        with self._lock:
            listed = sorted(self.optout_080.items(), key=lambda kv: kv[1])
        rows = []
        for number, at in listed:
            local = at.astimezone(KST).strftime("%Y-%m-%d %H:%M:%S")
            if start is None or local >= start:
                rows.append({"unsubscribeNo": params.get("unsubscribeNo", ""), "recipientNo": number,
                             "requestDate": f"{local}.0"})  # fmt: skip
        body = {"pageNum": page, "pageSize": size, "totalCount": len(rows),
                "data": rows[(page - 1) * size : page * size]}  # fmt: skip
        return _answer(200, {"header": _nhn_header(), "body": body})
