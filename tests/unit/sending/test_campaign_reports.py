"""Reports and conversion attribution: last touch, a click beats a delivery, windows of 7 days / 1 day."""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from nudge.profiles.profile import Order, OrderStatus
from nudge.reports.sources import attribute, report, report_html, source_report
from nudge.sending.notices import CONSENT_RESULT_NOTICE
from nudge.sending.records import SendRecord, State

T0 = datetime(2026, 3, 18, 1, 0, tzinfo=UTC)


def _send(send_id: str, source: str = "campaign:a", **kw) -> SendRecord:
    base = {"sent_at": T0, "delivered_at": T0, "state": State.DELIVERED}
    return SendRecord(send_id, "s", source, "c1", "occ", **{**base, **kw})


def _orders(*orders: tuple[str, datetime, int, OrderStatus]) -> dict[str, Order]:
    return {
        order_id: Order(order_id, status, at, placed_at=at, amount=Decimal(amount))
        for order_id, at, amount, status in orders
    }


def test_an_order_after_a_click_goes_to_the_latest_click_within_seven_days() -> None:
    sends = [
        _send("a", clicked_at=T0 + timedelta(hours=1)),
        _send("b", "campaign:b", clicked_at=T0 + timedelta(days=2)),
    ]
    orders = _orders(("o1", T0 + timedelta(days=3), 50_000, OrderStatus.PAID))
    [conversion] = attribute(orders.values(), sends)
    assert (conversion.send_id, conversion.by, conversion.revenue) == ("b", "click", Decimal(50_000))
    late = _orders(("o2", T0 + timedelta(days=10), 1, OrderStatus.PAID))
    assert attribute(late.values(), sends) == []


def test_without_a_click_a_delivery_converts_for_one_day_and_canceled_orders_never_count() -> None:
    sends = [_send("a")]
    assert [
        c.by
        for c in attribute(_orders(("o1", T0 + timedelta(hours=20), 10, OrderStatus.PLACED)).values(), sends)
    ] == ["delivery"]
    assert attribute(_orders(("o2", T0 + timedelta(hours=30), 10, OrderStatus.PLACED)).values(), sends) == []
    assert attribute(_orders(("o3", T0 + timedelta(hours=2), 10, OrderStatus.CANCELED)).values(), sends) == []


def test_two_messages_delivered_in_the_same_second_credit_the_same_one_whatever_their_order() -> None:
    welcome = _send("welcome-1", "automation:welcome")
    notice = _send("notice-2", "automation:notice")
    later_sent = _send("review-0", "automation:review", sent_at=T0 + timedelta(seconds=1))
    order = _orders(("o1", T0 + timedelta(hours=3), 20_000, OrderStatus.PAID))
    credited = {attribute(order.values(), pair)[0].send_id for pair in ([welcome, notice], [notice, welcome])}
    assert len(credited) == 1  # one and the same, on every read
    [latest] = attribute(order.values(), [welcome, later_sent, notice])
    assert latest.send_id == "review-0"  # then the later send


def test_a_notice_nudge_owes_never_takes_an_orders_credit_from_the_message_before_it() -> None:
    promotion = _send("promo", "campaign:dogday")
    notice = _send("notice", CONSENT_RESULT_NOTICE, delivered_at=T0 + timedelta(hours=1))
    order = _orders(("o1", T0 + timedelta(hours=2), 30_000, OrderStatus.PAID))
    [conversion] = attribute(order.values(), [promotion, notice])
    assert (conversion.send_id, conversion.by) == ("promo", "delivery")
    assert attribute(order.values(), [notice]) == []


def test_the_report_counts_each_outcome_by_reason_and_code() -> None:
    records = [
        _send("a", clicked_at=T0, clicks=2, reasons=("consent",)),
        _send("b", state=State.FAILED, code="3022", delivered_at=None),
        _send("c", state=State.SUPPRESSED, reasons=("no_consent",), sent_at=None, delivered_at=None),
        _send("d", state=State.DEFERRED, reasons=("consent", "quiet_hours"), sent_at=None, delivered_at=None),
        _send("e", fell_back=True),
    ]
    orders = _orders(("o1", T0 + timedelta(hours=1), 39_000, OrderStatus.PAID))
    data = report(
        "campaign:a", records, lambda ids: {c: orders for c in ids}, lambda ids: {c: records for c in ids}
    )
    assert data["targeted"] == 5 and data["sent"] == 3 and data["delivered"] == 2
    assert data["suppressed_by_reason"] == {"no_consent": 1}
    assert data["deferred_by_reason"] == {"quiet_hours": 1}
    assert data["failed_by_code"] == {"3022": 1}
    assert (data["fell_back"], data["clicked"], data["converted"], data["revenue"]) == (1, 1, 1, "39000")
    page = report_html("도그데이 <마감>", data)
    assert "<svg" in page and "도그데이 &lt;마감&gt;" in page


def test_the_report_reads_a_customers_other_messages_only_when_this_source_could_have_converted() -> None:
    ours = [
        _send("a", clicked_at=T0 + timedelta(hours=1)),  # c1 clicked, then ordered
        SendRecord(
            "x", "s", "campaign:a", "c2", "occ", State.DELIVERED, sent_at=T0, delivered_at=T0
        ),  # no order
    ]
    later_elsewhere = _send("b", "campaign:b", clicked_at=T0 + timedelta(days=2))
    orders = {"c1": _orders(("o1", T0 + timedelta(days=3), 50_000, OrderStatus.PAID)), "c2": _orders()}
    looked_up: list[list[str]] = []

    def sends_of(customer_ids: list[str]) -> dict[str, list[SendRecord]]:
        looked_up.append(customer_ids)
        return {c: [ours[0], later_elsewhere] for c in customer_ids}

    read: list[list[str]] = []

    def orders_of(customer_ids: list[str]) -> dict[str, dict[str, Order]]:
        read.append(customer_ids)
        return {c: orders[c] for c in customer_ids if c in orders}

    data = report("campaign:a", ours, orders_of, sends_of)
    assert read == [["c1", "c2"]]  # one read for every customer this source touched
    assert looked_up == [["c1"]]  # one read, and c2 never ordered: nothing of theirs to read
    assert data["converted"] == 0  # c1's order followed campaign b's later click: it is b's


class _Store:
    """The ledger, orders and catalog of one store, as a report reads them."""

    def __init__(
        self, sends: list[SendRecord], orders: dict[str, Order], automations: list[dict[str, Any]]
    ) -> None:
        self.sends, self.orders, self.automations = sends, orders, automations

    def for_source(self, store_id: str, source: str) -> list[SendRecord]:
        return [s for s in self.sends if s.source == source]

    def recent_many(
        self, store_id: str, customer_ids: list[str], since: datetime
    ) -> dict[str, list[SendRecord]]:
        return {c: [s for s in self.sends if s.customer_id == c] for c in customer_ids}

    def orders_many(self, store_id: str, customer_ids: Iterable[str]) -> dict[str, dict[str, Order]]:
        return {c: self.orders for c in customer_ids}

    def get(self, store_id: str, kind: str, item_id: str) -> dict[str, Any] | None:
        return next((a for a in self.automations if a["automation_id"] == item_id), None)

    def documents(self, store_id: str, kind: str) -> list[dict[str, Any]]:
        return list(self.automations) if kind == "automation" else []

    def runs(self, store_id: str, campaign_id: str) -> list[dict[str, Any]]:
        return []


def test_an_automation_made_from_a_legal_notice_template_never_takes_an_orders_credit() -> None:
    # A sign-up sends the welcome and the consent-result notice in the same second; the notice's send id
    # sorts last, so without the rule it would take the order as the same-second tie-break.
    welcome = _send("a-welcome", "automation:w1")
    notice = _send("z-notice", "automation:n1")
    store = _Store(
        [welcome, notice],
        _orders(("o1", T0 + timedelta(hours=5), 25_000, OrderStatus.PAID)),
        [
            {"automation_id": "w1", "name": "회원가입 환영", "template": "welcome"},
            {
                "automation_id": "n1",
                "name": "광고 수신동의·거부 처리 결과 안내",
                "template": "consent_result",
            },
        ],
    )
    name, owed = source_report("s", "automation", "n1", store, store, store)
    assert (name, owed["delivered"], owed["converted"], owed["revenue"]) == (
        "광고 수신동의·거부 처리 결과 안내",
        1,
        0,
        "0",
    )
    _, welcomed = source_report("s", "automation", "w1", store, store, store)
    assert (welcomed["converted"], welcomed["revenue"]) == (1, "25000")
    # A marketer's own informational automation still takes its credit.
    store.automations[1]["template"] = "welcome"
    assert source_report("s", "automation", "n1", store, store, store)[1]["converted"] == 1


def test_a_legal_notice_sent_by_an_automation_stays_uncredited_after_the_automation_is_deleted() -> None:
    welcome = _send("a-welcome", "automation:w1")
    notice = _send("z-notice", "automation:n1", owed_by_law=True)  # marked when it was sent
    store = _Store(
        [welcome, notice],
        _orders(("o1", T0 + timedelta(hours=5), 25_000, OrderStatus.PAID)),
        [{"automation_id": "w1", "name": "회원가입 환영", "template": "welcome"}],  # n1 deleted
    )
    _, welcomed = source_report("s", "automation", "w1", store, store, store)
    assert (welcomed["converted"], welcomed["revenue"]) == (1, "25000")
    _, deleted = source_report("s", "automation", "n1", store, store, store)
    assert (deleted["delivered"], deleted["converted"]) == (1, 0)
    # Replaced without its template (a PUT that leaves the field out): its earlier notices stay owed.
    store.automations.append({"automation_id": "n1", "name": "안내", "template": None})
    assert source_report("s", "automation", "n1", store, store, store)[1]["converted"] == 0
