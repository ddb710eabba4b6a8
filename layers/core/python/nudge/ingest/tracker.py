"""The storefront tracker's batches: visits, page views and dwell time, posted to /collect/{store_id}.

The snippet (docs/tracker.md) sends one batch per page:

    {"write_key": "<the store's public write key>", "visitor_id": "<first-party cookie id>",
     "member_id": "<the store's member id when logged in, else null>",
     "events": [{"id": "<uuid>", "type": "visit", "at": "2026-03-18T10:00:00+09:00"},
                {"id": "<uuid>", "type": "page_view", "path": "/event/dogday", "dwell_seconds": 42}]}
"""

import hmac
from datetime import datetime, timedelta
from typing import Annotated, Literal, TypedDict
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from nudge.errors import Forbidden
from nudge.ingest.platforms.delivery import Delivery, fingerprint, parse_json, validate
from nudge.profiles.events import NormalizedEvent, PageViewed, VisitStarted, delivery_event_id
from nudge.stores import Store

# Browser clocks are not trusted: a time in the future or older than this is replaced by the arrival time.
MAX_CLIENT_CLOCK_SKEW = timedelta(hours=24)
Id = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]


class TrackerEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Id
    type: Literal["visit", "page_view"]
    at: datetime | None = None
    path: Annotated[str, Field(min_length=1, max_length=2048)] | None = None
    dwell_seconds: Annotated[int, Field(ge=0, le=86_400)] = 0


class TrackerBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    write_key: Annotated[str, Field(min_length=1, max_length=128)]
    visitor_id: Id
    member_id: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    events: Annotated[list[TrackerEvent], Field(min_length=1, max_length=50)]


def _path(raw: str) -> str:
    """Only the path counts: query strings carry session ids and campaign noise, never a page identity."""
    path = urlsplit(raw).path or "/"
    return path if path.startswith("/") else "/" + path


def check_write_key(store: Store, write_key: str) -> None:
    expected = store.tracker_write_key
    if not expected or not hmac.compare_digest(expected.encode(), write_key.encode()):
        raise Forbidden("write_key does not match this store's tracker key")


class _Common(TypedDict):
    """What every event of one batch item has (passed with `**` to the event)."""

    event_id: str
    store_id: str
    customer_id: str
    occurred_at: datetime
    source: str


def translate_batch(body: bytes, store: Store, received_at: datetime) -> Delivery:
    batch = validate(TrackerBatch, parse_json(body))
    check_write_key(store, batch.write_key)
    customer_id = batch.member_id or f"anon:{batch.visitor_id}"
    key = f"tracker:{batch.visitor_id}:{fingerprint([e.id for e in batch.events])}"
    events: list[NormalizedEvent] = []
    for index, item in enumerate(batch.events):
        at = item.at.astimezone(received_at.tzinfo) if item.at and item.at.tzinfo else received_at
        if at > received_at or received_at - at > MAX_CLIENT_CLOCK_SKEW:
            at = received_at
        common: _Common = {
            "event_id": delivery_event_id(key, index),
            "store_id": store.store_id,
            "customer_id": customer_id,
            "occurred_at": at,
            "source": "tracker",
        }
        if item.type == "visit":
            events.append(VisitStarted(**common))
        else:
            path = _path(item.path or "/")
            events.append(PageViewed(**common, path=path[:512], dwell_seconds=item.dwell_seconds))
    return Delivery(key=key, customer_id=customer_id, events=events)


def allowed_origin(store: Store, origin: str | None) -> str | None:
    """The origin to echo in Access-Control-Allow-Origin, or None when the store does not allow it."""
    if origin and origin.rstrip("/") in store.allowed_origins:
        return origin.rstrip("/")
    return None
