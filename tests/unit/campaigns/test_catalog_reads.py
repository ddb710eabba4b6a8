"""One reader of the catalog (nudge.catalog): an area asks for a model, a missing item is one NotFound in the
same words in every area, the admin API answers the documents as saved, and a saved document that no longer
validates is a fault (a server error), never a 404."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from nudge import catalog
from nudge.automations import service as automations
from nudge.automations.definitions import Automation
from nudge.campaigns import service as campaigns
from nudge.campaigns.definitions import Campaign
from nudge.errors import NotFound
from nudge.ports import AUTOMATION, CAMPAIGN
from nudge.segments import service as segments
from nudge.segments.service import SEGMENT, SavedSegment
from nudge.sending.jobs import SendJob
from nudge.sending.reasons import NudgeReason
from nudge.sending.service import SourceGone, load_source
from nudge_local.runtime.stores import DOGDAY
from tests.fakes import (
    InMemoryCatalog,
    InMemoryMembers,
    InMemoryProfiles,
    InMemoryStores,
    RecordingRunRequests,
    RecordingSchedules,
)
from tests.fakes.alimtalk import template_dependencies

KST = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 3, 18, 9, 0, tzinfo=KST)
STORE = DOGDAY.store.store_id
MESSAGE = {"message_class": "informational", "channel": "sms", "content": "주문하신 상품이 발송되었습니다."}
TODAY = {"include": [{"field": "traffic.last_visit", "within_days": 0}]}
SEGMENT_BODY = {"segment_id": "s1", "name": "오늘 방문", "definition": TODAY}


class Admin:
    """The segment, campaign and automation services on one in-memory store."""

    def __init__(self) -> None:
        self.catalog = InMemoryCatalog()
        profiles = InMemoryProfiles()
        stores = InMemoryStores([DOGDAY.store])
        members = InMemoryMembers(profiles)
        self.segments = segments.SegmentDependencies(stores, self.catalog, profiles, members)
        templates = template_dependencies(stores, self.catalog)
        self.campaigns = campaigns.CampaignDependencies(
            stores, self.catalog, members, RecordingSchedules(), RecordingRunRequests(), templates
        )
        self.automations = automations.AutomationSetupDependencies(stores, self.catalog, profiles, templates)

    def campaign(self) -> str:
        segments.create_segment(self.segments, STORE, SEGMENT_BODY, NOW)
        send = {"mode": "reserved", "at": (NOW + timedelta(hours=2)).isoformat()}
        body = {"name": "발송 안내", "segment_id": "s1", "message": MESSAGE, "send": send}
        return str(campaigns.create_campaign(self.campaigns, STORE, body, NOW)["campaign_id"])


def test_each_model_names_its_kind() -> None:
    kinds = [m.catalog_kind for m in (SavedSegment, Campaign, Automation)]
    assert kinds == [SEGMENT, CAMPAIGN, AUTOMATION]


@pytest.mark.parametrize(
    ("kind", "call"),
    [
        (SEGMENT, lambda a: segments.get_segment(a.segments, STORE, "nope")),
        (SEGMENT, lambda a: segments.preview_saved(a.segments, STORE, "nope", NOW)),
        (SEGMENT, lambda a: segments.update_segment(a.segments, STORE, "nope", SEGMENT_BODY, NOW)),
        (SEGMENT, lambda a: segments.delete_segment(a.segments, STORE, "nope")),
        (CAMPAIGN, lambda a: campaigns.get_campaign(a.campaigns, STORE, "nope")),
        (CAMPAIGN, lambda a: campaigns.update_campaign(a.campaigns, STORE, "nope", {}, NOW)),
        (CAMPAIGN, lambda a: campaigns.delete_campaign(a.campaigns, STORE, "nope")),
        (CAMPAIGN, lambda a: campaigns.run_campaign_now(a.campaigns, STORE, "nope", NOW)),
        (CAMPAIGN, lambda a: campaigns.preview_campaign(a.campaigns, STORE, "nope", NOW)),
        (AUTOMATION, lambda a: automations.get_automation(a.automations, STORE, "nope")),
        (AUTOMATION, lambda a: automations.update_automation(a.automations, STORE, "nope", {}, NOW)),
        (AUTOMATION, lambda a: automations.delete_automation(a.automations, STORE, "nope")),
    ],
)
def test_a_missing_item_is_the_same_404_in_every_area(kind: str, call: Callable[[Admin], Any]) -> None:
    with pytest.raises(NotFound) as refused:
        call(Admin())
    assert refused.value.message == f"unknown {kind} 'nope'"


def test_the_admin_api_answers_the_documents_as_saved() -> None:
    admin = Admin()
    campaign_id = admin.campaign()
    saved = admin.catalog.items[(STORE, CAMPAIGN, campaign_id)]
    assert campaigns.get_campaign(admin.campaigns, STORE, campaign_id) == {**saved, "runs": []}
    assert segments.get_segment(admin.segments, STORE, "s1") == admin.catalog.items[(STORE, SEGMENT, "s1")]
    read = catalog.read_or_404(admin.catalog, STORE, Campaign, campaign_id)
    assert (read.campaign_id, read.segment_id) == (campaign_id, "s1")
    assert catalog.read(admin.catalog, STORE, SavedSegment, "s1") == SavedSegment.from_document(
        admin.catalog.items[(STORE, SEGMENT, "s1")]
    )
    assert catalog.read(admin.catalog, STORE, Campaign, "nope") is None


def test_a_saved_document_that_no_longer_validates_is_a_fault_not_a_404() -> None:
    admin = Admin()
    campaign_id = admin.campaign()
    admin.catalog.items[(STORE, CAMPAIGN, campaign_id)]["message"] = {"channel": "pigeon"}
    # Read back as it is: the admin API shows what is stored, so it can be seen and replaced.
    assert campaigns.get_campaign(admin.campaigns, STORE, campaign_id)["message"] == {"channel": "pigeon"}
    with pytest.raises(ValidationError):
        campaigns.run_campaign_now(admin.campaigns, STORE, campaign_id, NOW)
    with pytest.raises(ValidationError):
        catalog.read(admin.catalog, STORE, Campaign, campaign_id)


def _job(source: str, step: int | None = None) -> SendJob:
    return SendJob(store_id=STORE, source=source, occurrence="o1", customer_id="c1", queued_at=NOW, step=step)


def _gone(found: InMemoryCatalog, job: SendJob) -> NudgeReason:
    with pytest.raises(SourceGone) as gone:
        load_source(found, job)
    return gone.value.reason


def test_the_sender_reads_only_the_message_and_tracking_of_what_a_job_names() -> None:
    found = InMemoryCatalog()
    found.items[(STORE, CAMPAIGN, "c1")] = {"message": MESSAGE, "tracking": None}  # no more is read
    assert load_source(found, _job("campaign:c1")).message.content == MESSAGE["content"]
    broken, sound = {"message": {"channel": "pigeon"}}, {"message": MESSAGE}
    found.items[(STORE, AUTOMATION, "a1")] = {"status": "paused", "steps": [broken]}
    assert _gone(found, _job("automation:a1", 0)) is NudgeReason.SOURCE_PAUSED  # paused, whatever its steps
    found.items[(STORE, AUTOMATION, "a1")] = {"status": "active", "steps": [broken, sound]}
    assert _gone(found, _job("automation:a1", 0)) is NudgeReason.SOURCE_INVALID
    assert load_source(found, _job("automation:a1", 1)).message.content == MESSAGE["content"]
    assert _gone(found, _job("automation:a1", 2)) is NudgeReason.STEP_MISSING
    assert _gone(found, _job("automation:gone", 0)) is NudgeReason.SOURCE_DELETED
