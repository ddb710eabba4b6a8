"""Campaigns, as the admin API keeps them: saved per store, scheduled (reserved or recurring) or started
now, previewed. Each operation validates everything before it writes anything, so a refused request leaves
nothing half-saved. The campaign function reads what is saved here (`Campaign.from_document`) to run it."""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from nudge.alimtalk.service import Paused, ProblemOf, TemplateDependencies, save_problems, template_fields
from nudge.campaigns.definitions import (
    Campaign,
    Immediate,
    new_campaign_id,
    runs_on,
    schedule_of,
    still_to_run,
    validate_campaign,
)
from nudge.catalog import document_or_404, exists, read, read_or_404
from nudge.errors import Conflict, InvalidPayload, NotFound
from nudge.images import ImageStore
from nudge.images.service import stamped
from nudge.ports import CAMPAIGN, Catalog, StoreDirectory
from nudge.segments.evaluate import compile_segment
from nudge.segments.service import MemberReader, SavedSegment
from nudge.store_settings import get_store
from nudge.stores import Store


class Scheduler(Protocol):
    def put(
        self,
        name: str,
        expression: str,
        timezone: str,
        payload: dict[str, Any],
        *,
        one_time: bool,
        start: datetime | None = None,
        end: datetime | None = None,
        now: datetime | None = None,
    ) -> bool: ...

    def delete(self, name: str) -> None: ...


class RunRequests(Protocol):
    def send(self, bodies: list[str]) -> None: ...


@dataclass(frozen=True, slots=True)
class CampaignDependencies:
    stores: StoreDirectory
    catalog: Catalog
    members: MemberReader
    scheduler: Scheduler
    run_requests: RunRequests
    templates: TemplateDependencies  # an AlimTalk campaign's template must be approved at the gateway
    images: ImageStore | None = None  # the images a message names must be the store's (none: no image)


def _campaign_document(campaign: Campaign, definition: dict[str, Any]) -> dict[str, Any]:
    return {
        "campaign_id": campaign.campaign_id,
        "store_id": campaign.store_id,
        "name": campaign.name,
        "segment_id": campaign.segment_id,
        "message": stamped(definition["message"], campaign.message.mms_image),  # as validated, + mms_image
        "send": campaign.send.model_dump(mode="json"),
        "tracking": campaign.tracking.model_dump(mode="json", exclude_none=True),
        "created_at": campaign.created_at.isoformat(),
        "updated_at": campaign.updated_at.isoformat(),
    }


def _check_template(deps: CampaignDependencies, campaign: Campaign, store: Store, now: datetime) -> None:
    """An AlimTalk campaign is saved only with a template its store's gateway has approved."""
    problems = save_problems(deps.templates, store, template_fields([("message", campaign.message)]), now)
    if problems:
        raise InvalidPayload("campaign is not valid", problems)


def pause_for_templates(catalog: Catalog, store: Store, problem_of: ProblemOf, now: datetime) -> list[Paused]:
    """Pause each campaign still to run whose AlimTalk template may no longer be sent (`problem_of` says
    why): its runs do nothing, the reason is on its document, until the marketer saves it again."""
    out = []
    for document in catalog.documents(store.store_id, CAMPAIGN):
        campaign = Campaign.from_document(document)
        code = campaign.message.template_code
        if campaign.paused_reason or campaign.message.channel != "alimtalk" or not code:
            continue
        if not still_to_run(campaign, now, store.zone) or (reason := problem_of(code)) is None:
            continue
        paused = {**document, "paused_reason": f"message.template_code: {reason}"}
        paused["paused_at"] = now.isoformat()
        if catalog.put(store.store_id, CAMPAIGN, campaign.campaign_id, paused, create=False):
            out.append(Paused(CAMPAIGN, campaign.campaign_id, campaign.name, paused["paused_reason"]))
    return out


def run_request(campaign: Campaign, occurrence: str) -> dict[str, str]:
    """What the campaign-runs queue carries (from the admin API, or from the schedule)."""
    return {"store_id": campaign.store_id, "campaign_id": campaign.campaign_id, "occurrence": occurrence}


def _schedule(deps: CampaignDependencies, campaign: Campaign, store: Store, now: datetime) -> None:
    spec = schedule_of(campaign, store)
    if spec is None:
        return
    # The schedule's own instant names the occurrence, the same on every retry of one firing.
    payload = {**run_request(campaign, "<aws.scheduler.scheduled-time>")}
    deps.scheduler.put(
        spec.name,
        spec.expression,
        spec.timezone,
        payload,
        one_time=spec.one_time,
        start=spec.start,
        end=spec.end,
        now=now,
    )


def list_campaigns(deps: CampaignDependencies, store_id: str) -> list[dict[str, Any]]:
    get_store(deps.stores, store_id)
    return deps.catalog.documents(store_id, CAMPAIGN)


def create_campaign(deps: CampaignDependencies, store_id: str, payload: Any, now: datetime) -> dict[str, Any]:
    store = get_store(deps.stores, store_id)
    campaign_id = new_campaign_id()
    campaign = validate_campaign(
        payload,
        store,
        lambda s: exists(deps.catalog, store_id, SavedSegment, s),
        now,
        campaign_id,
        images=deps.images,
    )
    _check_template(deps, campaign, store, now)
    document = _campaign_document(campaign, payload)
    _schedule(deps, campaign, store, now)
    try:
        deps.catalog.put(store_id, CAMPAIGN, campaign_id, document, create=True)
        if isinstance(campaign.send, Immediate):
            deps.run_requests.send([_json(run_request(campaign, f"now-{now:%Y%m%dT%H%M%S}-{campaign_id}"))])
    except Exception:
        # Nothing half-saved: a campaign that cannot be stored (or started) leaves no schedule or document.
        if (spec := schedule_of(campaign, store)) is not None:
            deps.scheduler.delete(spec.name)
        deps.catalog.delete(store_id, CAMPAIGN, campaign_id)
        raise
    return document


def update_campaign(
    deps: CampaignDependencies, store_id: str, campaign_id: str, payload: Any, now: datetime
) -> dict[str, Any]:
    store = get_store(deps.stores, store_id)
    old = read_or_404(deps.catalog, store_id, Campaign, campaign_id)
    campaign = validate_campaign(
        payload,
        store,
        lambda s: exists(deps.catalog, store_id, SavedSegment, s),
        now,
        campaign_id,
        created_at=old.created_at,
        images=deps.images,
    )
    _check_template(deps, campaign, store, now)  # saved again: no longer paused (`pause_for_templates`)
    if (old_spec := schedule_of(old, store)) is not None and schedule_of(campaign, store) is None:
        deps.scheduler.delete(old_spec.name)
    _schedule(deps, campaign, store, now)
    document = _campaign_document(campaign, payload)
    deps.catalog.put(store_id, CAMPAIGN, campaign_id, document, create=False)
    return document


def get_campaign(deps: CampaignDependencies, store_id: str, campaign_id: str) -> dict[str, Any]:
    get_store(deps.stores, store_id)
    document = document_or_404(deps.catalog, store_id, Campaign, campaign_id)
    return {**document, "runs": deps.catalog.runs(store_id, campaign_id)}


def delete_campaign(deps: CampaignDependencies, store_id: str, campaign_id: str) -> None:
    store = get_store(deps.stores, store_id)
    campaign = read_or_404(deps.catalog, store_id, Campaign, campaign_id)
    if (spec := schedule_of(campaign, store)) is not None:
        deps.scheduler.delete(spec.name)
    deps.catalog.delete(store_id, CAMPAIGN, campaign_id)


def run_campaign_now(
    deps: CampaignDependencies, store_id: str, campaign_id: str, now: datetime
) -> dict[str, str]:
    get_store(deps.stores, store_id)
    campaign = read_or_404(deps.catalog, store_id, Campaign, campaign_id)
    if campaign.paused_reason:
        reason = campaign.paused_reason
        raise Conflict(f"campaign {campaign_id!r} is paused ({reason}); save it again to resume")
    request = run_request(campaign, f"now-{now:%Y%m%dT%H%M%S}-{campaign_id}")
    deps.run_requests.send([_json(request)])
    return request


def preview_campaign(
    deps: CampaignDependencies, store_id: str, campaign_id: str, now: datetime
) -> dict[str, Any]:
    """What a run now would do: the segment's members, those it would leave out on their consent or
    channel friendship (by reason, as the run record counts them) and how many send jobs it would queue —
    none on a day outside a recurring campaign's dates. The sender still decides each queued send (night
    hours, frequency, a consent changed meanwhile)."""
    from compliance.decision import screened_channel
    from nudge.campaigns.runs import audience

    store = get_store(deps.stores, store_id)
    campaign = read_or_404(deps.catalog, store_id, Campaign, campaign_id)
    segment = read(deps.catalog, store_id, SavedSegment, campaign.segment_id)
    if segment is None:
        raise NotFound(f"campaign {campaign_id!r} uses segment {campaign.segment_id!r}, which is gone")
    compiled = compile_segment(segment.definition, store.zone, now)
    members = deps.members.screened_members(store, compiled, screened_channel(campaign.message), now)
    reached = audience(campaign.message, members, store.compliance, now)
    within_dates = runs_on(campaign, now.astimezone(store.zone).date())  # a run outside them does nothing
    return {
        "campaign_id": campaign_id,
        "segment_members": reached.members,
        "left_out": reached.left_out,
        "would_queue": reached.queued if within_dates else 0,
        "within_dates": within_dates,
        "evaluated_at": now.isoformat(),
    }


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False)
