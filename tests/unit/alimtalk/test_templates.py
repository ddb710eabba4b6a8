"""AlimTalk templates read from the store's gateway: statuses mapped from each gateway's codes, a sync that
writes what changed, the check at save (reading the list again when it must), and what a template that
stops being approved pauses."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from compliance import validate_message
from nudge.adapters.gateways.nhn_templates import template_of as nhn_template
from nudge.adapters.gateways.solapi_templates import template_of as solapi_template
from nudge.alimtalk import service
from nudge.alimtalk.templates import TEMPLATE_KIND
from nudge.automations import service as automations
from nudge.campaigns import service as campaigns
from nudge.campaigns.definitions import Campaign
from nudge.campaigns.runs import run_campaign
from nudge.errors import Conflict, InvalidPayload
from nudge.ports import AUTOMATION, CAMPAIGN
from nudge.segments import service as segments
from nudge_local.runtime.stores import DOGDAY
from tests.fakes import (
    InMemoryCatalog,
    InMemoryMembers,
    InMemoryProfiles,
    InMemoryStores,
    RecordingQueue,
    RecordingRunRequests,
    RecordingSchedules,
)
from tests.fakes.alimtalk import ListedTemplates, template_dependencies
from tests.unit.automations.helpers import REVIEW, REVIEW_MESSAGE
from tests.unit.compliance.helpers import alimtalk

KST = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 3, 18, 9, 0, tzinfo=KST)
STORE = DOGDAY.store
NO_GATEWAY = STORE.model_copy(update={"store_id": "no-gateway", "gateway": None})
CODE = "REVIEW_REQUEST_01"
# A campaign's message has the profile's variables only.
CAMPAIGN_MESSAGE = {
    **REVIEW_MESSAGE,
    "content": "#{name}님, 받으신 상품은 마음에 드셨나요? 후기를 남겨 주세요.",
}


class World:
    def __init__(self, *approved: str) -> None:
        self.catalog = InMemoryCatalog()
        self.listed = ListedTemplates(approved)
        self.stores = InMemoryStores([STORE, NO_GATEWAY])
        profiles = InMemoryProfiles()
        self.templates = template_dependencies(self.stores, self.catalog, self.listed)
        self.segments = segments.SegmentDependencies(
            self.stores, self.catalog, profiles, InMemoryMembers(profiles)
        )
        self.campaigns = campaigns.CampaignDependencies(
            self.stores,
            self.catalog,
            InMemoryMembers(profiles),
            RecordingSchedules(),
            RecordingRunRequests(),
            self.templates,
        )
        self.automations = automations.AutomationSetupDependencies(
            self.stores, self.catalog, profiles, self.templates
        )
        self.users = (
            lambda store, problem_of, now: campaigns.pause_for_templates(
                self.catalog, store, problem_of, now
            ),
            lambda store, problem_of, now: automations.pause_for_templates(
                self.catalog, store, problem_of, now
            ),
        )

    def sync(self, now: datetime = NOW) -> service.SyncResult:
        return service.sync(self.templates, STORE, now, self.users)

    def reserved_campaign(self, now: datetime = NOW) -> dict[str, Any]:
        segments.create_segment(
            self.segments,
            STORE.store_id,
            {"segment_id": "s1", "name": "all", "definition": {"include": [{"field": "member.all"}]}},
            now,
        )
        send = {"mode": "reserved", "at": (now + timedelta(days=2)).isoformat()}
        body = {"name": "발송 안내", "segment_id": "s1", "message": CAMPAIGN_MESSAGE, "send": send}
        return campaigns.create_campaign(self.campaigns, STORE.store_id, body, now)


def refused_fields(call: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidPayload) as refused:
        call()
    return [(f.field, f.message) for f in refused.value.fields]


# ---------------------------------------------------------------- statuses, as each gateway says them


@pytest.mark.parametrize(
    ("item", "status", "label"),
    [
        ({"status": "TSC01", "statusName": "요청"}, "requested", "요청"),
        ({"status": "TSC02", "statusName": "검수 중"}, "inspecting", "검수 중"),
        ({"status": "TSC03", "statusName": "승인"}, "approved", "승인"),
        ({"status": "TSC04", "statusName": "반려"}, "rejected", "반려"),
        ({"status": "TSC03", "statusName": "승인", "block": True}, "blocked", "차단"),
        ({"status": "TSC03", "statusName": "승인", "dormant": True}, "blocked", "휴면"),
        ({"status": "TSC09"}, "blocked", ""),  # a status NHN adds later is never taken for approval
    ],
)
def test_nhn_statuses_map_to_one_status_keeping_nhns_own(
    item: dict[str, Any], status: str, label: str
) -> None:
    template = nhn_template({"templateCode": "T1", "templateName": "배송", "templateContent": "x", **item})
    assert (template.status, template.gateway_status, template.gateway_label) == (
        status,
        item["status"],
        label,
    )


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("PENDING", "requested"),
        ("INSPECTING", "inspecting"),
        ("APPROVED", "approved"),
        ("REJECTED", "rejected"),
        ("HIDDEN", "blocked"),
    ],
)
def test_solapi_statuses_map_to_one_status(raw: str, status: str) -> None:
    template = solapi_template({"templateId": "KA01TP1", "name": "배송", "content": "x", "status": raw})
    assert (template.code, template.status, template.gateway_status) == ("KA01TP1", status, raw)


def test_template_approved_no_longer_decides_anything() -> None:
    assert validate_message(alimtalk(template_approved=False)) == []


# ---------------------------------------------------------------- sync


def test_a_sync_keeps_the_list_and_says_what_changed() -> None:
    world = World(CODE)
    world.listed.set("SHIP_01", "inspecting", "#{name}님, #{tracking_no}")
    first = world.sync()
    assert [(c.code, c.before, c.after) for c in first.changes] == [
        (CODE, None, "approved"),
        ("SHIP_01", None, "inspecting"),
    ]
    listing = service.listing(world.templates, STORE.store_id)
    assert listing["synced_at"] == NOW.isoformat() and listing["provider"] == "nhn"
    ship = next(t for t in listing["templates"] if t["code"] == "SHIP_01")
    assert (ship["status"], ship["gateway_status"], ship["variables"]) == (
        "inspecting",
        "TSC02",
        ["name", "tracking_no"],
    )

    world.listed.set("SHIP_01", "approved", "#{name}님, #{tracking_no}")
    world.listed.remove(CODE)
    later = NOW + timedelta(hours=1)
    second = world.sync(later)
    assert [(c.code, c.before, c.after) for c in second.changes] == [
        ("SHIP_01", "inspecting", "approved"),
        (CODE, "approved", None),
    ]
    assert [t.code for t in second.templates] == ["SHIP_01"]
    assert world.catalog.get(STORE.store_id, TEMPLATE_KIND, CODE) is None
    assert service.listing(world.templates, STORE.store_id)["synced_at"] == later.isoformat()


def test_an_unchanged_template_is_not_written_again() -> None:
    world = World(CODE)
    world.sync()
    before = world.catalog.get(STORE.store_id, TEMPLATE_KIND, CODE)
    assert world.sync(NOW + timedelta(hours=1)).changes == []
    assert world.catalog.get(STORE.store_id, TEMPLATE_KIND, CODE) == before  # changed_at still the first sync


def test_sync_now_refuses_a_store_without_a_gateway() -> None:
    with pytest.raises(Conflict, match="no gateway account"):
        service.sync_now(World().templates, NO_GATEWAY.store_id, NOW)


# ---------------------------------------------------------------- the check at save


def test_a_template_under_review_is_refused_at_save_in_words() -> None:
    world = World()
    world.listed.set(CODE, "inspecting")
    fields = refused_fields(
        lambda: automations.create_automation(world.automations, STORE.store_id, REVIEW, NOW)
    )
    assert fields == [
        ("steps[0].message.template_code", f"template {CODE} is under review (TSC02, 검수 중) at NHN")
    ]
    assert world.catalog.documents(STORE.store_id, AUTOMATION) == []


def test_a_template_approved_a_moment_ago_is_accepted_at_once() -> None:
    world = World()
    world.listed.set(CODE, "inspecting")
    world.sync()  # the list is fresh, and says "under review"
    world.listed.set(CODE, "approved")
    saved = automations.create_automation(
        world.automations, STORE.store_id, REVIEW, NOW + timedelta(minutes=1)
    )
    assert saved["status"] == "active"


def test_a_fresh_list_that_shows_it_approved_is_not_read_again() -> None:
    world = World(CODE)
    automations.create_automation(world.automations, STORE.store_id, REVIEW, NOW)
    reads = world.listed.reads
    automations.create_automation(world.automations, STORE.store_id, REVIEW, NOW + timedelta(minutes=1))
    assert world.listed.reads == reads
    automations.create_automation(world.automations, STORE.store_id, REVIEW, NOW + timedelta(minutes=10))
    assert world.listed.reads == reads + 1  # older than a few minutes: read again


def test_an_unknown_template_and_a_store_without_gateway_are_refused() -> None:
    world = World()
    assert refused_fields(lambda: world.reserved_campaign()) == [
        ("message.template_code", f"template {CODE} is not registered at NHN for this store's sender")
    ]
    deps = world.automations
    fields = refused_fields(lambda: automations.create_automation(deps, NO_GATEWAY.store_id, REVIEW, NOW))
    assert fields[0][0] == "steps[0].message.template_code" and "no gateway account" in fields[0][1]


def test_a_paused_automation_may_wait_for_its_template() -> None:
    world = World()
    world.listed.set(CODE, "inspecting")
    saved = automations.create_automation(
        world.automations, STORE.store_id, {**REVIEW, "status": "paused"}, NOW
    )
    assert saved["status"] == "paused"
    activate = {**REVIEW, "status": "active"}
    update = automations.update_automation
    assert refused_fields(
        lambda: update(world.automations, STORE.store_id, saved["automation_id"], activate, NOW)
    )


def test_a_gateway_that_does_not_answer_leaves_an_approved_template_saveable() -> None:
    world = World(CODE)
    world.sync()
    world.listed.down = True
    later = NOW + timedelta(hours=1)
    automations.create_automation(world.automations, STORE.store_id, REVIEW, later)  # stale, approved: kept
    other = {
        **REVIEW,
        "steps": [{"delay": {"days": 1}, "message": {**REVIEW_MESSAGE, "template_code": "NEW_01"}}],
    }
    fields = refused_fields(
        lambda: automations.create_automation(world.automations, STORE.store_id, other, later)
    )
    unchecked = "template NEW_01 could not be checked: NHN did not answer (timeout: ReadTimeout); try again"
    assert fields == [("steps[0].message.template_code", unchecked)]


# ---------------------------------------------------------------- withdrawn: paused


def test_a_template_rejected_later_pauses_its_automation_and_campaign_with_the_reason() -> None:
    world = World(CODE)
    automation = automations.create_automation(world.automations, STORE.store_id, REVIEW, NOW)
    campaign = world.reserved_campaign()
    world.listed.set(CODE, "rejected")
    result = world.sync(NOW + timedelta(hours=1))
    reason = f"template {CODE} is rejected (TSC04, 반려) at NHN"
    assert sorted((p.kind, p.item_id, p.reason) for p in result.paused) == [
        (AUTOMATION, automation["automation_id"], f"steps[0].message.template_code: {reason}"),
        (CAMPAIGN, campaign["campaign_id"], f"message.template_code: {reason}"),
    ]
    paused = automations.get_automation(world.automations, STORE.store_id, automation["automation_id"])
    assert paused["status"] == "paused" and reason in paused["paused_reason"]
    stored = campaigns.get_campaign(world.campaigns, STORE.store_id, campaign["campaign_id"])
    assert reason in stored["paused_reason"]
    # Its runs do nothing, and "run now" says why.
    model = Campaign.from_document(stored)
    run = run_campaign(model, "o1", [], RecordingQueue(), world.catalog, NOW, STORE.compliance)
    assert run.skipped
    with pytest.raises(Conflict, match="paused"):
        campaigns.run_campaign_now(world.campaigns, STORE.store_id, campaign["campaign_id"], NOW)
    # A second sync pauses nothing more.
    assert world.sync(NOW + timedelta(hours=2)).paused == []


def test_resuming_is_the_marketers_save_once_the_template_is_approved_again() -> None:
    world = World(CODE)
    automation = automations.create_automation(world.automations, STORE.store_id, REVIEW, NOW)
    world.listed.remove(CODE)  # deleted at the gateway
    assert [p.reason for p in world.sync().paused] == [
        f"steps[0].message.template_code: template {CODE} is not registered at NHN for this store's sender"
    ]
    automation_id = automation["automation_id"]
    update = automations.update_automation
    assert refused_fields(lambda: update(world.automations, STORE.store_id, automation_id, REVIEW, NOW))
    world.listed.set(CODE, "approved")
    resumed = update(world.automations, STORE.store_id, automation_id, REVIEW, NOW + timedelta(minutes=1))
    assert resumed["status"] == "active" and "paused_reason" not in resumed
