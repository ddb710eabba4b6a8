"""Nobody outside can damage a customer's data through the public storefront tracker (its write key ships in
the page), over HTTP on the local runtime, which enforces DynamoDB's 400 KB item limit as DynamoDB does.

1. Page views, however many and however long, never push a profile past the item limit: the customer's
   genuine Cafe24 order is still recorded, and a consent withdrawal still applies.
2. A member id the store did not vouch for (no valid member token) is an anonymous visit: it adds nothing to
   that member's profile.
"""

import json
from datetime import datetime, timedelta
from typing import Any

from nudge.adapters.profile_item import partition_key
from nudge_local.bill.capacity import typed_item_size
from nudge_local.demo import samples
from nudge_local.demo.samples import SampleRequest
from nudge_local.runtime.runtime import LocalRuntime
from nudge_local.runtime.stores import DOGDAY
from tests.e2e.conftest import START, profiles, send

STORE = DOGDAY.store.store_id
MEMBER = "dogfan01"
DYNAMODB_ITEM_LIMIT = 400 * 1024


def stored_size(runtime: LocalRuntime, customer_id: str) -> int:
    """The profile's item size as DynamoDB measures it (0: no item)."""
    answer = runtime.client("dynamodb").get_item(
        TableName=runtime.table_name("ProfilesTable"),
        Key={"pk": {"S": partition_key(STORE, customer_id)}, "sk": {"S": customer_id}},
    )
    item = answer.get("Item")
    return 0 if item is None else typed_item_size(item)


def _page_views(day: int, batch: int, length: int, count: int = 20) -> list[dict[str, Any]]:
    """Page views of distinct paths `length` characters long (the tracker keeps a path, not its query)."""
    return [
        {
            "id": f"d{day}-b{batch}-{i}",
            "type": "page_view",
            "path": f"/event/{day:02d}/{batch:02d}/{i:02d}/".ljust(length, "x"),
            "dwell_seconds": 30,
        }
        for i in range(count)
    ]


def test_page_views_never_push_a_customer_past_the_item_limit_so_their_orders_and_consent_still_apply(
    runtime: LocalRuntime,
) -> None:
    joined = samples.cafe24_member_joined(MEMBER, "김민지", "010-0000-1001", START, True, False)
    assert send(runtime, joined)[0] == 200
    # Two weeks of page views of distinct long paths posted for the member (with the store's token: the
    # worst case, a token that leaked), fewer and shorter whenever a write is refused, as an attacker
    # filling the item to the last bytes of DynamoDB's limit would: before the budget, the customer's next
    # order could not be written (500, and Cafe24 gives up after its retries).
    statuses: list[int] = []
    length, count = 600, 20  # 20 of 600 characters make a batch of 15 KB, under the tracker's 16 KB
    for day in range(14):
        runtime.advance_to(START + timedelta(days=day, hours=1))
        for batch in range(12):
            views = _page_views(day, batch, length, count)
            statuses.append(send(runtime, samples.tracker_request(f"v-{MEMBER}", views, member_id=MEMBER))[0])
            if statuses[-1] >= 500:
                length, count = (length // 2, count) if length > 40 else (length, max(1, count // 2))
        assert 0 < stored_size(runtime, MEMBER) < DYNAMODB_ITEM_LIMIT, day

    order_at = START + timedelta(days=14, hours=2)
    runtime.advance_to(order_at)
    order = samples.cafe24_order_placed("20260330-0000001", MEMBER, order_at, 42000, ["P0000012"])
    status, body = send(runtime, order)
    assert (status, body.get("status")) == (200, "applied"), body
    withdrawn = samples.cafe24_member_changed(MEMBER, sms=False)
    status, body = send(runtime, withdrawn)
    assert (status, body.get("status")) == (200, "applied"), body
    assert set(statuses) == {200}  # the page views themselves never failed either

    profile = profiles(runtime)[(STORE, MEMBER)]
    assert list(profile.orders) == ["20260330-0000001"] and profile.order_count == 1
    assert profile.consents["sms"].granted is False
    assert profile.page_views  # the newest days are still there for segments


def _unsigned(visitor_id: str, member_id: str, events: list[dict[str, Any]]) -> SampleRequest:
    """A batch as anyone can post it: the public write key and a member id of their choosing, no token."""
    body = {"write_key": DOGDAY.store.tracker_write_key, "visitor_id": visitor_id, "member_id": member_id,
            "events": events}  # fmt: skip
    headers = {"content-type": "text/plain", "origin": "https://dogday.example"}
    return SampleRequest("POST", f"/collect/{STORE}", headers, json.dumps(body).encode(), "forged batch")


def test_a_member_id_the_store_did_not_vouch_for_adds_nothing_to_that_member(runtime: LocalRuntime) -> None:
    joined = samples.cafe24_member_joined(MEMBER, "김민지", "010-0000-1001", START, True, False)
    assert send(runtime, joined)[0] == 200
    before = profiles(runtime)[(STORE, MEMBER)]
    views = [{"id": f"f-{i}", "type": "page_view", "path": "/event/dogday"} for i in range(5)]
    status, _ = send(runtime, _unsigned("v-evil", MEMBER, views))
    assert status == 200  # accepted, as an anonymous visit

    stored = profiles(runtime)
    assert stored[(STORE, MEMBER)].page_views == before.page_views == {}
    assert stored[(STORE, MEMBER)].last_visit_at is None
    assert sum(stored[(STORE, "anon:v-evil")].page_views[f"{START:%Y%m%d}"].values()) == 5


def test_a_forged_token_is_no_better_than_none(runtime: LocalRuntime) -> None:
    joined = samples.cafe24_member_joined(MEMBER, "김민지", "010-0000-1001", START, True, False)
    assert send(runtime, joined)[0] == 200
    good = samples.tracker_request("v-1", [{"id": "g", "type": "visit"}], member_id="someone-else").json()
    forged = {**good, "member_id": MEMBER, "events": [{"id": "f", "type": "page_view", "path": "/x"}]}
    request = SampleRequest(
        "POST", f"/collect/{STORE}", {"content-type": "text/plain"}, json.dumps(forged).encode()
    )
    assert send(runtime, request)[0] == 200
    stored = profiles(runtime)
    assert stored[(STORE, MEMBER)].page_views == {}
    assert (STORE, "anon:v-1") in stored


def test_what_segments_read_still_works_for_a_vouched_member(runtime: LocalRuntime) -> None:
    at: datetime = START + timedelta(minutes=5)
    runtime.advance_to(at)
    views = [{"id": f"p-{i}", "type": "page_view", "path": "/event/dogday"} for i in range(3)]
    status, _ = send(runtime, samples.tracker_request("v-7f3a", views, member_id=MEMBER))
    assert status == 200
    assert profiles(runtime)[(STORE, MEMBER)].page_views == {f"{at:%Y%m%d}": {"/event/dogday": 3}}
