"""Segments, as the admin API keeps them: saved per store (with a live count preview), validated before
anything is written, so a refused request leaves nothing half-saved."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any, ClassVar, Protocol, Self

from pydantic import BaseModel, ConfigDict

from nudge import ids
from nudge.catalog import document_or_404, read_or_404, unknown
from nudge.errors import Conflict, FieldError, InvalidPayload
from nudge.ports import CAMPAIGN, Catalog, ProfileRepository, StoreDirectory
from nudge.privacy import mask_name, mask_phone
from nudge.profiles.profile import Member
from nudge.segments.evaluate import CompiledSegment, compile_segment
from nudge.segments.language import SegmentInvalid, nesting_problem, parse_segment, segment_json
from nudge.store_settings import get_store
from nudge.stores import Store

SEGMENT = "segment"
PREVIEW_SAMPLE = 5


class SavedSegment(BaseModel):
    """A segment as the catalog keeps it (`_segment_document`); `definition` is the segment language's JSON,
    validated when saved and compiled when used."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    catalog_kind: ClassVar[str] = SEGMENT

    segment_id: str
    name: str
    description: str = ""
    definition: dict[str, Any]
    created_at: str
    updated_at: str

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Self:
        return cls.model_validate(document)


class MemberReader(Protocol):
    """A segment's members now, read over the whole store (a segment's preview, a campaign's)."""

    def members(self, store: Store, segment: CompiledSegment) -> Iterator[str]: ...

    def screened_members(
        self, store: Store, segment: CompiledSegment, consent_channel: str | None, now: datetime
    ) -> Iterator[Member]: ...


@dataclass(frozen=True, slots=True)
class SegmentDependencies:
    stores: StoreDirectory
    catalog: Catalog
    profiles: ProfileRepository
    members: MemberReader


def _segment_problems(error: SegmentInvalid, prefix: str) -> list[FieldError]:
    out = []
    for line in error.errors:
        path, _, message = line.partition(": ")
        out.append(FieldError(f"{prefix}.{path}" if path and path != "segment" else prefix, message or line))
    return out


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


def list_segments(deps: SegmentDependencies, store_id: str) -> list[dict[str, Any]]:
    get_store(deps.stores, store_id)
    return [_readable(document) for document in deps.catalog.documents(store_id, SEGMENT)]


def create_segment(deps: SegmentDependencies, store_id: str, payload: Any, now: datetime) -> dict[str, Any]:
    get_store(deps.stores, store_id)
    requested = payload.get("segment_id") if isinstance(payload, dict) else None
    segment_id = requested or "seg_" + ids.token_hex(6)
    if not isinstance(segment_id, str) or not segment_id.replace("-", "").replace("_", "").isalnum():
        raise InvalidPayload(
            "segment is not valid", [FieldError("segment_id", "letters, digits, - and _ only")]
        )
    document = _segment_document(segment_id, payload, now, None)
    if not deps.catalog.put(store_id, SEGMENT, segment_id, document, create=True):
        raise Conflict("segment exists", [FieldError("segment_id", f"{segment_id!r} already exists")])
    return document


def update_segment(
    deps: SegmentDependencies, store_id: str, segment_id: str, payload: Any, now: datetime
) -> dict[str, Any]:
    current = get_segment(deps, store_id, segment_id)
    document = _segment_document(segment_id, payload, now, current["created_at"])
    if not deps.catalog.put(store_id, SEGMENT, segment_id, document, create=False):
        raise unknown(SavedSegment, segment_id)
    return document


def get_segment(deps: SegmentDependencies, store_id: str, segment_id: str) -> dict[str, Any]:
    get_store(deps.stores, store_id)
    return _readable(document_or_404(deps.catalog, store_id, SavedSegment, segment_id))


def _readable(document: dict[str, Any]) -> dict[str, Any]:
    """A saved segment as the admin API answers it. One saved before groups' nesting was limited
    (MAX_GROUP_DEPTH) comes without its definition, which no answer, preview or campaign can use (past 255
    levels the answer itself would fail), and with the problem named: a read never fails on what was saved,
    and the segment can be replaced (PUT) or deleted."""
    problem = nesting_problem(document.get("definition"))
    if problem is None:
        return document
    path, _, message = problem.partition(": ")
    saved_before = f"{message} (saved before that limit: replace the definition or delete the segment)"
    problems = [FieldError(f"definition.{path}", saved_before).as_dict()]
    return {**document, "definition": None, "problems": problems}


def delete_segment(deps: SegmentDependencies, store_id: str, segment_id: str) -> None:
    get_store(deps.stores, store_id)
    using = [
        c["campaign_id"] for c in deps.catalog.documents(store_id, CAMPAIGN) if c["segment_id"] == segment_id
    ]
    if using:
        raise Conflict("segment is in use", [FieldError("segment_id", f"used by campaigns {using}")])
    if not deps.catalog.delete(store_id, SEGMENT, segment_id):
        raise unknown(SavedSegment, segment_id)


def preview(deps: SegmentDependencies, store_id: str, definition: Any, now: datetime) -> dict[str, Any]:
    """How many customers are in the segment now, and a few of them with personal data masked."""
    store = get_store(deps.stores, store_id)
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


def preview_saved(deps: SegmentDependencies, store_id: str, segment_id: str, now: datetime) -> dict[str, Any]:
    """A saved segment's preview."""
    get_store(deps.stores, store_id)
    segment = read_or_404(deps.catalog, store_id, SavedSegment, segment_id)
    return preview(deps, store_id, segment.definition, now)
