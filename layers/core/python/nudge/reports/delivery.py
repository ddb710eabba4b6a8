"""Delivery reports from the gateways: `POST /gateway/reports/{provider}`.

The body is the gateway's own: NHN's `MESSAGE_RESULT_UPDATE` hooks, or Solapi's JSON array. Either must
carry the store's report signature (the `gateway-report-signature` secret) for every store the report names,
or nothing is written: NHN sends it in `X-Toast-Webhook-Signature`; Solapi signs nothing, so the URL the
store registers with Solapi carries it as the `signature` query parameter.
Each result updates the send's ledger record (delivered, or failed with the gateway's code, and whether the
fallback SMS carried it). The endpoint answers 200 once everything is recorded, so the gateway stops
retrying; a report for a send Nudge does not know is acknowledged and ignored. A Kakao message that could
not be delivered, whose gateway does not send the fallback itself (Solapi brand messages), gets its SMS
fallback from Nudge here (`nudge.sending.service.send_fallback`, exactly once).

Opt-outs that reach the gateway — a result saying the person blocked the channel or is on the store's 080
opt-out list (NHN 3020, Solapi 1061 / 2061, `nudge.sending.gateway.OPTED_OUT`) — withdraw that channel's ad
consent on the profile at once, with the consent-result notice (`nudge.reports.opt_outs.withdraw`).
"""

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from compliance.message import Message
from nudge.errors import FieldError, InvalidPayload, NotFound, Unauthenticated
from nudge.ingest.service import IngestDependencies
from nudge.reports.opt_outs import withdraw
from nudge.sending.gateway import KAKAO_UNREACHABLE, OPTED_OUT, ReportFormat, ReportInvalid
from nudge.sending.records import SendRecord, State
from nudge.stores import GATEWAY_SECRET_NAMES

MAX_SEND_ID = 100


class ReportLedger(Protocol):
    def get_many(self, send_ids: list[str]) -> dict[str, SendRecord]: ...

    def update_report(
        self, send_id: str, *, state: State, code: str | None, fell_back: bool, at: datetime
    ) -> SendRecord | None: ...


@dataclass(frozen=True, slots=True)
class ReportDependencies:
    ledger: ReportLedger
    ingest: IngestDependencies  # stores, secrets, profiles and the events queue: the consent write path
    # Each gateway's report format, by provider name (its adapter's: nudge.adapters.gateway_accounts).
    formats: Mapping[str, ReportFormat]
    # Sends the SMS fallback of a Kakao message its gateway does not fall back itself (nudge.sending.service).
    fallback: Callable[[SendRecord], object] | None = None
    # Sends an informational notice (store id, customer id, idempotency key, message): the consent result.
    notice: Callable[[str, str, str, Message], object] | None = None


@dataclass(frozen=True, slots=True)
class ReportOutcome:
    recorded: int
    unknown: int
    opt_outs: int

    def as_dict(self) -> dict[str, int]:
        return {"recorded": self.recorded, "unknown": self.unknown, "opt_outs": self.opt_outs}


def receive_report(
    provider: str,
    headers: Mapping[str, str],
    body: bytes,
    deps: ReportDependencies,
    now: datetime,
    *,
    query: Mapping[str, str] | None = None,
) -> ReportOutcome:
    report_format = deps.formats.get(provider)
    if report_format is None:
        raise NotFound(f"unknown gateway {provider!r} (use one of {', '.join(deps.formats)})")
    try:
        reports = report_format.parse(body)
    except ReportInvalid as exc:
        raise InvalidPayload("not a delivery report", [FieldError("body", str(exc))]) from exc
    # One read for the batch, not one per report. A send id longer than any Nudge makes (24 hex digits), which
    # no DynamoDB key could hold either, names a send Nudge does not know: it is not looked up.
    ours = [r.send_id for r in reports if len(r.send_id) <= MAX_SEND_ID]
    found = deps.ledger.get_many(ours)
    records = {r.send_id: found.get(r.send_id) for r in reports}
    known = [r for r in records.values() if r is not None]
    _verify(provider, headers, query or {}, {r.store_id for r in known}, deps)
    recorded = opt_outs = 0
    for report in reports:
        record = records[report.send_id]
        if record is None:
            continue
        state = State.DELIVERED if report.delivered else State.FAILED
        code = None if report.delivered and not report.fell_back else report.code
        unreachable = not report.delivered and report.code in KAKAO_UNREACHABLE
        fell_back = report.fell_back or (unreachable and record.fallback_by_nudge)
        updated = deps.ledger.update_report(
            report.send_id, state=state, code=code, fell_back=fell_back, at=now
        )
        recorded += 1
        # Only a report that did move the send to "failed" may send the fallback: a late failure report for
        # a message already delivered is not written (the ledger's condition) and sends nothing.
        moved = updated is not None and updated.state is State.FAILED and updated.code == report.code
        if unreachable and moved and record.fallback_by_nudge and deps.fallback is not None:
            deps.fallback(record)
        channel = OPTED_OUT.get(report.code)
        if channel is not None:
            _withdraw(record, channel, f"gateway:{provider}:{report.code}", deps, now)
            opt_outs += 1
    return ReportOutcome(recorded, len(reports) - recorded, opt_outs)


def _verify(
    provider: str,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    store_ids: set[str],
    deps: ReportDependencies,
) -> None:
    """The signature must be the store's, for every store the report names (nothing is written otherwise).
    A report that names no send Nudge knows writes nothing, so it needs none."""
    report_format = deps.formats[provider]
    carrier, name = report_format.carrier, report_format.signature
    given = (headers if carrier == "header" else query).get(name, "")
    secret = GATEWAY_SECRET_NAMES["report-signature"]
    for store_id in sorted(store_ids):
        expected = deps.ingest.secrets.get(store_id, secret)
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            where = f"the {name} header" if carrier == "header" else f"the report URL's {name!r} parameter"
            raise Unauthenticated(f"{where} does not match the store's report signature ({secret})")


def _withdraw(record: SendRecord, channel: str, source: str, deps: ReportDependencies, now: datetime) -> None:
    store = deps.ingest.stores.get(record.store_id)
    if store is not None:
        key = f"gateway-optout:{record.send_id}:{source}"
        withdraw(store, record.customer_id, channel, source, key, now, deps.ingest, deps.notice, now)
