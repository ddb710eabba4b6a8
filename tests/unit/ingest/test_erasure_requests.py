"""Webhooks and erasure: Shopify's customers/redact erases the customer (and their guest checkouts and the
orders it names); an event of an erased customer that happened before the erasure and arrives afterwards
(a retry, a late delivery) creates nothing, while one that happened after it starts a new profile."""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from nudge.ingest.platforms.delivery import guest_customer_id
from nudge.ingest.service import ERASED
from nudge_local.demo import samples
from tests.fakes import local_dependencies
from tests.unit.ingest.helpers import send

KST = ZoneInfo("Asia/Seoul")
T0 = datetime(2026, 3, 18, 10, 0, tzinfo=KST)


@dataclass
class Erasures:
    """The erasure records as ingest reads them, and the erasure area's front door as it calls it."""

    at: dict[tuple[str, str], datetime] = field(default_factory=dict)
    calls: list[tuple[str, str, str, tuple[str, ...]]] = field(default_factory=list)

    def erased_at(self, store_id: str, customer_id: str) -> datetime | None:
        return self.at.get((store_id, customer_id))

    def __call__(
        self, store_id: str, customer_id: str, requested_by: str, now: datetime, order_ids: tuple[str, ...]
    ) -> object:
        self.calls.append((store_id, customer_id, requested_by, order_ids))
        self.at[store_id, customer_id] = now
        return None


def test_shopify_customers_redact_erases_the_customer_their_guest_checkouts_and_the_named_orders() -> None:
    deps, _, _ = local_dependencies()
    erasures = Erasures()
    deps = replace(deps, erased=erasures, eraser=erasures)
    # A guest order (no customer account) of another number, recorded under its guest id in the order index.
    guest = samples.shopify_order(9002, {}, T0, [(51, 1, "1.00")])
    guest = {**guest, "customer": None, "phone": "+82 10-0000-2009", "email": None}
    assert send(deps, samples.shopify_request("orders/create", guest, "e-guest"), T0).status == "applied"
    redact = {
        "shop_id": 954889,
        "shop_domain": "maple-goods.myshopify.com",
        "customer": {"id": 7001, "email": "c7001@example.com", "phone": "+82 10-0000-2001"},
        "orders_to_redact": [9001, 9002],
    }
    later = T0 + timedelta(days=10)
    result = send(deps, samples.shopify_request("customers/redact", redact, "e-redact"), later)
    assert (result.status, result.customer_id, result.event_types) == ("erased", None, ())
    assert result.reason == "4 customer record(s) erased"  # how many, never who
    by_number, by_mail = guest_customer_id("+821000002001"), guest_customer_id("c7001@example.com")
    owner_of_9002 = guest_customer_id("+821000002009")
    assert [c[1] for c in erasures.calls] == ["7001", by_number, by_mail, owner_of_9002]
    assert {(c[2], c[3]) for c in erasures.calls} == {("shopify:customers/redact", ("9001", "9002"))}


def _joined(at: datetime) -> samples.SampleRequest:
    return samples.cafe24_member_joined("dogfan01", "김민지", "010-0000-1001", at, sms=True, news_mail=False)


def test_an_event_from_before_the_erasure_arriving_after_it_creates_nothing() -> None:
    deps, profiles, publisher = local_dependencies()
    erasures = Erasures(at={("dogday-mall", "dogfan01"): T0 + timedelta(hours=1)})
    deps = replace(deps, erased=erasures)
    result = send(deps, _joined(T0), T0 + timedelta(hours=2))  # the platform's retry of the sign-up
    assert (result.status, result.reason, result.customer_id) == ("ignored", ERASED, None)
    assert profiles.load("dogday-mall", "dogfan01") is None and not publisher.published
    # Its delivery record names no customer, and a further retry is a duplicate.
    assert send(deps, _joined(T0), T0 + timedelta(hours=3)).status == "duplicate"


def test_new_activity_after_the_erasure_starts_a_new_profile() -> None:
    deps, profiles, _ = local_dependencies()
    erasures = Erasures(at={("dogday-mall", "dogfan01"): T0})
    deps = replace(deps, erased=erasures)
    rejoined = T0 + timedelta(days=40)  # the login id registered again
    assert send(deps, _joined(rejoined), rejoined).status == "applied"
    profile = profiles.load("dogday-mall", "dogfan01")
    assert profile is not None and profile.joined_at == rejoined
