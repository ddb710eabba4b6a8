"""LocalRuntime: Nudge's SAM application on one machine, without Docker or an AWS account.

    with LocalRuntime("template.yaml", start=datetime(2026, 3, 16, 9, tzinfo=KST)) as runtime:
        status, headers, body = runtime.http("POST", "/webhooks/cafe24/dogday-mall", {...}, b"...")
        runtime.advance("P3D")          # schedules due in the next three days fire, queues drain
        runtime.counters.aws_calls      # {"dynamodb:PutItem": 3, ...}

Everything comes from the template: moto (in-process, or an embedded server for `serve`) gets its tables,
queues and schedule group; each function runs in-process with the template's environment; the HTTP API's
routes serve payload 2.0 events; a simulated clock is Nudge's "now"; pumps play EventBridge Scheduler and
Lambda's SQS polling. Only one runtime can be open at a time in a process (they share moto and the clock).
"""

import json
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple, TextIO
from urllib.parse import parse_qsl, urlencode, urlsplit

import boto3

from nudge_local.bill import counters
from nudge_local.bill.counters import Counters
from nudge_local.emulation import aws, chaos
from nudge_local.gateway.cafe24 import Cafe24Emulator
from nudge_local.gateway.emulator import Faults, GatewayEmulator, Report
from nudge_local.runtime import apigw, iam
from nudge_local.runtime.clock import ClockError, SimulatedClock, parse_duration, parse_instant
from nudge_local.runtime.functions import FunctionError, FunctionHost, process_sink
from nudge_local.runtime.ids import SeededIds
from nudge_local.runtime.local_routes import PREFIX, LocalRequest, LocalResponse, LocalRoutes, registered
from nudge_local.runtime.pumps import SchedulerPump, SqsEventSourcePump
from nudge_local.runtime.resources import provision
from nudge_local.runtime.template import DEFAULT_TEMPLATE, Template, parse_template

MAX_IDLE_ROUNDS = 100
# The functions' GATEWAY_BASE_URL: never resolved, the emulator's transport answers every request.
LOCAL_GATEWAY_URL = "http://gateway.nudge.local"
REPORT_ATTEMPTS = 5  # Solapi retries a report 5 times in all; NHN's policy is not documented

# The runtime composes the rooms: the emulation of AWS knows nothing of IAM, the bill or the drills' plan
# (it sits below them); their botocore hooks are installed here, when the runtime is imported, whatever
# NUDGE_LOCAL_PLAIN_MOTO says, so that no boto3 client (each copies the hooks registered when it is made;
# aws.client makes its own again once more are) escapes IAM enforcement, the counters or the crash drills.
iam.install_hooks()
counters.install_hooks()
chaos.install_hooks(origin=counters.current_origin)

_open_lock = threading.Lock()
_open: "LocalRuntime | None" = None


class HttpResult(NamedTuple):
    status: int
    headers: dict[str, str]  # lower-case names; repeated headers (set-cookie) joined with "\n"
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class LocalRuntime:
    def __init__(
        self,
        template_path: Path | str = DEFAULT_TEMPLATE,
        *,
        start: datetime | None = None,
        ticking: bool = False,
        parameters: dict[str, str] | None = None,
        seed_stores: bool = True,
        log_stream: TextIO | None = None,
        access_log: TextIO | None = None,
        aws_server: bool = False,
    ) -> None:
        """`start`: the simulated clock's first instant (default: now). `ticking`: the clock also follows
        wall time. `seed_stores`: put the two local stores (nudge_local.runtime.stores) in place when the
        template has a StoresTable. `log_stream`: echo function logs there (they are always kept in `.logs`).
        `aws_server`: reach moto through its embedded HTTP server (endpoint in `endpoint_url`, for the AWS
        CLI) instead of in-process."""
        self.template_path = Path(template_path)
        self.start_at = start or datetime.now(UTC)
        self.parameters = parameters or {}
        self.seed_stores = seed_stores
        self.clock = SimulatedClock(self.start_at, ticking=ticking)
        # The latest instant someone moved the clock to. Functions that wait (the sender's rate limit, a
        # retry's backoff) move a frozen clock on by their wait, so now may be ahead of it.
        self._asked = self.clock.now()
        self.counters = Counters()
        self.logs = process_sink(log_stream)
        self.access_log = access_log
        self.local_routes = LocalRoutes(registered())
        self.local_routes.add("GET", "/_local/clock", _get_clock)
        self.local_routes.add("POST", "/_local/clock", _post_clock)
        self.local_routes.add("GET", "/_local/outbox", _get_outbox)
        self.local_routes.add("POST", "/_local/gateway", _post_gateway)
        self.local_routes.add("POST", "/_local/gateway/templates", _post_gateway_templates)
        # The messaging gateway emulator (NHN Cloud and Solapi protocols) the sender is pointed at.
        self.gateway: GatewayEmulator | None = None
        # The Cafe24 emulator (the app's OAuth and the Admin API) the ingest function's install reaches.
        self.cafe24: Cafe24Emulator | None = None
        self._undelivered_reports: list[tuple[Report, int]] = []  # (report, attempts so far)
        self.aws_server = aws_server
        self.endpoint_url = ""  # the moto server's, when there is one
        self._started = False
        self._refused_before = 0  # the refusals this process saw before this runtime opened
        self._saved_env: dict[str, str | None] | None = None
        self.template: Template
        self.functions: FunctionHost
        self.scheduler: SchedulerPump
        self.sqs: SqsEventSourcePump
        self.routes: apigw.RouteTable
        # One thing moves time and runs the pumps at a time (an HTTP thread, the background pump, a test).
        self._pump_lock = threading.RLock()
        # The IAM principals the local tokens stand for, made in the emulated IAM (ensure_principal).
        self._principals: set[str] = set()
        self._principals_lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> "LocalRuntime":
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> "LocalRuntime":
        global _open
        with _open_lock:
            if _open is not None:
                raise RuntimeError("another LocalRuntime is open in this process; close it first")
            _open = self
        try:
            self._saved_env = aws.saved_environment()
            if self.aws_server:
                self.endpoint_url = aws.start_server()
            else:
                aws.start_in_process()
            _cold_start()
            aws.reset_server()
            self._start_gateway()
            self.template = parse_template(
                self.template_path, endpoint_url=self.endpoint_url or None, parameters=self.parameters
            )
            # Each function's requests are checked against its execution role from here on (iam.py).
            iam.activate(iam.load(self.template), log=self.logs.write)
            self._refused_before = iam.refusal_count()
            provision(self.template)
            self.functions = FunctionHost(self.template, self.counters, self.logs)
            self.scheduler = SchedulerPump(self.template, self.functions, self.clock, self.logs)
            self.sqs = SqsEventSourcePump(self.template, self.functions, self.logs)
            self.routes = apigw.RouteTable(self.template.routes)
            from nudge import clock as nudge_clock
            from nudge import ids as nudge_ids

            nudge_clock.set_source(self.clock.now, sleep=self._wait)
            nudge_ids.set_source(SeededIds())  # a replay names its campaigns and automations alike
            counters.activate(self.counters)
            if self.seed_stores:
                self._seed_stores()
            self._principals.clear()
            self.ensure_principal(apigw.OPERATOR)  # sample events and direct invocations name the operator
            self._started = True
        except BaseException:
            self.close()
            raise
        return self

    def _start_gateway(self) -> None:
        from nudge.adapters import gateway_accounts
        from nudge_local.runtime.stores import gateway_emulator

        self.gateway = gateway_emulator(self.clock.now)
        # The functions reach the emulator through their own httpx client, in-process: the same requests
        # and answers, no socket or server thread.
        gateway_accounts.use_transport(self.gateway.transport(wait=True))
        from nudge.adapters import cafe24
        from nudge_local.runtime.stores import cafe24_emulator

        self.cafe24 = cafe24_emulator(self.clock.now)
        cafe24.use_transport(self.cafe24.transport())
        self.parameters = {"GatewayBaseUrl": LOCAL_GATEWAY_URL, **self.parameters}

    def close(self) -> None:
        global _open
        iam.activate(None)  # first: nothing after a failed close may be checked against this template
        from nudge import clock as nudge_clock
        from nudge import ids as nudge_ids

        if self.gateway is not None:
            from nudge.adapters import gateway_accounts

            gateway_accounts.use_transport(None)
        if self.cafe24 is not None:
            from nudge.adapters import cafe24

            cafe24.use_transport(None)

        nudge_clock.set_source(None)
        nudge_ids.set_source(None)
        counters.activate(None)
        self._report_refusals()
        aws.stop_in_process()
        if self._saved_env is not None:
            aws.restore_environment(self._saved_env)
            self._saved_env = None
            _cold_start()
        with _open_lock:
            if _open is self:
                _open = None
        self._started = False

    def _report_refusals(self) -> None:
        """Say on stderr which requests the template's policies refused while this runtime was open: the
        functions may have swallowed the errors (the demo month would only show odd figures)."""
        if not self._started:
            return
        refused = iam.refused(self.template.path, since=self._refused_before)
        if refused:
            name = self.template.path.name
            sys.stderr.write(f"[iam] {name}'s policies refused {len(refused)} request(s):\n")
            sys.stderr.writelines(f"  {message}\n" for message in refused[:5])

    def _seed_stores(self) -> None:
        if "StoresTable" not in self.template.tables or "StoreSecretsPath" not in self.template.parameters:
            return
        from nudge_local.runtime.stores import LOCAL_CAFE24_APP, LOCAL_STORES, put_cafe24_app, put_store

        with counters.paused():
            put_cafe24_app(LOCAL_CAFE24_APP, self.template.parameters["StoreSecretsPath"], self.client("ssm"))
            for store in LOCAL_STORES:
                put_store(
                    store,
                    self.table_name("StoresTable"),
                    self.template.parameters["StoreSecretsPath"],
                    self.client("dynamodb"),
                    self.client("ssm"),
                )

    # ------------------------------------------------------------------ names and clients

    def client(self, service: str) -> Any:
        return aws.client(service)

    def resource(self, service: str) -> Any:
        region = self.template.region
        return boto3.resource(service, endpoint_url=self.endpoint_url or None, region_name=region)

    def table_name(self, logical_id: str) -> str:
        return self.template.tables[logical_id].name

    def queue_url(self, logical_id: str) -> str:
        return self.template.queues[logical_id].url

    def queue_arn(self, logical_id: str) -> str:
        return self.template.queues[logical_id].arn

    def function_arn(self, logical_id: str) -> str:
        return self.functions.function(logical_id).arn

    def schedule_group_name(self, logical_id: str = "ScheduleGroup") -> str:
        return self.template.schedule_groups[logical_id].name

    def redrive_dead_letters(self) -> dict[str, int]:
        """Move every message in a dead-letter queue back to the queue it came from, as
        `aws sqs start-message-move-task --source-arn <dead-letter queue ARN>` does in AWS; returns how
        many moved, by source queue. The pumps then handle them like any other message."""
        sqs = self.client("sqs")
        moved: dict[str, int] = {}
        with counters.paused():
            for source in self.template.queues.values():
                dead = self.template.queue_by_arn(source.dead_letter_arn) if source.dead_letter_arn else None
                if dead is None:
                    continue
                while True:
                    got = sqs.receive_message(QueueUrl=dead.url, MaxNumberOfMessages=10).get("Messages", [])
                    if not got:
                        break
                    for message in got:
                        sqs.send_message(QueueUrl=source.url, MessageBody=message["Body"])
                        sqs.delete_message(QueueUrl=dead.url, ReceiptHandle=message["ReceiptHandle"])
                        moved[source.logical_id] = moved.get(source.logical_id, 0) + 1
        return moved

    def queue_depth(self, logical_id: str) -> int:
        """Messages waiting (visible, in flight or delayed) in a queue of the template."""
        attributes = self.client("sqs").get_queue_attributes(
            QueueUrl=self.queue_url(logical_id), AttributeNames=["All"]
        )["Attributes"]
        return sum(
            int(attributes.get(k, 0))
            for k in (
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            )
        )

    # ------------------------------------------------------------------ functions and HTTP

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Invoke a function synchronously (RequestResponse); raises FunctionError if the handler raises."""
        return self.functions.invoke(logical_id, event)

    def http(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | list[tuple[str, str]] | None = None,
        body: bytes | str = b"",
        *,
        source_ip: str = "127.0.0.1",
    ) -> HttpResult:
        """A request through the HTTP API in-process (no socket): same routes, events and answers."""
        url = urlsplit(path)
        pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        raw = body.encode() if isinstance(body, str) else body
        status, out, payload = self.handle(method, url.path, url.query, pairs, raw, source_ip=source_ip)
        merged: dict[str, str] = {}
        for name, value in out:
            merged[name] = f"{merged[name]}\n{value}" if name in merged else value
        return HttpResult(status, merged, payload)

    def handle(
        self,
        method: str,
        path: str,
        query: str,
        headers: list[tuple[str, str]],
        body: bytes,
        *,
        source_ip: str = "127.0.0.1",
        domain: str = "localhost",
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        if path.startswith(PREFIX):
            return self._local(method, path, query, headers, body)
        match = self.routes.match(method, path)
        if match is None:
            return _as_list(apigw.NOT_FOUND)
        self.counters.record_api_request(match.route.function)
        caller = None
        if match.route.authorizer == "AWS_IAM":
            # API Gateway checks a SigV4 signature before the function runs; locally a bearer token
            # stands in for it, and the function sees the same requestContext.authorizer.iam.
            principal = apigw.local_principal(headers)
            if principal is None:
                return _as_list(apigw.FORBIDDEN)
            self.ensure_principal(principal)
            caller = apigw.iam_caller(principal, self.template.account)
        event = apigw.build_event(
            match, method, path, query, headers, body, self.clock.now(),
            source_ip=source_ip, domain=domain, account=self.template.account,
        )  # fmt: skip
        if caller is not None:
            event["requestContext"]["authorizer"] = {"iam": caller}
        if len(json.dumps(event)) > apigw.MAX_EVENT_BYTES:
            return _as_list(apigw.TOO_LARGE)
        try:
            result = self.functions.invoke(match.route.function, event)
        except FunctionError:
            return _as_list(apigw.INTERNAL_ERROR)
        return apigw.translate_response(result)

    def install_cafe24(self, store_id: str = "dogday-mall") -> HttpResult:
        """The Nudge app installed on a local store's Cafe24 mall the way a merchant does it, over HTTP:
        Cafe24 opens the App URL (signed), Nudge sends the browser to the mall's consent, the merchant
        consents, Cafe24 sends the browser to the callback with a code (docs/cafe24.md). Answers the
        callback's answer."""
        from nudge_local.runtime.stores import LOCAL_CAFE24_APP, LOCAL_STORES

        assert self.cafe24 is not None, "the runtime is not open"
        mall_id = next(s.store.cafe24_mall_id for s in LOCAL_STORES if s.store.store_id == store_id)
        assert mall_id, f"{store_id} has no Cafe24 mall"
        launch = self.cafe24.launch_query(LOCAL_CAFE24_APP.client_id, mall_id)
        started = self.http("GET", f"/cafe24/install?{urlencode(launch)}")
        if started.status != 302:
            return started
        cookie = started.headers["set-cookie"].split(";", 1)[0]
        callback = urlsplit(self.cafe24.follow_authorize(started.headers["location"]))
        return self.http("GET", f"{callback.path}?{callback.query}", {"cookie": cookie})

    def ensure_principal(self, principal: apigw.LocalPrincipal) -> None:
        """Make the IAM user or role a local token stands for in the emulated IAM, with its nudge:stores
        tag, where the admin function reads it (once per runtime: moto forgets it when the runtime closes)."""
        with self._principals_lock:
            if principal.name in self._principals:
                return
            from nudge.adapters.principals import STORES_TAG

            client, tags = self.client("iam"), [{"Key": STORES_TAG, "Value": principal.stores}]
            with counters.paused():
                try:
                    if principal.kind == "user":
                        client.create_user(UserName=principal.name, Tags=tags)
                    else:
                        trust = {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Principal": {"AWS": f"arn:aws:iam::{self.template.account}:root"},
                                    "Action": "sts:AssumeRole",
                                }
                            ],
                        }
                        client.create_role(
                            RoleName=principal.name, AssumeRolePolicyDocument=json.dumps(trust), Tags=tags
                        )
                except client.exceptions.EntityAlreadyExistsException:
                    pass
            self._principals.add(principal.name)

    def _local(
        self, method: str, path: str, query: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        handler = self.local_routes.find(method, path)
        if handler is None:
            return _as_list(apigw.NOT_FOUND)
        request = LocalRequest(
            method.upper(), path, dict(parse_qsl(query)), {k.lower(): v for k, v in headers}, body
        )
        try:
            response = handler(self, request)
        except (ValueError, ClockError) as error:
            response = LocalResponse.json({"message": str(error)}, status=400)
        return response.status, list(response.headers.items()), response.body

    def serve(self, port: int = 3000, host: str = "127.0.0.1", *, pump_every: float | None = 1.0) -> None:
        """Serve the HTTP API until interrupted. With a ticking clock, pumps run every `pump_every` s."""
        from nudge_local.runtime.http import make_server

        server = make_server(self, host, port)
        stop = threading.Event()
        if pump_every:
            threading.Thread(target=self._pump_forever, args=(stop, pump_every), daemon=True).start()
        try:
            server.serve_forever()
        finally:
            stop.set()
            server.server_close()

    def _pump_forever(self, stop: threading.Event, every: float) -> None:
        while not stop.wait(every):
            try:
                self.run_until_idle()
            except Exception as error:  # keep serving; the log says what went wrong
                self.logs.write(f"[pumps] {type(error).__name__}: {error}\n")

    # ------------------------------------------------------------------ time and pumps

    def run_until_idle(self) -> int:
        """Fire due schedules and drain the event-source queues until nothing is left; returns work done."""
        done = 0
        with self._pump_lock:
            for _ in range(MAX_IDLE_ROUNDS):
                work = self.scheduler.fire_due(self.clock.now()) + self.sqs.drain() + self.post_reports()
                if not work:
                    return done
                done += work
        raise RuntimeError(f"still busy after {MAX_IDLE_ROUNDS} rounds of schedules and queues")

    def post_reports(self) -> int:
        """Post the gateway's delivery reports to `/gateway/reports/{provider}`, as the gateway would;
        one that is not answered 200 is posted again later (up to REPORT_ATTEMPTS times)."""
        if self.gateway is None:
            return 0
        pending = [(report, 0) for report in self.gateway.take_reports()] + self._undelivered_reports
        self._undelivered_reports = []
        posted = 0
        for report, attempts in pending:
            path = f"/gateway/reports/{report.provider}"
            if self.routes.match("POST", path) is None:
                continue  # this template has no report endpoint
            posted += 1
            url = f"{path}?{urlencode(report.query)}" if report.query else path
            answered = self.http("POST", url, report.headers, report.body).status
            if answered != 200 and attempts + 1 < REPORT_ATTEMPTS:
                self._undelivered_reports.append((report, attempts + 1))
        return posted

    def _wait(self, seconds: float) -> None:
        """How a function waits: a ticking clock follows wall time, so it sleeps; a frozen one moves on."""
        if seconds <= 0:
            return
        if self.clock.ticking:
            time.sleep(seconds)
        else:
            self.clock.advance(timedelta(seconds=seconds))

    def advance_to(self, instant: datetime) -> datetime:
        """Walk the clock to `instant`, stopping at every due schedule on the way: each fires at its own
        time, and what it enqueues is handled before the next one, as it would be in AWS. An instant the
        functions' own waits have already carried the clock past is simply reached."""
        target = instant.astimezone(UTC)
        if target < self._asked:
            raise ClockError(f"the clock does not go backwards: {target.isoformat()}")
        self._asked = target
        with self._pump_lock:
            self.run_until_idle()  # and note the schedules that exist before time moves
            while True:
                next_due = self.scheduler.next_due(target)
                if next_due is None:
                    break
                if next_due > self.clock.now():
                    self.clock.set(next_due)
                self.run_until_idle()
            if target > self.clock.now():
                self.clock.set(target)
            self.run_until_idle()
        return self.clock.now()

    def advance(self, by: timedelta | str | float) -> datetime:
        """Move forward by a timedelta, an ISO 8601 duration ("PT3H", "P3D") or seconds."""
        if isinstance(by, str):
            delta = parse_duration(by)
        elif isinstance(by, timedelta):
            delta = by
        else:
            delta = timedelta(seconds=float(by))
        return self.advance_to(self.clock.now() + delta)

    def set_time(self, instant: datetime | str) -> datetime:
        return self.advance_to(parse_instant(instant) if isinstance(instant, str) else instant)


def _cold_start() -> None:
    """Forget what Lambda containers keep between invocations: cached boto3 clients in Nudge's modules
    (`functools.cache` factories) and Powertools' parameter cache. A new runtime is a new set of
    containers, and a client cached by an earlier test (another endpoint, or none) must not be reused."""
    for name, module in list(sys.modules.items()):
        if name == "nudge" or name.startswith("nudge."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)) and getattr(value, "__module__", "") == name:
                    value.cache_clear()
    try:
        from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS
    except ImportError:
        return
    DEFAULT_PROVIDERS.clear()


def _as_list(answer: tuple[int, dict[str, str], bytes]) -> tuple[int, list[tuple[str, str]], bytes]:
    status, headers, body = answer
    return status, list(headers.items()), body


def _clock_state(runtime: LocalRuntime) -> dict[str, Any]:
    now = runtime.clock.now()
    return {"now": now.isoformat(), "epoch_ms": int(now.timestamp() * 1000)}


def _get_clock(runtime: LocalRuntime, request: LocalRequest) -> LocalResponse:
    return LocalResponse.json(_clock_state(runtime))


def _post_clock(runtime: LocalRuntime, request: LocalRequest) -> LocalResponse:
    """{"set": ISO instant} | {"advance": ISO duration} | {"advance_seconds": n}; then the pumps run."""
    try:
        data = request.json()
    except ValueError:
        return LocalResponse.json({"message": "body must be JSON"}, status=400)
    if not isinstance(data, dict):
        return LocalResponse.json({"message": "body must be a JSON object"}, status=400)
    firings_before = len(runtime.scheduler.firings)
    invocations_before = sum(runtime.counters.invocations.values())
    try:
        if "set" in data:
            target = parse_instant(str(data["set"]))
        elif "advance" in data:
            target = runtime.clock.now() + parse_duration(str(data["advance"]))
        elif "advance_seconds" in data:
            target = runtime.clock.now() + timedelta(seconds=float(data["advance_seconds"]))
        else:
            return LocalResponse.json(
                {"message": "expected one of: set, advance, advance_seconds"}, status=400
            )
        if target < runtime.clock.now():
            return LocalResponse.json(
                {"message": "the clock does not go backwards", **_clock_state(runtime)}, status=409
            )
        runtime.advance_to(target)
    except ClockError as error:
        return LocalResponse.json({"message": str(error)}, status=400)
    return LocalResponse.json(
        {
            **_clock_state(runtime),
            "schedules_fired": len(runtime.scheduler.firings) - firings_before,
            "invocations": sum(runtime.counters.invocations.values()) - invocations_before,
        }
    )


def _get_outbox(runtime: LocalRuntime, request: LocalRequest) -> LocalResponse:
    """What reached a phone through the emulated gateway (this is local data: numbers are shown)."""
    messages = runtime.gateway.outbox if runtime.gateway else []
    # The images each gateway account was sent (an image goes up once, then every message names it).
    uploads = [
        {"provider": u.provider, **u.shown()} for u in (runtime.gateway.uploads if runtime.gateway else [])
    ]
    return LocalResponse.json({"messages": messages, "count": len(messages), "uploads": uploads})


def _post_gateway(runtime: LocalRuntime, request: LocalRequest) -> LocalResponse:
    """{"faults": {error_rate, timeout_rate, latency_seconds, drop_report_rate, lookup_lag_seconds, seed},
    "non_kakao": [...], "blocked": [...], "optout_080": [...]}: fault injection and who the emulated gateway
    cannot reach."""
    data = request.json()
    if not isinstance(data, dict) or runtime.gateway is None:
        return LocalResponse.json({"message": "body must be a JSON object"}, status=400)
    gateway = runtime.gateway
    if "faults" in data:
        try:
            gateway.set_faults(Faults(**data["faults"]))
        except TypeError as error:
            raise ValueError(f"faults: {error}") from error
    for name in ("non_kakao", "blocked"):
        if name in data:
            setattr(gateway, name, {str(n).replace("-", "") for n in data[name]})
    if "optout_080" in data:  # called the store's 080 number now
        gateway.optout_080 = {str(n).replace("-", ""): gateway.now() for n in data["optout_080"]}
    return LocalResponse.json({"faults": vars(gateway.faults), "non_kakao": sorted(gateway.non_kakao)})


def _post_gateway_templates(runtime: LocalRuntime, request: LocalRequest) -> LocalResponse:
    """{"provider": "nhn" | "solapi", "code", "status" (the gateway's own: TSC01…TSC04, PENDING…REJECTED),
    "text" (registers the template)}: a template moved through Kakao's review in that provider's accounts
    (nudge_local.gateway.templates.set_status)."""
    from nudge_local.gateway.templates import set_status

    data = request.json()
    if not isinstance(data, dict) or runtime.gateway is None or data.get("provider") not in ("nhn", "solapi"):
        usage = "body: {provider: nhn|solapi, code, status, text?}"
        return LocalResponse.json({"message": usage}, status=400)
    accounts = runtime.gateway.nhn if data["provider"] == "nhn" else runtime.gateway.solapi
    text = data.get("text")
    try:
        changed = set_status(accounts, str(data.get("code")), str(data.get("status")), text and str(text))
    except ValueError as error:
        return LocalResponse.json({"message": str(error)}, status=400)
    return LocalResponse.json({"code": data.get("code"), "status": data.get("status"), "accounts": changed})


def wait_for(predicate: Any, timeout: float = 5.0) -> bool:
    """Poll `predicate` until true (for tests against a served runtime)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


__all__ = ["DEFAULT_TEMPLATE", "HttpResult", "LocalRuntime"]
