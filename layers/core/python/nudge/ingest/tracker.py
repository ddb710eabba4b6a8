"""The storefront tracker's batches: visits, page views and dwell time, posted to /collect/{store_id}.

The snippet (tracker/nudge-tracker.js, docs/webhooks.md) sends one batch per page:

    {"write_key": "<the store's public write key>", "visitor_id": "<first-party id in localStorage>",
     "member_id": "<the store's member id when logged in, else null>",
     "member_token": "<the store's token vouching for that member id (nudge.ingest.identity), else null>",
     "events": [{"id": "<uuid>", "type": "visit", "at": "2026-03-18T10:00:00+09:00"},
                {"id": "<uuid>", "type": "page_view", "path": "/product/detail.html", "dwell_seconds": 42,
                 "product_id": "<the product this page shows, when the page declares one>"}]}

The route is public, so nothing a batch says is believed without a reason:
- the member id only with the store's member token; otherwise the visit is the anonymous visitor's
  (`anon:{visitor_id}`), and the answer's `not_kept` says why;
- a batch is at most MAX_BATCH_BYTES, MAX_EVENTS_PER_BATCH events; a path keeps MAX_PATH_LENGTH characters;
- one profile (a visitor, or a member on all their devices) takes at most TRACKER_BATCHES_PER_HOUR batches
  an hour, counted on the profile itself; a store gets at most NEW_VISITORS_PER_HOUR new anonymous
  profiles an hour (a counter of its own), and each lives ANONYMOUS_PROFILE_TTL after its last batch. Past
  either limit the answer is 429 and nothing is written. API Gateway throttles the route as a whole
  (template.yaml); the profile's size budget (nudge.profiles.budget) bounds whatever gets through.
"""

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Literal, Protocol, TypedDict
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from nudge.errors import FieldError, Forbidden, PayloadTooLarge, TooManyRequests
from nudge.http import read_json
from nudge.ingest.identity import MAX_TOKEN_LENGTH, token_problem
from nudge.ingest.platforms.delivery import Delivery, fingerprint, validate
from nudge.profiles.events import NormalizedEvent, PageViewed, VisitStarted, delivery_event_id
from nudge.profiles.profile import MAX_PATH_LENGTH, PAGE_VIEW_HISTORY_DAYS, Profile
from nudge.stores import Store

# Browser clocks are not trusted: a time in the future or older than this is replaced by the arrival time.
MAX_CLIENT_CLOCK_SKEW = timedelta(hours=24)
# The snippet sends one batch of one or two events per page, well under a kilobyte.
MAX_BATCH_BYTES = 16 * 1024
MAX_EVENTS_PER_BATCH = 20
# Per profile: a page every 30 seconds for an hour. A person browsing never comes near it.
TRACKER_BATCHES_PER_HOUR = 120
TRACKER_WINDOW = timedelta(hours=1)
# New anonymous profiles per store and hour (a store's busiest hour of first-time visitors, with room).
NEW_VISITORS_PER_HOUR = 10_000
ANONYMOUS = "anon:"
# No message can reach an anonymous visitor; their page views age out after PAGE_VIEW_HISTORY_DAYS anyway.
ANONYMOUS_PROFILE_TTL = timedelta(days=PAGE_VIEW_HISTORY_DAYS)
Id = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]
# A product page's product, as the store's page declares it (docs/webhooks.md, "Product pages"): the store's
# own product number or code (Cafe24's product_no, a Shopify product id), never free text.
ProductId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class TrackerEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Id
    type: Literal["visit", "page_view"]
    at: datetime | None = None
    path: Annotated[str, Field(min_length=1, max_length=2048)] | None = None
    dwell_seconds: Annotated[int, Field(ge=0, le=86_400)] = 0
    product_id: ProductId | None = None  # page_view: the product the page shows


class TrackerBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    write_key: Annotated[str, Field(min_length=1, max_length=128)]
    visitor_id: Id
    member_id: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    member_token: Annotated[str, Field(min_length=1, max_length=MAX_TOKEN_LENGTH)] | None = None
    events: Annotated[list[TrackerEvent], Field(min_length=1, max_length=MAX_EVENTS_PER_BATCH)]


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


def translate_batch(
    body: bytes,
    store: Store,
    received_at: datetime,
    identity_secret: Callable[[], str | None] = lambda: None,
) -> Delivery:
    """The batch's events, for the member the store vouched for or else the anonymous visitor.
    `identity_secret`: the store's tracker identity secret, read only when a batch names a member."""
    if len(body) > MAX_BATCH_BYTES:
        raise PayloadTooLarge(f"a tracker batch is at most {MAX_BATCH_BYTES} bytes; this one is {len(body)}")
    batch = validate(TrackerBatch, read_json(body))
    check_write_key(store, batch.write_key)
    customer_id, not_kept = f"{ANONYMOUS}{batch.visitor_id}", []
    if batch.member_id is not None:
        problem = token_problem(
            identity_secret(), store.store_id, batch.member_id, batch.member_token, received_at
        )
        if problem is None:
            customer_id = batch.member_id
        else:
            not_kept.append(FieldError("member_id", f"{problem}; the visit is kept as the visitor's"))
    key = f"tracker:{batch.visitor_id}:{fingerprint([e.id for e in batch.events])}"
    events: list[NormalizedEvent] = []
    for index, item in enumerate(batch.events):
        at = _client_time(item.at, received_at)
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
            path = _path(item.path or "/")[:MAX_PATH_LENGTH]
            events.append(
                PageViewed(**common, path=path, dwell_seconds=item.dwell_seconds, product_id=item.product_id)
            )
    return Delivery(key=key, customer_id=customer_id, events=events, not_kept=not_kept)


def is_anonymous(customer_id: str | None) -> bool:
    return customer_id is not None and customer_id.startswith(ANONYMOUS)


class Counters(Protocol):
    """Counts shared by every container of the collect function (DynamoDB in AWS: nudge.adapters.counters)."""

    def take(self, key: str, limit: int, until: datetime) -> bool:
        """Count one against `key` unless its count has reached `limit`: whether it was counted. The count
        may be forgotten after `until`."""
        ...


@dataclass
class LocalCounters:
    """Counters of one process: what a single process (a test, a script) shares; Lambda's containers share
    the DynamoDB ones."""

    counts: dict[str, tuple[int, datetime]] = field(default_factory=dict)

    def take(self, key: str, limit: int, until: datetime) -> bool:
        count, _ = self.counts.get(key, (0, until))
        if count >= limit:
            return False
        self.counts[key] = (count + 1, until)
        return True


@dataclass(frozen=True, slots=True)
class TrackerAdmission:
    """Whether one more batch may change this profile (ingest.service.apply_delivery asks before applying
    it, and has it counted on the profile it writes)."""

    store_id: str
    counters: Counters
    now: datetime
    anonymous: bool

    def check(self, profile: Profile | None) -> None:
        started = profile.tracker_window if profile is not None else None
        if (
            profile is not None
            and started is not None
            and _window_open(profile, self.now)
            and profile.tracker_batches >= TRACKER_BATCHES_PER_HOUR
        ):
            raise TooManyRequests(
                f"at most {TRACKER_BATCHES_PER_HOUR} tracker batches an hour per visitor; the next is taken "
                f"from {(started + TRACKER_WINDOW).isoformat(timespec='seconds')}"
            )
        if profile is None and self.anonymous:
            hour = self.now.replace(minute=0, second=0, microsecond=0)
            key = f"new-visitors#{self.store_id}#{hour:%Y%m%d%H}"
            if not self.counters.take(key, NEW_VISITORS_PER_HOUR, hour + 2 * TRACKER_WINDOW):
                raise TooManyRequests(
                    f"this store has had {NEW_VISITORS_PER_HOUR} new visitors this hour; try in the next"
                )

    def count(self, profile: Profile) -> None:
        if not _window_open(profile, self.now):
            profile.tracker_window, profile.tracker_batches = self.now, 0
        profile.tracker_batches += 1
        if self.anonymous:
            profile.expires_at = self.now + ANONYMOUS_PROFILE_TTL


def _window_open(profile: Profile, now: datetime) -> bool:
    started = profile.tracker_window
    return started is not None and started <= now < started + TRACKER_WINDOW


def _client_time(at: datetime | None, received_at: datetime) -> datetime:
    """The browser's time of an event, or the arrival time when it has no offset, is in the future or is more
    than MAX_CLIENT_CLOCK_SKEW old. Compared by difference: a time at the calendar's ends (year 1 at +09:00)
    cannot be moved to another zone, and it is simply replaced."""
    if at is None or at.tzinfo is None:
        return received_at
    age = received_at - at
    return received_at - age if timedelta(0) <= age <= MAX_CLIENT_CLOCK_SKEW else received_at


def allowed_origin(store: Store, origin: str | None) -> str | None:
    """The origin to echo in Access-Control-Allow-Origin, or None when the store does not allow it."""
    if origin and origin.rstrip("/") in store.allowed_origins:
        return origin.rstrip("/")
    return None
