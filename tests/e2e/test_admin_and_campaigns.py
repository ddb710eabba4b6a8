"""A marketer's path through the admin API on the local runtime: a segment from seed 001, a live preview,
campaigns sent now, reserved and recurring — each run queueing one send job per member the message may
reach (a channel-friends-only brand message leaves a member who is not a friend out, and says so)."""

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from nudge_local.demo import samples
from nudge_local.runtime.runtime import LocalRuntime
from tests.e2e.conftest import KST, call, hold_send_jobs

START = datetime(2026, 3, 18, 9, 0, tzinfo=KST)  # the first day of the "Dog Day" promotion
BASE = "/admin/stores/dogday-mall"
RECIPE_3 = {  # seed 001 recipe 3: promo page seen ≥ 3 times today, no purchase in 7 days
    "include": [
        {"field": "traffic.last_visit", "within_days": 0},
        {"field": "content.page_views", "path": "/event/dogday", "within_days": 0, "op": ">=", "value": 3},
    ],
    "exclude": [{"field": "purchase.last", "within_days": 7}],
}
BRAND_MESSAGE = {
    "message_class": "advertising",
    "channel": "brand_message",
    "content": "#{name}님, 도그데이 기획전이 오늘 마감돼요!",
    "buttons": [{"name": "기획전 보기", "type": "WL", "link_mo": "https://dogday.example/event/dogday"}],
    "targeting": "I",
    "promotion_group": "dogday-2026",
}


@pytest.fixture
def runtime() -> Any:
    with LocalRuntime(start=START) as rt:
        hold_send_jobs(rt)  # these tests read the send jobs off the send queue
        yield rt


def _browse(runtime: LocalRuntime, member: str, views: int, friend: bool = True) -> None:
    """A member's visit with `views` views of the promotion page; a friend of the store's Kakao channel
    (the brand message below targets friends: I) unless told otherwise."""
    events = [{"id": f"{member}-{i}", "type": "page_view", "path": "/event/dogday"} for i in range(views)]
    request = samples.tracker_request(
        f"v-{member}", [{"id": f"{member}-v", "type": "visit"}, *events], member_id=member
    )
    assert runtime.http(request.method, request.path, request.headers, request.body).status == 200
    at = runtime.clock.now()
    envelope = {
        "event_id": f"{member}-friend",
        "type": "member.updated",
        "occurred_at": at.isoformat(),
        "customer": {"id": member, "channel_friend": friend},
    }
    update = samples.nudge_request(envelope, at)
    assert runtime.http(update.method, update.path, update.headers, update.body).status == 200


def _shoppers(runtime: LocalRuntime) -> None:
    _browse(runtime, "fan-a", 3)  # in
    _browse(runtime, "fan-b", 5)  # in
    _browse(runtime, "fan-c", 2)  # too few views
    _browse(runtime, "fan-d", 4)  # bought yesterday: excluded
    _browse(runtime, "fan-e", 3, friend=False)  # in, but the brand message cannot reach a non-friend
    order = samples.cafe24_order_placed("O-1", "fan-d", START - timedelta(days=1), 1000, ["P1"])
    assert runtime.http(order.method, order.path, order.headers, order.body).status == 200


def _send_jobs(runtime: LocalRuntime) -> list[dict[str, Any]]:
    client = runtime.client("sqs")
    jobs: list[dict[str, Any]] = []
    while messages := client.receive_message(
        QueueUrl=runtime.queue_url("SendQueue"), MaxNumberOfMessages=10, VisibilityTimeout=600
    ).get("Messages", []):
        jobs.extend(json.loads(m["Body"]) for m in messages)
    return jobs


def test_admin_requests_without_credentials_are_refused(runtime: LocalRuntime) -> None:
    status, _, _ = runtime.http("GET", f"{BASE}/segments", {})
    assert status == 403


def test_segment_preview_counts_members_now_and_masks_the_sample(runtime: LocalRuntime) -> None:
    _shoppers(runtime)
    status, segment = call(
        runtime,
        "POST",
        f"{BASE}/segments",
        {"segment_id": "promo-repeat", "name": "기획전 반복 조회", "definition": RECIPE_3},
    )
    assert status == 201, segment
    status, preview = call(runtime, "POST", f"{BASE}/segments/promo-repeat/preview")
    assert status == 200 and preview["count"] == 3
    assert {s["customer_id"] for s in preview["sample"]} == {"fan-a", "fan-b", "fan-e"}
    status, listed = call(runtime, "GET", f"{BASE}/segments")
    assert [s["segment_id"] for s in listed] == ["promo-repeat"]


def test_a_bad_segment_is_refused_naming_the_path_and_not_saved(runtime: LocalRuntime) -> None:
    bad = {"include": [{"field": "traffic.last_visit", "within_days": -1}]}
    status, body = call(
        runtime, "POST", f"{BASE}/segments", {"segment_id": "bad", "name": "x", "definition": bad}
    )
    assert status == 400
    assert body["fields"][0]["field"] == "definition.include[0].within_days"
    assert call(runtime, "GET", f"{BASE}/segments")[1] == []


def test_a_campaign_sent_now_queues_one_send_job_per_member(runtime: LocalRuntime) -> None:
    _shoppers(runtime)
    call(
        runtime,
        "POST",
        f"{BASE}/segments",
        {"segment_id": "promo-repeat", "name": "n", "definition": RECIPE_3},
    )
    status, campaign = call(
        runtime,
        "POST",
        f"{BASE}/campaigns",
        {
            "name": "기획전 마감 넛지",
            "segment_id": "promo-repeat",
            "message": BRAND_MESSAGE,
            "send": {"mode": "immediate"},
            "tracking": {"landing_url": "https://dogday.example/event/dogday"},
        },
    )
    assert status == 201, campaign
    runtime.run_until_idle()
    jobs = _send_jobs(runtime)
    assert sorted(j["customer_id"] for j in jobs) == ["fan-a", "fan-b"]
    assert {j["source"] for j in jobs} == {f"campaign:{campaign['campaign_id']}"}
    runs = call(runtime, "GET", f"{BASE}/campaigns/{campaign['campaign_id']}")[1]["runs"]
    assert [(r["state"], r["targeted"], r["left_out"]) for r in runs] == [
        ("done", 3, {"not_channel_friend": 1})
    ]


def _afternoon_campaign(runtime: LocalRuntime) -> dict[str, Any]:
    """Three shoppers in recipe 3's segment (one not a channel friend) and a brand message reserved for
    2026-03-18 16:00 in Seoul."""
    _shoppers(runtime)
    call(
        runtime,
        "POST",
        f"{BASE}/segments",
        {"segment_id": "promo-repeat", "name": "n", "definition": RECIPE_3},
    )
    status, campaign = call(
        runtime,
        "POST",
        f"{BASE}/campaigns",
        {
            "name": "오후 알림",
            "segment_id": "promo-repeat",
            "message": BRAND_MESSAGE,
            "send": {"mode": "reserved", "at": "2026-03-18T16:00:00+09:00"},
        },
    )
    assert status == 201, campaign
    return campaign


def test_a_reserved_campaign_runs_at_its_instant_in_the_store_time_zone(runtime: LocalRuntime) -> None:
    campaign = _afternoon_campaign(runtime)
    schedule = runtime.client("scheduler").get_schedule(
        Name=f"campaign-{campaign['campaign_id']}", GroupName=runtime.schedule_group_name()
    )
    assert schedule["ScheduleExpression"] == "at(2026-03-18T16:00:00)"
    assert schedule["ScheduleExpressionTimezone"] == "Asia/Seoul"
    runtime.advance_to(datetime(2026, 3, 18, 15, 59, tzinfo=KST))
    assert _send_jobs(runtime) == []
    runtime.advance_to(datetime(2026, 3, 18, 16, 1, tzinfo=KST))
    assert sorted(j["customer_id"] for j in _send_jobs(runtime)) == ["fan-a", "fan-b"]


def test_a_reserved_campaign_moved_runs_at_its_new_instant_and_one_deleted_never_runs(
    runtime: LocalRuntime,
) -> None:
    campaign = _afternoon_campaign(runtime)
    path = f"{BASE}/campaigns/{campaign['campaign_id']}"
    name, group = f"campaign-{campaign['campaign_id']}", runtime.schedule_group_name()
    moved = {k: campaign[k] for k in ("name", "segment_id", "message")}
    moved["send"] = {"mode": "reserved", "at": "2026-03-18T18:00:00+09:00"}
    status, body = call(runtime, "PUT", path, moved)
    assert status == 200, body
    schedule = runtime.client("scheduler").get_schedule(Name=name, GroupName=group)
    assert schedule["ScheduleExpression"] == "at(2026-03-18T18:00:00)"
    runtime.advance_to(datetime(2026, 3, 18, 16, 1, tzinfo=KST))
    assert _send_jobs(runtime) == []  # not at the old instant
    assert call(runtime, "DELETE", path)[0] == 204
    schedules = runtime.client("scheduler").list_schedules(GroupName=group)["Schedules"]
    assert name not in {s["Name"] for s in schedules}
    runtime.advance_to(datetime(2026, 3, 18, 18, 1, tzinfo=KST))
    assert _send_jobs(runtime) == []


def test_a_campaign_preview_says_who_a_run_would_leave_out_and_the_run_agrees(runtime: LocalRuntime) -> None:
    campaign = _afternoon_campaign(runtime)
    path = f"{BASE}/campaigns/{campaign['campaign_id']}"
    status, preview = call(runtime, "POST", f"{path}/preview")
    assert status == 200, preview
    assert (preview["segment_members"], preview["left_out"], preview["would_queue"]) == (
        3,
        {"not_channel_friend": 1},
        2,
    )
    assert preview["within_dates"] is True
    assert _send_jobs(runtime) == []  # a preview queues nothing and records no run
    assert call(runtime, "GET", path)[1]["runs"] == []
    runtime.advance_to(datetime(2026, 3, 18, 16, 1, tzinfo=KST))
    [run] = call(runtime, "GET", path)[1]["runs"]
    assert (run["targeted"], run["left_out"]) == (preview["segment_members"], preview["left_out"])
    assert len(_send_jobs(runtime)) == preview["would_queue"]
    status, missing = call(runtime, "POST", f"{BASE}/campaigns/nope/preview")
    assert status == 404 and "nope" in missing["message"]


def test_a_recurring_campaign_runs_once_a_day_between_its_dates(runtime: LocalRuntime) -> None:
    call(
        runtime,
        "POST",
        f"{BASE}/segments",
        {"segment_id": "everyone", "name": "n", "definition": {"include": [{"field": "member.all"}]}},
    )
    _browse(runtime, "fan-a", 1)
    status, campaign = call(
        runtime,
        "POST",
        f"{BASE}/campaigns",
        {
            "name": "매일 10시",
            "segment_id": "everyone",
            "message": BRAND_MESSAGE,
            "send": {"mode": "recurring", "cron": "0 10 ? * * *", "start": "2026-03-18", "end": "2026-03-20"},
        },
    )
    assert status == 201, campaign
    runtime.advance_to(datetime(2026, 3, 22, 12, 0, tzinfo=KST))
    preview = call(runtime, "POST", f"{BASE}/campaigns/{campaign['campaign_id']}/preview")[1]
    assert (preview["segment_members"], preview["within_dates"], preview["would_queue"]) == (1, False, 0)
    runs = call(runtime, "GET", f"{BASE}/campaigns/{campaign['campaign_id']}")[1]["runs"]
    assert sorted(r["occurrence"] for r in runs) == [
        "2026-03-18T01:00:00Z",
        "2026-03-19T01:00:00Z",
        "2026-03-20T01:00:00Z",
    ]
    assert len(_send_jobs(runtime)) == 3


def test_a_campaign_with_problems_is_refused_whole_and_nothing_is_saved(runtime: LocalRuntime) -> None:
    message = {
        **BRAND_MESSAGE,
        "buttons": [{"name": f"b{i}", "type": "WL", "link_mo": "https://x.example"} for i in range(6)],
    }
    status, body = call(
        runtime,
        "POST",
        f"{BASE}/campaigns",
        {
            "name": "x",
            "segment_id": "nope",
            "message": message,
            "send": {"mode": "reserved", "at": "2026-03-17T10:00:00+09:00"},
        },
    )
    assert status == 400
    fields = {f["field"] for f in body["fields"]}
    assert {"segment_id", "send.at"} <= fields and any(f.startswith("message.buttons[5]") for f in fields)
    assert call(runtime, "GET", f"{BASE}/campaigns")[1] == []
    groups = runtime.client("scheduler").list_schedules(GroupName=runtime.schedule_group_name())
    assert groups["Schedules"] == []


def test_the_openapi_document_describes_the_admin_api(runtime: LocalRuntime) -> None:
    status, document = call(runtime, "GET", "/admin/openapi.json")
    assert status == 200 and document["info"]["title"] == "Nudge admin API"
    assert "/admin/stores/{store_id}/campaigns" in document["paths"]
