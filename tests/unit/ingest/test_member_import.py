"""Member import: a page is validated as a whole and replayed through the profile rules webhooks use."""

from datetime import UTC, datetime

import pytest

from nudge.errors import InvalidPayload
from nudge.ingest import member_import
from nudge.stores import Store
from tests.fakes import InMemoryProfiles

STORE = Store(store_id="s1", name="테스트몰", platforms=["cafe24"])
NOW = datetime(2026, 3, 2, tzinfo=UTC)
ROW = {"customer_id": "c1", "signed_up_at": "2025-01-01T00:00:00+09:00"}


def _fields(payload):
    with pytest.raises(InvalidPayload) as raised:
        member_import.parse(payload)
    return [f.field for f in raised.value.fields]


def test_every_problem_of_a_page_is_named():
    naive = {**ROW, "customer_id": "c2", "signed_up_at": "2025-01-01T00:00:00"}
    assert _fields({"members": [ROW, naive]}) == ["members[1].signed_up_at"]
    assert _fields({"members": [ROW, ROW]}) == ["members[1].customer_id"]
    assert _fields({"members": []}) == ["members"]
    fax = {**ROW, "consents": {"fax": {"granted": True, "at": ROW["signed_up_at"]}}}
    assert _fields({"members": [fax]}) == ["members[0].consents.fax.[key]"]


def test_a_refunded_order_does_not_count_as_a_purchase():
    row = {
        **ROW,
        "orders": [
            {"order_id": "A", "placed_at": "2026-02-01T10:00:00+09:00", "amount": 1000, "status": "refunded"},
            {"order_id": "B", "placed_at": "2026-02-03T10:00:00+09:00", "amount": 2000},
        ],
    }
    profile = member_import.profile_of(STORE, member_import.parse({"members": [row]}).members[0], NOW)
    assert profile.order_count == 1
    assert profile.orders["A"].status == "refunded"


def test_known_customers_are_reported_not_overwritten():
    profiles = InMemoryProfiles()
    first = member_import.import_members(STORE, {"members": [ROW]}, profiles, NOW)
    page = {"members": [ROW, {**ROW, "customer_id": "c2"}]}
    again = member_import.import_members(STORE, page, profiles, NOW)
    assert (first.created, first.already_known) == (1, [])
    assert (again.created, again.already_known) == (1, ["c1"])
