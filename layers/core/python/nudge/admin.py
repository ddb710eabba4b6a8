"""What the admin API does for a store's marketer and engineer: store settings, segments (with a live
count preview), campaigns (saved, scheduled, run). Each operation validates everything before it writes
anything, so a refused request leaves nothing half-saved."""

import json
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any, Protocol

from pydantic import ValidationError

from nudge.campaigns.definitions import (
    Campaign,
    Immediate,
    new_campaign_id,
    runs_on,
    schedule_of,
    validate_campaign,
)
from nudge.errors import Conflict, FieldError, InvalidPayload, NotFound, field_errors
from nudge.ports import ProfileRepository, StoreDirectory
from nudge.privacy import mask_name, mask_phone
from nudge.profiles.profile import Member, Profile
from nudge.segments.evaluate import CompiledSegment, compile_segment
from nudge.segments.language import SegmentInvalid, parse_segment, segment_json
from nudge.stores import Store

SEGMENT = "segment"
CAMPAIGN = "campaign"
PREVIEW_SAMPLE = 5


class Catalog(Protocol):
    def put(
        self, store_id: str, kind: str, item_id: str, document: dict[str, Any], *, create: bool
    ) -> bool: ...

    def get(self, store_id: str, kind: str, item_id: str) -> dict[str, Any] | None: ...

    def documents(self, store_id: str, kind: str) -> list[dict[str, Any]]: ...

    def delete(self, store_id: str, kind: str, item_id: str) -> bool: ...

    def runs(self, store_id: str, campaign_id: str) -> list[dict[str, Any]]: ...


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


class StoreSettings(StoreDirectory, Protocol):
    def put(self, store: Store) -> None: ...


class MemberReader(Protocol):
    def members(self, store: Store, segment: CompiledSegment) -> Iterator[str]: ...

    def screened_members(
        self, store: Store, segment: CompiledSegment, consent_channel: str | None, now: datetime
    ) -> Iterator[Member]: ...


@dataclass(frozen=True, slots=True)
class AdminDependencies:
    stores: StoreSettings
    catalog: Catalog
    profiles: ProfileRepository
    members: MemberReader
    scheduler: Scheduler
    run_requests: RunRequests


def _segment_problems(error: SegmentInvalid, prefix: str) -> list[FieldError]:
    out = []
    for line in error.errors:
        path, _, message = line.partition(": ")
        out.append(FieldError(f"{prefix}.{path}" if path and path != "segment" else prefix, message or line))
    return out


# ---------------------------------------------------------------- stores


def put_store(deps: AdminDependencies, store_id: str, payload: Any) -> Store:
    data = {**payload, "store_id": store_id} if isinstance(payload, dict) else payload
    try:
        store = Store.model_validate(data)
    except ValidationError as exc:
        raise InvalidPayload("store settings are not valid", field_errors(exc)) from exc
    deps.stores.put(store)
    return store


def get_store(deps: AdminDependencies, store_id: str) -> Store:
    store = deps.stores.get(store_id)
    if store is None:
        raise NotFound(f"unknown store {store_id!r}")
    return store


# ---------------------------------------------------------------- segments


def _segment_document(segment_id: str, payload: Any, now: datetime, created_at: str | None) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidPayload("body must be a JSON object", [FieldError("body", "expected an object")])
    name = payload.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        raise InvalidPayload(
            "segment is not valid", [FieldError("name", "a name of 1-100 characters is required")]
        )
    try:
        segment = parse_segment(payload.get("definition", {}))
    except SegmentInvalid as exc:
        raise InvalidPayload("segment is not valid", _segment_problems(exc, "definition")) from exc
    return {
        "segment_id": segment_id,
        "name": name,
        "description": str(payload.get("description") or ""),
        "definition": segment_json(segment),
        "created_at": created_at or now.isoformat(),
        "updated_at": now.isoformat(),
    }


def create_segment(deps: AdminDependencies, store_id: str, payload: Any, now: datetime) -> dict[str, Any]:
    get_store(deps, store_id)
    requested = payload.get("segment_id") if isinstance(payload, dict) else None
    segment_id = requested or "seg_" + secrets.token_hex(6)
    if not isinstance(segment_id, str) or not segment_id.replace("-", "").replace("_", "").isalnum():
        raise InvalidPayload(
            "segment is not valid", [FieldError("segment_id", "letters, digits, - and _ only")]
        )
    document = _segment_document(segment_id, payload, now, None)
    if not deps.catalog.put(store_id, SEGMENT, segment_id, document, create=True):
        raise Conflict("segment exists", [FieldError("segment_id", f"{segment_id!r} already exists")])
    return document


def update_segment(
    deps: AdminDependencies, store_id: str, segment_id: str, payload: Any, now: datetime
) -> dict[str, Any]:
    current = get_segment(deps, store_id, segment_id)
    document = _segment_document(segment_id, payload, now, current["created_at"])
    if not deps.catalog.put(store_id, SEGMENT, segment_id, document, create=False):
        raise NotFound(f"unknown segment {segment_id!r}")
    return document


def get_segment(deps: AdminDependencies, store_id: str, segment_id: str) -> dict[str, Any]:
    get_store(deps, store_id)
    document = deps.catalog.get(store_id, SEGMENT, segment_id)
    if document is None:
        raise NotFound(f"unknown segment {segment_id!r}")
    return document


def delete_segment(deps: AdminDependencies, store_id: str, segment_id: str) -> None:
    get_store(deps, store_id)
    using = [
        c["campaign_id"] for c in deps.catalog.documents(store_id, CAMPAIGN) if c["segment_id"] == segment_id
    ]
    if using:
        raise Conflict("segment is in use", [FieldError("segment_id", f"used by campaigns {using}")])
    if not deps.catalog.delete(store_id, SEGMENT, segment_id):
        raise NotFound(f"unknown segment {segment_id!r}")


def preview(deps: AdminDependencies, store_id: str, definition: Any, now: datetime) -> dict[str, Any]:
    """How many customers are in the segment now, and a few of them with personal data masked."""
    store = get_store(deps, store_id)
    try:
        compiled = compile_segment(definition, store.zone, now)
    except SegmentInvalid as exc:
        raise InvalidPayload("segment is not valid", _segment_problems(exc, "definition")) from exc
    members = list(deps.members.members(store, compiled))
    sample = []
    for customer_id in islice(members, PREVIEW_SAMPLE):
        profile = deps.profiles.load(store_id, customer_id)
        sample.append(
            {
                "customer_id": customer_id,
                "phone": mask_phone(profile.phone if profile else None),
                "name": mask_name(profile.name if profile else None),
            }
        )
    return {"count": len(members), "sample": sample, "evaluated_at": now.isoformat()}


# ---------------------------------------------------------------- campaigns


def _campaign_document(campaign: Campaign, definition: dict[str, Any]) -> dict[str, Any]:
    return {
        "campaign_id": campaign.campaign_id,
        "store_id": campaign.store_id,
        "name": campaign.name,
        "segment_id": campaign.segment_id,
        "message": definition["message"],
        "send": campaign.send.model_dump(mode="json"),
        "tracking": campaign.tracking.model_dump(mode="json", exclude_none=True),
        "created_at": campaign.created_at.isoformat(),
        "updated_at": campaign.updated_at.isoformat(),
    }


def load_campaign(document: dict[str, Any]) -> Campaign:
    return Campaign.model_validate({k: v for k, v in document.items() if k != "runs"})


def run_request(campaign: Campaign, occurrence: str) -> dict[str, str]:
    """What the campaign-runs queue carries (from the admin API, or from the schedule)."""
    return {"store_id": campaign.store_id, "campaign_id": campaign.campaign_id, "occurrence": occurrence}


def _schedule(deps: AdminDependencies, campaign: Campaign, store: Store, now: datetime) -> None:
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


def create_campaign(deps: AdminDependencies, store_id: str, payload: Any, now: datetime) -> dict[str, Any]:
    store = get_store(deps, store_id)
    campaign_id = new_campaign_id()
    campaign = validate_campaign(
        payload, store, lambda s: deps.catalog.get(store_id, SEGMENT, s) is not None, now, campaign_id
    )
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
    deps: AdminDependencies, store_id: str, campaign_id: str, payload: Any, now: datetime
) -> dict[str, Any]:
    store = get_store(deps, store_id)
    current = get_campaign(deps, store_id, campaign_id)
    campaign = validate_campaign(
        payload,
        store,
        lambda s: deps.catalog.get(store_id, SEGMENT, s) is not None,
        now,
        campaign_id,
        created_at=datetime.fromisoformat(current["created_at"]),
    )
    old = load_campaign(current)
    if (old_spec := schedule_of(old, store)) is not None and schedule_of(campaign, store) is None:
        deps.scheduler.delete(old_spec.name)
    _schedule(deps, campaign, store, now)
    document = _campaign_document(campaign, payload)
    deps.catalog.put(store_id, CAMPAIGN, campaign_id, document, create=False)
    return document


def get_campaign(deps: AdminDependencies, store_id: str, campaign_id: str) -> dict[str, Any]:
    get_store(deps, store_id)
    document = deps.catalog.get(store_id, CAMPAIGN, campaign_id)
    if document is None:
        raise NotFound(f"unknown campaign {campaign_id!r}")
    return {**document, "runs": deps.catalog.runs(store_id, campaign_id)}


def delete_campaign(deps: AdminDependencies, store_id: str, campaign_id: str) -> None:
    store = get_store(deps, store_id)
    document = get_campaign(deps, store_id, campaign_id)
    if (spec := schedule_of(load_campaign(document), store)) is not None:
        deps.scheduler.delete(spec.name)
    deps.catalog.delete(store_id, CAMPAIGN, campaign_id)


def run_campaign_now(
    deps: AdminDependencies, store_id: str, campaign_id: str, now: datetime
) -> dict[str, str]:
    campaign = load_campaign(get_campaign(deps, store_id, campaign_id))
    request = run_request(campaign, f"now-{now:%Y%m%dT%H%M%S}-{campaign_id}")
    deps.run_requests.send([_json(request)])
    return request


def preview_campaign(
    deps: AdminDependencies, store_id: str, campaign_id: str, now: datetime
) -> dict[str, Any]:
    """What a run now would do: the segment's members, those it would leave out on their consent or
    channel friendship (by reason, as the run record counts them) and how many send jobs it would queue —
    none on a day outside a recurring campaign's dates. The sender still decides each queued send (night
    hours, frequency, a consent changed meanwhile)."""
    from compliance.decision import screened_channel
    from nudge.campaigns.runs import audience

    store = get_store(deps, store_id)
    campaign = load_campaign(get_campaign(deps, store_id, campaign_id))
    segment = deps.catalog.get(store_id, SEGMENT, campaign.segment_id)
    if segment is None:
        raise NotFound(f"campaign {campaign_id!r} uses segment {campaign.segment_id!r}, which is gone")
    compiled = compile_segment(segment["definition"], store.zone, now)
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


# ---------------------------------------------------------------- automations


def create_automation(deps: AdminDependencies, store_id: str, payload: Any, now: datetime) -> dict[str, Any]:
    """Validate and save an automation; it starts journeys with the next matching event."""
    from nudge.automations.definitions import AUTOMATION, new_automation_id, validate_automation

    store = get_store(deps, store_id)
    automation_id = new_automation_id()
    _, document = validate_automation(payload, store, now, automation_id)
    deps.catalog.put(store_id, AUTOMATION, automation_id, document, create=True)
    return document


def get_automation(deps: AdminDependencies, store_id: str, automation_id: str) -> dict[str, Any]:
    from nudge.automations.definitions import AUTOMATION

    get_store(deps, store_id)
    document = deps.catalog.get(store_id, AUTOMATION, automation_id)
    if document is None:
        raise NotFound(f"unknown automation {automation_id!r}")
    return document


def update_automation(
    deps: AdminDependencies, store_id: str, automation_id: str, payload: Any, now: datetime
) -> dict[str, Any]:
    """Replace an automation (re-validated). Steps already due fire with the new definition, checked then;
    `"status": "paused"` stops them all."""
    from nudge.automations.definitions import AUTOMATION, validate_automation

    store = get_store(deps, store_id)
    current = get_automation(deps, store_id, automation_id)
    created_at = datetime.fromisoformat(current["created_at"])
    _, document = validate_automation(payload, store, now, automation_id, created_at)
    if not deps.catalog.put(store_id, AUTOMATION, automation_id, document, create=False):
        raise NotFound(f"unknown automation {automation_id!r}")
    return document


def delete_automation(deps: AdminDependencies, store_id: str, automation_id: str) -> None:
    """Delete an automation: its due steps stop when their slots fire (no schedule needs deleting)."""
    from nudge.automations.definitions import AUTOMATION

    get_store(deps, store_id)
    if not deps.catalog.delete(store_id, AUTOMATION, automation_id):
        raise NotFound(f"unknown automation {automation_id!r}")


def automation_templates(deps: AdminDependencies, store_id: str) -> dict[str, dict[str, Any]]:
    """The ready-made automations, written for this store with their default parameters."""
    from nudge.automations.templates import TEMPLATES, template_definition

    store = get_store(deps, store_id)
    return {name: template_definition(name, store, {}) for name in TEMPLATES}


def install_automation_template(
    deps: AdminDependencies, store_id: str, template: str, payload: Any, now: datetime
) -> dict[str, Any]:
    """Create an automation from a ready-made one; `params` adjust it, `status` may start it paused."""
    from nudge.automations.templates import TEMPLATES, template_definition

    store = get_store(deps, store_id)
    if template not in TEMPLATES:
        raise NotFound(f"unknown automation template {template!r}; one of {sorted(TEMPLATES)}")
    body = payload if isinstance(payload, dict) else {}
    unknown = sorted(set(body) - {"params", "status"})
    if unknown:
        raise InvalidPayload("request is not valid", [FieldError(k, "unknown field") for k in unknown])
    definition = template_definition(template, store, body.get("params"))
    if "status" in body:
        definition["status"] = body["status"]
    return create_automation(deps, store_id, definition, now)


def learn_repurchase_cycles(
    deps: AdminDependencies, store_id: str, profiles: Iterable[Profile], now: datetime
) -> dict[str, Any]:
    """Learn the store's repurchase cycles from its order history and keep them for the automations."""
    from nudge.automations.definitions import REPURCHASE_CYCLES, cycles_document
    from nudge.segments.repurchase import learn_cycles, purchases

    get_store(deps, store_id)
    document = cycles_document(learn_cycles(purchases(profiles)), now)
    if not deps.catalog.put(store_id, REPURCHASE_CYCLES, "learned", document, create=False):
        deps.catalog.put(store_id, REPURCHASE_CYCLES, "learned", document, create=True)
    return document


# ---------------------------------------------------------------- why was this sent / not sent


def why(
    deps: AdminDependencies, store_id: str, customer_id: str, records: Iterable[Any], now: datetime
) -> dict[str, Any]:
    """The decision chain for one customer (nudge.reports.why): every message decided about, and every
    campaign that ran without one."""
    from nudge.automations.definitions import AUTOMATION
    from nudge.campaigns.runs import left_out_reason
    from nudge.reports.why import Source, explain

    store = get_store(deps, store_id)
    profile = deps.profiles.load(store_id, customer_id)
    sources: dict[str, Source] = {}
    for document in deps.catalog.documents(store_id, CAMPAIGN):
        campaign_id = document["campaign_id"]
        runs = deps.catalog.runs(store_id, campaign_id)
        screened = [r for r in runs if r.get("left_out")]
        left_out = None
        if profile is not None and screened:
            last = max(datetime.fromisoformat(r["started_at"]) for r in screened)
            left_out = left_out_reason(load_campaign(document), profile, last, store.compliance)
        last_run = max((datetime.fromisoformat(r["started_at"]) for r in runs), default=None)
        sources[f"campaign:{campaign_id}"] = Source(
            f"campaign:{campaign_id}",
            document["name"],
            document.get("segment_id"),
            bool(runs),
            left_out,
            last_run,
        )
    for document in deps.catalog.documents(store_id, AUTOMATION):
        source = f"automation:{document['automation_id']}"
        sources[source] = Source(source, document["name"], steps=len(document.get("steps") or ()))

    def in_segment_now(segment_id: str) -> bool:
        document = deps.catalog.get(store_id, SEGMENT, segment_id)
        if profile is None or document is None:
            return False
        return compile_segment(document["definition"], store.zone, now).matches(profile)

    return explain(profile, customer_id, records, sources, in_segment_now)
