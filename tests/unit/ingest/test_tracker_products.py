"""Product pages: the tracker's page view may name the product the page shows (`product_id`, validated as
the store's own product number or code), and the profile keeps, per product, its recent views (within 30
days, at most 50 products, a reload within a minute counted once)."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nudge.errors import InvalidPayload
from nudge.ingest.service import receive_tracker_batch
from nudge.ingest.tracker import translate_batch
from nudge.profiles.events import PageViewed
from nudge.profiles.profile import (
    MAX_VIEWED_PRODUCTS,
    MAX_VIEWS_PER_PRODUCT,
    PRODUCT_VIEW_HISTORY_DAYS,
    Profile,
    apply_event,
    product_views_since,
    prune,
)
from nudge_local.runtime.stores import DOGDAY
from tests.fakes import local_dependencies

KST = ZoneInfo("Asia/Seoul")
T0 = datetime(2026, 3, 18, 10, 0, tzinfo=KST).astimezone(UTC)
STORE = DOGDAY.store


def _body(*events: dict[str, Any], visitor: str = "v-1") -> bytes:
    return json.dumps(
        {"write_key": STORE.tracker_write_key, "visitor_id": visitor, "events": list(events)}
    ).encode()


def _view(n: int, product: str | None, at: datetime | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {"id": f"e{n}", "type": "page_view", "path": "/product/detail.html"}
    if product is not None:
        view["product_id"] = product
    if at is not None:
        view["at"] = at.isoformat()
    return view


def test_a_page_view_carries_the_product_the_page_declares() -> None:
    delivery = translate_batch(_body(_view(1, "123"), _view(2, None)), STORE, T0)
    first, second = delivery.events
    assert isinstance(first, PageViewed) and first.product_id == "123"
    assert isinstance(second, PageViewed) and second.product_id is None


@pytest.mark.parametrize("product", ["", "x" * 65, "P 1", "상품1", "<script>", "a/b"])
def test_a_product_id_that_is_no_product_number_is_refused_naming_it(product: str) -> None:
    with pytest.raises(InvalidPayload) as refused:
        translate_batch(_body(_view(1, product)), STORE, T0)
    assert [f.field for f in refused.value.fields] == ["events[0].product_id"]


@pytest.mark.parametrize("product", ["1", "P-7_x.y:z", "x" * 64])
def test_product_numbers_and_codes_are_taken(product: str) -> None:
    [view] = translate_batch(_body(_view(1, product)), STORE, T0).events
    assert isinstance(view, PageViewed) and view.product_id == product


def test_the_profile_counts_a_products_views_over_http_batches() -> None:
    deps, profiles, _ = local_dependencies()
    for n, minutes in enumerate((0, 5, 5.5, 30)):  # the third is a reload of the second: the same look
        at = T0 + timedelta(minutes=minutes)
        receive_tracker_batch(_body(_view(n, "123", at), _view(100 + n, "456", at)), STORE, deps, at)
    profile = profiles.get(STORE.store_id, "anon:v-1")
    assert product_views_since(profile, "123", T0 - timedelta(days=1)) == 3
    assert product_views_since(profile, "123", T0 + timedelta(minutes=1)) == 2
    assert profile.product_views["456"][-1] == T0 + timedelta(minutes=30)


def _viewed(profile: Profile, product: str, at: datetime, n: int = 0) -> None:
    event = PageViewed(
        event_id=f"{product}-{n}-{at.timestamp()}", store_id="s", customer_id="c", occurred_at=at,
        source="tracker", path="/p", product_id=product,
    )  # fmt: skip
    apply_event(profile, event, KST)


def test_views_are_bounded_per_product_in_products_and_in_time() -> None:
    profile = Profile("s", "c")
    for n in range(MAX_VIEWS_PER_PRODUCT + 5):
        _viewed(profile, "P", T0 + timedelta(minutes=n), n)
    assert len(profile.product_views["P"]) == MAX_VIEWS_PER_PRODUCT
    assert profile.product_views["P"][-1] == T0 + timedelta(minutes=MAX_VIEWS_PER_PRODUCT + 4)
    _viewed(profile, "P", T0 - timedelta(days=1))  # late and older than every kept view: not kept
    assert min(profile.product_views["P"]) > T0 - timedelta(days=1)
    for n in range(MAX_VIEWED_PRODUCTS + 3):
        _viewed(profile, f"Q{n:02d}", T0 + timedelta(hours=1, minutes=n))
    assert len(profile.product_views) == MAX_VIEWED_PRODUCTS
    assert "P" not in profile.product_views and "Q00" not in profile.product_views  # viewed longest ago
    prune(profile, T0 + timedelta(days=PRODUCT_VIEW_HISTORY_DAYS, hours=1, minutes=10), KST)
    # Views exactly 30 days old are gone: Q10 was viewed at the cut-off itself.
    assert sorted(profile.product_views) == [f"Q{n:02d}" for n in range(11, MAX_VIEWED_PRODUCTS + 3)]
