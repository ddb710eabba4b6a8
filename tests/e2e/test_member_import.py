"""A store adopting Nudge imports the members it already has through the admin API: consents keep their
dates, past orders count for segments, bad rows are refused by name and nothing of the page is written,
and a later import never overwrites what live webhooks have built."""

import json
from datetime import datetime
from typing import Any

import pytest

from nudge_local.demo import samples
from nudge_local.runtime.runtime import LocalRuntime
from tests.e2e.conftest import AUTH, KST, profiles

START = datetime(2026, 3, 2, 9, 0, tzinfo=KST)
IMPORT = "/admin/stores/dogday-mall/members/import"

pytestmark = pytest.mark.e2e


@pytest.fixture
def runtime() -> Any:
    with LocalRuntime(start=START) as rt:
        yield rt


def post(runtime: LocalRuntime, body: Any) -> tuple[int, Any]:
    status, _, raw = runtime.http("POST", IMPORT, AUTH, json.dumps(body).encode())
    return status, json.loads(raw)


MEMBER = {
    "customer_id": "old-1001",
    "name": "김하늘",
    "phone": "010-0000-4001",
    "signed_up_at": "2024-05-01T10:00:00+09:00",
    "consents": {"sms": {"granted": True, "at": "2024-05-01T10:00:00+09:00"}},
    "channel_friend": True,
    "orders": [
        {"order_id": "O-OLD-1", "placed_at": "2026-02-20T12:00:00+09:00", "amount": 32000, "products": ["P7"]}
    ],
}


def test_imported_members_become_profiles_with_dated_consents_and_orders(runtime):
    status, body = post(runtime, {"members": [MEMBER, {**MEMBER, "customer_id": "old-1002", "orders": []}]})
    assert status == 200, body
    assert body == {"created": 2, "already_known": []}
    profile = profiles(runtime)[("dogday-mall", "old-1001")]
    assert profile.phone == "+821000004001"
    assert profile.consents["sms"].granted and profile.consents["sms"].at.year == 2024
    assert profile.order_count == 1 and profile.last_purchase_at is not None
    assert profile.channel_friend is True


def test_a_bad_row_names_its_field_and_nothing_is_written(runtime):
    bad = {**MEMBER, "customer_id": "old-2002", "phone": "12"}
    status, body = post(runtime, {"members": [{**MEMBER, "customer_id": "old-2001"}, bad]})
    assert status == 400
    assert [f["field"] for f in body["fields"]] == ["members[1].phone"]
    assert not [key for key in profiles(runtime) if key[1].startswith("old-200")]


def test_importing_twice_or_after_live_webhooks_overwrites_nothing(runtime):
    live = samples.cafe24_member_joined(
        "old-3001", "박서준", "010-0000-4031", START, sms=False, news_mail=False
    )
    assert runtime.http(live.method, live.path, live.headers, live.body).status == 200
    page = {"members": [{**MEMBER, "customer_id": "old-3001"}, {**MEMBER, "customer_id": "old-3002"}]}
    assert post(runtime, page) == (200, {"created": 1, "already_known": ["old-3001"]})
    assert post(runtime, page) == (200, {"created": 0, "already_known": ["old-3001", "old-3002"]})
    live_profile = profiles(runtime)[("dogday-mall", "old-3001")]
    assert live_profile.order_count == 0  # the live profile was kept as the webhooks built it


def test_unknown_store_and_missing_auth_are_refused(runtime):
    page = json.dumps({"members": [MEMBER]})  # a valid page: the body is validated before the store is read
    status, _, _ = runtime.http("POST", "/admin/stores/nope/members/import", AUTH, page)
    assert status == 404
    status, _, _ = runtime.http("POST", IMPORT, {"content-type": "application/json"}, b"{}")
    assert status == 403
