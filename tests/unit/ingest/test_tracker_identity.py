"""The public tracker believes a member id only when the store vouched for it, and no visitor (or crowd of
visitors) can post without limit: per profile and hour, new anonymous profiles per store and hour, and the
size of a batch."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nudge.errors import InvalidPayload, PayloadTooLarge, TooManyRequests
from nudge.ingest import tracker
from nudge.ingest.identity import member_token, token_problem
from nudge.ingest.service import IngestResult, receive_tracker_batch
from nudge.profiles.profile import MAX_PATH_LENGTH
from nudge.stores import SECRET_NAMES
from nudge_local.demo import samples
from nudge_local.runtime.stores import DOGDAY
from tests.fakes import local_dependencies

KST = ZoneInfo("Asia/Seoul")
T0 = datetime(2026, 3, 18, 10, 0, tzinfo=KST).astimezone(UTC)
STORE = DOGDAY.store
SECRET = DOGDAY.secrets[SECRET_NAMES["tracker"]]
VIEW = [{"id": "p", "type": "page_view", "path": "/event/dogday"}]


def _post(deps: Any, body: dict[str, Any], at: datetime = T0) -> IngestResult:
    return receive_tracker_batch(json.dumps(body).encode(), STORE, deps, at)


def _batch(visitor: str = "v-1", member: str | None = None, token: str | None = None, **extra: Any) -> dict:
    events = extra.pop("events", [{"id": f"{visitor}-{member}-{token}", "type": "page_view", "path": "/p"}])
    return {
        "write_key": STORE.tracker_write_key,
        "visitor_id": visitor,
        "member_id": member,
        "member_token": token,
        "events": events,
        **extra,
    }


# ---------------------------------------------------------------- the member token


def test_a_token_vouches_for_its_member_at_its_store_until_it_expires() -> None:
    token = member_token(SECRET, STORE.store_id, "dogfan01", T0 + timedelta(hours=1))
    assert token.startswith("v1.") and len(token) <= 100
    assert token_problem(SECRET, STORE.store_id, "dogfan01", token, T0) is None
    problems = {
        "another member": token_problem(SECRET, STORE.store_id, "dogfan02", token, T0),
        "another store": token_problem(SECRET, "maple-goods", "dogfan01", token, T0),
        "another secret": token_problem("not-the-secret", STORE.store_id, "dogfan01", token, T0),
        "expired": token_problem(SECRET, STORE.store_id, "dogfan01", token, T0 + timedelta(hours=1)),
        "no secret set": token_problem(None, STORE.store_id, "dogfan01", token, T0),
        "none": token_problem(SECRET, STORE.store_id, "dogfan01", None, T0),
        "later expiry": token_problem(
            SECRET, STORE.store_id, "dogfan01", token.replace(token.split(".")[1], str(2**40)), T0
        ),
        "garbage": token_problem(SECRET, STORE.store_id, "dogfan01", "v1.x.y", T0),
        "huge expiry": token_problem(
            SECRET, STORE.store_id, "dogfan01", "v1.999999999999999." + "0" * 64, T0
        ),
    }
    assert all(problems.values()), problems
    assert problems["expired"] == "member_token has expired"


def test_the_token_is_an_hmac_any_server_can_make_in_a_line() -> None:
    """What docs/webhooks.md tells a store's server (and a Shopify theme's Liquid) to compute."""
    import hashlib
    import hmac

    expires = int((T0 + timedelta(days=1)).timestamp())
    text = f"v1|{STORE.store_id}|dogfan01|{expires}"
    by_hand = f"v1.{expires}." + hmac.new(SECRET.encode(), text.encode(), hashlib.sha256).hexdigest()
    assert by_hand == member_token(SECRET, STORE.store_id, "dogfan01", T0 + timedelta(days=1))


def test_a_vouched_member_gets_the_visit_and_an_unvouched_one_is_the_anonymous_visitor() -> None:
    deps, profiles, _ = local_dependencies()
    token = member_token(SECRET, STORE.store_id, "dogfan01", T0 + timedelta(hours=1))
    assert _post(deps, _batch("v-1", "dogfan01", token)).customer_id == "dogfan01"

    forged = _post(deps, _batch("v-2", "dogfan02", token))  # someone else's token
    assert forged.customer_id == "anon:v-2"
    (problem,) = forged.not_kept
    assert problem.field == "member_id" and "not made for this member id" in problem.message
    assert "not_kept" in forged.as_dict()
    bare = _post(deps, _batch("v-3", "dogfan01"))
    assert bare.customer_id == "anon:v-3" and "did not vouch" in bare.not_kept[0].message
    assert ("dogday-mall", "dogfan02") not in profiles.profiles
    assert profiles.get("dogday-mall", "dogfan01").page_views == {"20260318": {"/p": 1}}


def test_without_a_secret_no_member_is_believed() -> None:
    deps, _, _ = local_dependencies()
    del deps.secrets.secrets[(STORE.store_id, SECRET_NAMES["tracker"])]  # type: ignore[attr-defined]
    token = member_token(SECRET, STORE.store_id, "dogfan01", T0 + timedelta(hours=1))
    result = _post(deps, _batch("v-1", "dogfan01", token))
    assert result.customer_id == "anon:v-1" and "no tracker identity secret" in result.not_kept[0].message


def test_an_anonymous_profile_expires_with_its_page_views_and_a_members_never() -> None:
    deps, profiles, _ = local_dependencies()
    _post(deps, _batch("v-1"))
    token = member_token(SECRET, STORE.store_id, "dogfan01", T0 + timedelta(hours=1))
    _post(deps, _batch("v-2", "dogfan01", token))
    assert profiles.get("dogday-mall", "anon:v-1").expires_at == T0 + timedelta(days=60)
    assert profiles.get("dogday-mall", "dogfan01").expires_at is None


# ---------------------------------------------------------------- how much one can post


def test_one_visitor_gets_a_batch_every_30_seconds_an_hour_and_then_429_until_the_hour_is_over() -> None:
    deps, profiles, _ = local_dependencies()
    for n in range(tracker.TRACKER_BATCHES_PER_HOUR):
        _post(deps, _batch(events=[{"id": f"e{n}", "type": "visit"}]), T0 + timedelta(seconds=n))
    with pytest.raises(TooManyRequests, match="120 tracker batches an hour"):
        _post(deps, _batch(events=[{"id": "over", "type": "visit"}]), T0 + timedelta(minutes=59))
    assert profiles.get("dogday-mall", "anon:v-1").visit_count == 120  # nothing written
    _post(deps, _batch(events=[{"id": "next", "type": "visit"}]), T0 + timedelta(hours=1))
    assert profiles.get("dogday-mall", "anon:v-1").visit_count == 121


def test_a_members_devices_share_the_members_allowance() -> None:
    deps, _, _ = local_dependencies()
    token = member_token(SECRET, STORE.store_id, "dogfan01", T0 + timedelta(hours=2))
    for n in range(tracker.TRACKER_BATCHES_PER_HOUR):
        _post(deps, _batch(f"v-{n}", "dogfan01", token, events=[{"id": f"e{n}", "type": "visit"}]))
    with pytest.raises(TooManyRequests):
        _post(deps, _batch("v-new", "dogfan01", token, events=[{"id": "x", "type": "visit"}]))


def test_a_store_gets_a_bounded_number_of_new_visitors_an_hour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracker, "NEW_VISITORS_PER_HOUR", 3)
    deps, profiles, _ = local_dependencies()
    for n in range(3):
        _post(deps, _batch(f"v-{n}"))
    with pytest.raises(TooManyRequests, match="3 new visitors this hour"):
        _post(deps, _batch("v-3"))
    assert ("dogday-mall", "anon:v-3") not in profiles.profiles
    _post(deps, _batch("v-0", events=[{"id": "again", "type": "visit"}]))  # a known visitor is not new
    token = member_token(SECRET, STORE.store_id, "dogfan01", T0 + timedelta(hours=1))
    _post(deps, _batch("v-9", "dogfan01", token))  # nor is a member the store vouched for
    _post(deps, _batch("v-3"), T0 + timedelta(hours=1))  # the next hour has room again


def test_a_batch_is_small_and_a_path_keeps_its_first_characters() -> None:
    deps, profiles, _ = local_dependencies()
    with pytest.raises(PayloadTooLarge):
        _post(deps, _batch(padding="x" * 20_000))
    too_many = [{"id": f"e{i}", "type": "visit"} for i in range(tracker.MAX_EVENTS_PER_BATCH + 1)]
    with pytest.raises(InvalidPayload) as refused:
        _post(deps, _batch(events=too_many))
    assert refused.value.fields[0].field == "events"
    long_path = "/product/" + "a" * 1_000 + "?utm_source=x"
    _post(deps, _batch(events=[{"id": "long", "type": "page_view", "path": long_path}]))
    (path,) = profiles.get("dogday-mall", "anon:v-1").page_views["20260318"]
    assert path == long_path[:MAX_PATH_LENGTH]


def test_the_sample_batch_of_a_member_carries_the_stores_token() -> None:
    body = samples.tracker_request("v-7f3a", VIEW, member_id="dogfan01").json()
    assert token_problem(SECRET, STORE.store_id, "dogfan01", body["member_token"], T0) is None
