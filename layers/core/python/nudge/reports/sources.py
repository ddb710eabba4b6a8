"""What a campaign or an automation did: targeted, suppressed and deferred (by reason), sent, delivered,
failed (by the gateway's code), fell back, clicked, converted and the revenue of those conversions; and an
automation's steps stopped before any send because the journey ended (by reason: the exit condition met,
the automation paused or deleted, the step removed; nudge.automations.runs records them in the ledger).
A step the rules refused when it fell due counts as suppressed, as if the sender had refused it.

Conversion: an order placed within the attribution window after a click on a message (default 7 days), or
failing that after its delivery (default 1 day), is attributed to that message — the latest such touch
among all of the customer's campaign and automation messages, so one order counts for one message only (last
touch), never for two campaigns. A notice owed by law is no marketer's message: it never takes an order's
credit, whether Nudge sent it itself (the consent-result notice after a gateway opt-out) or an automation
made from a legal-notice template did (consent result, two-yearly reconfirmation). Orders later canceled or
refunded in full do not count; one refunded in part counts its amount less the refunds.
"""

import html
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Protocol, Self

from pydantic import BaseModel, ConfigDict

from compliance.reasons import SEND_REASONS
from nudge.automations.templates import legal_notice_automations
from nudge.catalog import CatalogItems, read
from nudge.errors import FieldError, InvalidPayload, NotFound
from nudge.ports import AUTOMATION, CAMPAIGN
from nudge.profiles.profile import Order, OrderStatus
from nudge.sending.notices import is_owed_by_law
from nudge.sending.reasons import NudgeReason, ends_journey, meaning
from nudge.sending.records import SendRecord, State

CLICK_WINDOW = timedelta(days=7)
DELIVERY_WINDOW = timedelta(days=1)
_ENDED = (OrderStatus.CANCELED, OrderStatus.REFUNDED)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Conversion:
    order_id: str
    send_id: str
    placed_at: datetime
    revenue: Decimal
    by: str  # click | delivery


def _latest(touched_at: datetime | None, send: SendRecord) -> tuple[datetime, datetime, str]:
    """Which touch is the latest: the instant (to the second, as the ledger keeps it), then the later send,
    then the send id — two messages touched in the same second (a welcome and a notice sent together)
    credit the same one on every read, whatever order the ledger lists them in."""
    return (touched_at or EPOCH, send.sent_at or EPOCH, send.send_id)


def attribute(
    orders: Iterable[Order],
    sends: Iterable[SendRecord],
    click_window: timedelta = CLICK_WINDOW,
    delivery_window: timedelta = DELIVERY_WINDOW,
    owed: Collection[str] = frozenset(),
) -> list[Conversion]:
    """Each of a customer's orders that one of `sends` (all of the customer's messages) converted. A notice
    the law owes the customer is never credited: Nudge's own, those marked at send time as sent by an
    automation made from a legal-notice template (so deleting or editing it later changes nothing), and
    those of the `owed` sources (the store's legal-notice automations now: sends recorded before the mark)."""
    sends = [s for s in sends if not is_owed_by_law(s, owed)]
    out = []
    for order in orders:
        placed = order.placed_at
        if placed is None or order.status in _ENDED:
            continue
        clicks = [s for s in sends if s.clicked_at and s.clicked_at <= placed <= s.clicked_at + click_window]
        if clicks:
            touch = max(clicks, key=lambda s: _latest(s.clicked_at, s))
            by = "click"
        else:
            delivered = [
                s
                for s in sends
                if s.delivered_at and s.delivered_at <= placed <= s.delivered_at + delivery_window
            ]
            if not delivered:
                continue
            touch = max(delivered, key=lambda s: _latest(s.delivered_at, s))
            by = "delivery"
        out.append(Conversion(order.order_id, touch.send_id, placed, order.net_amount or Decimal(0), by))
    return out


def report(
    source: str,
    records: list[SendRecord],
    orders_of: Callable[[list[str]], Mapping[str, Mapping[str, Order]]],
    sends_of: Callable[[list[str]], Mapping[str, list[SendRecord]]],
    left_out: Mapping[str, int] | None = None,
    owed: Collection[str] = frozenset(),
) -> dict[str, Any]:
    """The report of one source from its ledger records; `orders_of` reads the orders of the customers it
    touched (customer -> order id -> order), `sends_of` those customers' messages (each one batched read).
    `left_out`: members a campaign's runs left out before any send (nudge.campaigns.runs), by reason;
    they count as targeted and suppressed. `owed`: the store's legal-notice automations (`attribute`)."""
    suppressed: Counter[str] = Counter(left_out or {})
    stopped: Counter[str] = Counter()
    deferred: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for record in records:
        blocking = [r for r in record.reasons if r not in SEND_REASONS] or [NudgeReason.UNSPECIFIED]
        ended = [r for r in record.reasons if ends_journey(r)]
        if record.state is State.SUPPRESSED and ended:
            stopped.update(ended)
        elif record.state is State.SUPPRESSED:
            suppressed.update(blocking)
        elif record.state is State.DEFERRED:
            deferred.update(blocking)
        elif record.state is State.FAILED:
            failed[record.code or NudgeReason.UNKNOWN] += 1
    ours = {r.send_id for r in records}
    touched: dict[str, list[SendRecord]] = {}  # customer -> this source's clicked or delivered messages
    for record in records:
        if record.clicked_at or record.delivered_at:
            touched.setdefault(record.customer_id, []).append(record)
    conversions: list[Conversion] = []
    orders = orders_of(sorted(touched))
    # Only an order inside the window of one of this source's touches can be this source's; the customer's
    # other messages (which may have touched the order later) are read only then.
    candidates = [
        customer_id
        for customer_id in sorted(touched)
        if attribute(orders.get(customer_id, {}).values(), touched[customer_id], owed=owed)
    ]
    everything = sends_of(candidates) if candidates else {}
    for customer_id in candidates:
        theirs = attribute(orders[customer_id].values(), everything.get(customer_id, []), owed=owed)
        conversions.extend(c for c in theirs if c.send_id in ours)
    screened = sum((left_out or {}).values())
    return {
        "source": source,
        "targeted": len(records) + screened,
        "suppressed": sum(1 for r in records if r.state is State.SUPPRESSED) - stopped.total() + screened,
        "suppressed_by_reason": dict(suppressed.most_common()),
        "left_out_at_targeting": screened,
        "stopped": stopped.total(),
        "stopped_by_reason": dict(stopped.most_common()),
        "deferred": sum(1 for r in records if r.state is State.DEFERRED),
        "deferred_by_reason": dict(deferred.most_common()),
        "sent": sum(1 for r in records if r.sent_at is not None),
        "delivered": sum(1 for r in records if r.state is State.DELIVERED),
        "failed": sum(failed.values()),
        "failed_by_code": dict(failed.most_common()),
        "fell_back": sum(1 for r in records if r.fell_back),
        "clicked": sum(1 for r in records if r.clicks),
        "clicks": sum(r.clicks for r in records),
        "converted": len(conversions),
        "converted_by": dict(Counter(c.by for c in conversions)),
        "revenue": _amount(sum((c.revenue for c in conversions), Decimal(0))),
        "windows": {"click_days": CLICK_WINDOW.days, "delivery_days": DELIVERY_WINDOW.days},
    }


def _amount(value: Decimal) -> str:
    """Won have no minor unit: 45000, not 45000.00 (a fractional amount keeps its digits)."""
    return str(value.quantize(Decimal(1))) if value == value.to_integral_value() else str(value)


_FUNNEL = ("targeted", "sent", "delivered", "clicked", "converted")
_LABELS = 260  # the label column's width: room for the longest Korean meaning


def _bars(title: str, values: dict[str, int], *, codes: bool = False) -> str:
    """Bars labelled by key; `codes`: the keys are reason or failure codes, labelled by their Korean meaning
    (the code and the English on hover)."""
    if not values:
        return f"<h2>{html.escape(title)}</h2><p>—</p>"
    top = max(values.values()) or 1
    rows = []
    for i, (key, value) in enumerate(values.items()):
        width = int(300 * value / top)
        y = i * 26
        label = html.escape(meaning(key).ko if codes else key)
        hover = f"<title>{html.escape(f'{key}: {meaning(key).en}')}</title>" if codes else ""
        rows.append(
            f'<text x="0" y="{y + 15}">{hover}{label}</text>'
            f'<rect x="{_LABELS}" y="{y + 2}" width="{width}" height="18" fill="#4a7bd0"/>'
            f'<text x="{_LABELS + 6 + width}" y="{y + 15}">{value}</text>'
        )
    height = 26 * len(values)
    return (
        f"<h2>{html.escape(title)}</h2>"
        f'<svg width="{_LABELS + 380}" height="{height}" font-family="sans-serif" font-size="13">'
        f"{''.join(rows)}</svg>"
    )


def report_html(name: str, data: dict[str, Any]) -> str:
    """The report as a page with bar charts (inline SVG: no script, no external asset)."""
    funnel = {key: int(data[key]) for key in _FUNNEL}
    return (
        "<!doctype html><html lang=ko><meta charset=utf-8>"
        f"<title>{html.escape(name)} · Nudge</title>"
        "<body style='font-family:sans-serif;max-width:760px;margin:2em auto'>"
        f"<h1>{html.escape(name)}</h1>"
        f"<p>left out before any send (consent): {data.get('left_out_at_targeting', 0)} · "
        f"stopped before any send (the journey ended): {data.get('stopped', 0)} · "
        f"fell back to SMS: {data['fell_back']} · revenue: ₩{html.escape(data['revenue'])} · "
        f"attribution: {data['windows']['click_days']} days after a click, "
        f"{data['windows']['delivery_days']} day after a delivery</p>"
        + _bars("Funnel", funnel)
        + _bars("Suppressed by reason", data["suppressed_by_reason"], codes=True)
        + _bars("Deferred by reason", data["deferred_by_reason"], codes=True)
        + _bars("Stopped by reason (the journey ended)", data.get("stopped_by_reason", {}), codes=True)
        + _bars("Failed by gateway code", data["failed_by_code"], codes=True)
        + "</body></html>"
    )


class ReportLedger(Protocol):
    def for_source(self, store_id: str, source: str) -> list[SendRecord]: ...

    def recent_many(
        self, store_id: str, customer_ids: list[str], since: datetime
    ) -> Mapping[str, list[SendRecord]]: ...


class ProfileReader(Protocol):
    def orders_many(
        self, store_id: str, customer_ids: Iterable[str]
    ) -> Mapping[str, Mapping[str, Order]]: ...


class CatalogReader(CatalogItems, Protocol):
    def documents(self, store_id: str, kind: str) -> list[dict[str, Any]]: ...

    def runs(self, store_id: str, campaign_id: str) -> list[dict[str, Any]]: ...


class _Named(BaseModel):
    """What a report reads of its source's document: only the name it shows (the source if none), so any
    campaign's or automation's document has its report, whatever else it holds."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    catalog_kind: ClassVar[str]

    name: Any = None
    # Why a sync paused it (its AlimTalk template no longer approved: nudge.alimtalk), shown in the report.
    paused_reason: str | None = None

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Self:
        return cls.model_validate(document)


class _NamedCampaign(_Named):
    catalog_kind: ClassVar[str] = CAMPAIGN


class _NamedAutomation(_Named):
    catalog_kind: ClassVar[str] = AUTOMATION


_SOURCES: dict[str, type[_Named]] = {CAMPAIGN: _NamedCampaign, AUTOMATION: _NamedAutomation}


def source_report(
    store_id: str,
    kind: str,
    source_id: str,
    ledger: ReportLedger,
    profiles: ProfileReader,
    catalog: CatalogReader,
) -> tuple[str, dict[str, Any]]:
    """(the source's name, its report). A deleted source still has a report while its sends are kept."""
    if kind not in _SOURCES:
        raise InvalidPayload("unknown report", [FieldError("kind", "one of campaign, automation")])
    source = f"{kind}:{source_id}"
    records = ledger.for_source(store_id, source)
    named = read(catalog, store_id, _SOURCES[kind], source_id)
    if named is None and not records:
        raise NotFound(f"no {kind} {source_id!r} in store {store_id!r}")
    name = str((named.name if named else None) or source)
    since = min((r.created_at for r in records if r.created_at), default=EPOCH) - CLICK_WINDOW
    left_out: Counter[str] = Counter()
    if kind == CAMPAIGN:
        for run in catalog.runs(store_id, source_id):
            left_out.update(run.get("left_out") or {})
    owed = legal_notice_automations(catalog.documents(store_id, AUTOMATION))
    data = report(
        source,
        records,
        lambda customer_ids: profiles.orders_many(store_id, customer_ids),
        lambda customer_ids: ledger.recent_many(store_id, customer_ids, since),
        left_out,
        owed,
    )
    paused = {"paused_reason": named.paused_reason} if named is not None and named.paused_reason else {}
    return name, {"name": name, **paused, **data}
