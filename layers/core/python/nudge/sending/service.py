"""Sending one send job: at send time, exactly once.

For each job the sender claims its send key in the ledger, finds the message its source names *now*, loads
the profile *now*, asks the compliance layer (consent may have changed since the job was queued; a night-time
ad is deferred, not dropped), personalises, rewrites links into tracking links and hands the message to the
store's gateway, under the gateway account's rate limit.

Exactly once — how each way a job can be seen twice is resolved:
- **Queue redelivery after a send** (SQS at-least-once, or the visibility timeout passing): the ledger
  record is `sent` (or later), so the job is acknowledged and nothing is sent (`claim` → DONE).
- **Two deliveries of one job at the same time**: the claim is a conditional write; the second finds a live
  lease and the job goes back to the queue (`Busy`), to find `sent` when it returns.
- **A Lambda retry / crash before the gateway call**: the record stays `sending` with a lease; when the lease
  has run out, the next delivery takes it over, asks the gateway whether it knows the send id (`find`), finds
  nothing and sends.
- **A crash between the gateway's answer and the ledger update**: the takeover's `find` finds the message
  and records it as sent without sending again. NHN: by `recipientGroupingKey`; it also refuses a repeated
  `X-NC-API-IDEMPOTENCY-KEY` within 10 minutes (-1005), which the adapter reads as "already accepted".
  Solapi has no such key and its message list may lag, so the message is first held in a message group
  whose id the ledger records (the handle, `Gateway.prepare`) before the group is sent; `find` asks that
  group (sent or not), and Solapi never sends a group twice.
- **A timeout or 5xx with an unclear outcome**: before each retry the sender asks `find` first; a retry
  carries the same idempotency key, or sends the same held group.
- **A worker still running when its lease ends**: the lease (LEASE) is longer than the function's timeout,
  so Lambda has stopped an attempt before anyone may take it over; the ledger's finishing write is
  conditioned on the attempt number, so a stale attempt can never overwrite a newer one.
Retries: timeouts, 429 and 5xx are retried with backoff (RETRY_DELAYS); then the attempt ends its lease and
the job goes back to the queue, whose next delivery is a takeover (so it asks before it sends). After the
queue's maxReceiveCount the job waits in the dead-letter queue: never lost, never sent twice. A 4xx or a
refusal code is permanent and recorded with the gateway's code.
"""

import hashlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol, Self

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from compliance.content import Content
from compliance.content import fill as fill_variables
from compliance.decision import Decision, Outcome, decide
from compliance.formats import variable_parts
from compliance.images import ImageNeed, ImageUse, image_uses, read_facts
from compliance.message import (
    Button,
    Card,
    Commerce,
    Coupon,
    LinkSet,
    Message,
    filled_texts,
    labelled,
    prepared,
)
from compliance.recipient import RecentSend
from nudge.catalog import CatalogItems, read
from nudge.ports import AUTOMATION, CAMPAIGN, StoreDirectory
from nudge.privacy import domestic_phone
from nudge.profiles.consent import recipient_of
from nudge.profiles.profile import Profile
from nudge.sending import gateway as wire
from nudge.sending import links as tracking_links
from nudge.sending.gateway import (
    Accepted,
    Expired,
    Gateway,
    Link,
    Outbound,
    Picture,
    Rejected,
    SmsPart,
    Transient,
)
from nudge.sending.jobs import SendJob
from nudge.sending.links import Tracking
from nudge.sending.notices import CONSENT_RESULT_NOTICE, NOTICE
from nudge.sending.reasons import NudgeReason
from nudge.sending.records import Claim, ClaimStatus, SendRecord, State, send_id_of
from nudge.sending.variables import fill
from nudge.stores import Store

LEASE = timedelta(seconds=90)  # > the sender function's Timeout (60 s): see "A worker still running"
RETRY_DELAYS = (0.2, 0.8)  # seconds before the 2nd and 3rd attempt (plus up to 50 % jitter)
FREQUENCY_LOOKBACK = timedelta(days=7)


class SendLedger(Protocol):
    def claim(self, record: SendRecord, now: datetime, lease: timedelta) -> Claim: ...

    def finish(self, record: SendRecord, now: datetime) -> bool:
        """Write the outcome of attempt `record.attempt` (state and fields; or, still sending, the handle of
        what the gateway holds, or a lease ended early); False if a newer attempt holds the record."""
        ...

    def recent(self, store_id: str, customer_id: str, since: datetime) -> list[SendRecord]: ...


class ProfileReader(Protocol):
    def load(self, store_id: str, customer_id: str) -> Profile | None: ...


class RateLimiter(Protocol):
    def acquire(self, account_id: str, per_second: int) -> float | None:
        """Block until one more call fits in the account's limit (held across concurrent senders); may
        return the instant of the slot it waited for."""
        ...


class Deferrals(Protocol):
    def defer(self, job: SendJob, send_id: str, at: datetime, store: Store) -> None:
        """Put the job back on the send queue at `at` (a one-time schedule)."""
        ...


class ImageBytes(Protocol):
    """The store's images (nudge.images.ImageStore): the bytes an upload to a gateway sends."""

    def data(self, store_id: str, image_id: str) -> bytes | None: ...


class GatewayImages(Protocol):
    """What each gateway account holds already: the ref an upload answered, per account, image use and image
    id (nudge.adapters.gateway_images). An image is uploaded once and named by every message after."""

    def ref(self, account: str, use: str, image_id: str) -> str | None: ...

    def claim(self, account: str, use: str, image_id: str) -> bool:
        """Take the upload of an image no ref is kept for: False when another sender is uploading it (or
        kept a ref meanwhile), whose ref this one then waits for (UPLOAD_WAITS)."""
        ...

    def remember(self, account: str, use: str, image_id: str, ref: str) -> str:
        """Keep the ref, unless another sender kept one first: the ref to use."""
        ...


class Busy(RuntimeError):
    """Another attempt of this job is in progress, or the gateway stayed unavailable: try again later."""


class ImageGone(Exception):
    """An image the message shows is no longer among the store's images (deleted after the message was
    saved): nothing can be uploaded, and the send fails (NudgeReason.IMAGE_GONE)."""


@dataclass(frozen=True, slots=True)
class SendDependencies:
    stores: StoreDirectory
    catalog: CatalogItems
    profiles: ProfileReader
    ledger: SendLedger
    gateway_for: Callable[[Store], Gateway]
    limiter: RateLimiter
    deferrals: Deferrals
    now: Callable[[], datetime]
    sleep: Callable[[float], None]
    tracking_base_url: str = ""
    jitter: Callable[[], float] = field(default=random.random)
    images: ImageBytes | None = None  # the store's images, uploaded to the gateway on first use
    gateway_images: GatewayImages | None = None  # what each gateway account holds already


@dataclass(frozen=True, slots=True)
class Source:
    message: Message
    tracking: Tracking


class SourceGone(Exception):
    def __init__(self, reason: NudgeReason) -> None:
        super().__init__(reason)
        self.reason = reason


class SourceMessage(BaseModel):
    """What the sender reads of a campaign's document, or of one automation step: the message and its
    tracking (the rest is the campaigns' and the automations' own: this area sits below them)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    message: Message
    tracking: Tracking = Tracking()

    @field_validator("tracking", mode="before")
    @classmethod
    def _none_is_no_tracking(cls, value: Any) -> Any:
        return value or {}


class CampaignMessage(SourceMessage):
    catalog_kind: ClassVar[str] = CAMPAIGN

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Self:
        return cls.model_validate(document)


class AutomationSteps(BaseModel):
    """What the sender reads of an automation's document. A step is read (as a SourceMessage) only when a
    job names it: whether the automation is paused is told before whether a step is sound."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    catalog_kind: ClassVar[str] = AUTOMATION

    status: str | None = None
    steps: list[Any] = []

    @field_validator("steps", mode="before")
    @classmethod
    def _none_is_no_steps(cls, value: Any) -> Any:
        return value or []

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Self:
        return cls.model_validate(document)


def load_source(catalog: CatalogItems, job: SendJob) -> Source:
    """The message a job's source names now; SourceGone says why there is none."""
    kind, _, item_id = job.source.partition(":")
    try:
        if kind == CAMPAIGN:
            campaign = read(catalog, job.store_id, CampaignMessage, item_id)
            if campaign is None:
                raise SourceGone(NudgeReason.SOURCE_DELETED)
            return Source(campaign.message, campaign.tracking)
        automation = read(catalog, job.store_id, AutomationSteps, item_id)  # a job's other kind of source
        if automation is None:
            raise SourceGone(NudgeReason.SOURCE_DELETED)
        if automation.status != "active":
            raise SourceGone(NudgeReason.SOURCE_PAUSED)
        if job.step is None or job.step >= len(automation.steps):
            raise SourceGone(NudgeReason.STEP_MISSING)
        step = SourceMessage.model_validate(automation.steps[job.step])
        return Source(step.message, step.tracking)
    except ValidationError as exc:
        raise SourceGone(NudgeReason.SOURCE_INVALID) from exc


def personalisation(
    names: tuple[str, ...], job: SendJob, profile: Profile, store: Store | None = None
) -> dict[str, str]:
    """Values for the message's variables: the job's own, then the profile's (`name`), then the store's
    (`store_name`). A variable may
    declare a fallback for a missing value: `#{name|고객}`. One with neither is left out, and the compliance
    layer then refuses the message (`missing_variable`): a raw `#{...}` never reaches a customer. Which
    variables exist is one table (nudge.sending.variables), which the admin API checks messages against."""
    return fill(names, job.variables, profile, store)


def recent_sends(recent: list[SendRecord], zone_now: datetime) -> tuple[RecentSend, ...]:
    """The customer's sends the frequency rules count: those that reached the gateway."""
    return tuple(
        RecentSend(at=r.sent_at or zone_now, promotion_group=r.promotion_group, is_ad=r.is_ad)
        for r in recent
        if r.state in (State.SENT, State.DELIVERED) and r.sent_at is not None
    )


def _sms_part(
    content: Content | None, store: Store, pictures: Mapping[str, Picture] | None = None
) -> SmsPart | None:
    if content is None:
        return None
    return SmsPart(
        kind=content.kind,
        text=content.text,
        title=content.title,
        is_ad=content.is_ad,
        sender_number=content.sender_number or store.contact_phone or "",
        optout_number=content.optout_number,
        image=(pictures or {}).get(FALLBACK_IMAGE),
    )


FALLBACK_IMAGE = "fallback.image"  # the picture of a fallback MMS, beside the message's own fields


def _links(links: LinkSet | Button) -> wire.LinkSet:
    return wire.LinkSet(links.link_mo, links.link_pc, links.scheme_android, links.scheme_ios)


def _buttons(buttons: tuple[Button, ...]) -> tuple[Link, ...]:
    return tuple(Link(b.name, b.type, b.link_mo, b.link_pc, b.scheme_android, b.scheme_ios) for b in buttons)


def _coupon(coupon: Coupon | None) -> wire.CouponPart | None:
    return None if coupon is None else wire.CouponPart(coupon.title, coupon.description, _links(coupon))


def _commerce(commerce: Commerce | None) -> wire.CommercePart | None:
    if commerce is None or commerce.title is None or commerce.regular_price is None:
        return None  # validate_message refuses a bubble that needs one and lacks it
    return wire.CommercePart(
        commerce.title,
        commerce.regular_price,
        commerce.discount_price,
        commerce.discount_rate,
        commerce.discount_fixed,
        commerce.additional_info,
    )


def _card(card: Card, picture: Picture | None, text: Callable[[str, str], str], prefix: str) -> wire.CardPart:
    return wire.CardPart(
        header=text(f"{prefix}.header", card.header),
        text=text(f"{prefix}.text", card.text),
        picture=picture,
        buttons=_buttons(card.buttons),
        commerce=_commerce(card.commerce),
        coupon=_coupon(card.coupon),
    )


def outbound(
    send_id: str,
    phone: str,
    message: Message,
    decision: Decision,
    store: Store,
    variables: Mapping[str, str],
    pictures: Mapping[str, Picture] | None = None,
) -> Outbound:
    """The message for one person, as the gateway is handed it: the decision's content (variables filled,
    labelled), the bubble's parts, and each image as the gateway account knows it (`pictures`, by the field
    compliance.images.image_uses names: "image", "items[0].image", "cards[1].image", …)."""
    content = decision.content
    assert content is not None
    pictures = pictures or {}
    # Variables are filled where the compliance layer fills them (filled_texts); any other text goes as it
    # was written, and validate_message refuses a variable there (unfillable_variable).
    filled = {name for name, _ in filled_texts(message)}

    def text(name: str, value: str) -> str:
        return fill_variables(value, variables) if name in filled else value

    brand = message.channel == "brand_message"
    bubble = message.bubble if brand else "TEXT"
    shown = labelled(message)  # a layout without content carries the ad label in its first text
    video = None
    if brand and message.video_url:
        video = wire.VideoPart(message.video_url, pictures.get("video_thumbnail"))
    return Outbound(
        send_id=send_id,
        to=domestic_phone(phone),
        kind=content.kind,
        text=content.text,
        is_ad=content.is_ad,
        sender_number=content.sender_number or store.contact_phone or "",
        title=content.title,
        template_code=message.template_code,
        template_parameters={variable_parts(token)[0]: value for token, value in variables.items()},
        bubble=bubble,
        targeting=content.targeting,
        adult=message.adult_only,
        buttons=_buttons(message.buttons),
        optout_number=content.optout_number,
        fallback=_sms_part(decision.fallback, store, pictures),
        header=text("title", shown.title)
        if shown.title and bubble in ("WIDE_ITEM_LIST", "PREMIUM_VIDEO")
        else None,
        image=pictures.get("image"),
        items=tuple(
            wire.WideItem(text(f"items[{i}].title", item.title), picture, _links(item))
            for i, item in enumerate(shown.items)
            if brand and (picture := pictures.get(f"items[{i}].image")) is not None
        ),
        cards=tuple(
            _card(card, pictures.get(f"cards[{i}].image"), text, f"cards[{i}]")
            for i, card in enumerate(shown.cards)
        )
        if brand
        else (),
        intro=_card(shown.intro, pictures.get("intro.image"), text, "intro")
        if brand and shown.intro is not None
        else None,
        tail=_links(shown.tail) if brand and shown.tail is not None else None,
        commerce=_commerce(shown.commerce) if brand else None,
        coupon=_coupon(shown.coupon) if brand else None,
        video=video,
    )


def images_account(store: Store) -> str:
    """Whose uploads a ref names: the gateway-side account (NHN's appKeys, Solapi's API key, and the address
    they answer at), not Nudge's label for it, so a store that changes its keys uploads again."""
    account = store.gateway
    assert account is not None
    parts = (account.provider, account.api_key, account.kakao_appkey, account.sms_appkey, account.base_url)
    # A digest: the keys themselves have no business in a table key.
    return hashlib.sha256("|".join(part or "" for part in parts).encode()).hexdigest()[:32]


def _file_name(image_id: str, data: bytes) -> str:
    """The name an upload carries: the image id and its format's extension (NHN's MMS upload takes only
    .jpg/.jpeg names of at most 45 characters; the id is 36)."""
    facts = read_facts(data)
    return f"{image_id}.{'png' if facts is not None and facts.format == 'png' else 'jpg'}"


UPLOAD_WAITS = (0.5, 1.0, 2.0, 4.0)  # seconds between looks at the ref another sender is uploading


def _uploaded_by_another(
    deps: SendDependencies, cache: GatewayImages, account: str, key: tuple[str, str]
) -> str | None:
    """The ref another sender's upload keeps, waited for a few seconds (None: its holder died or is slow,
    and this sender uploads; the cache keeps one ref either way)."""
    for delay in UPLOAD_WAITS:
        deps.sleep(delay)
        ref = cache.ref(account, *key)
        if ref is not None:
            return ref
    return None


def pictures_for(
    deps: SendDependencies, gateway: Gateway, store: Store, needs: list[ImageNeed]
) -> dict[str, Picture]:
    """Each needed image as the store's gateway account knows it: the ref it holds already, or the ref an
    upload of the store's bytes answers (kept for every later message). Raises ImageGone, or the
    gateway's Rejected / Transient from the upload."""
    account = images_account(store)
    out: dict[str, Picture] = {}
    refs: dict[tuple[str, str], str] = {}
    for need in needs:
        key = (str(need.use), need.image_id)
        ref = refs.get(key)
        if ref is None:
            ref = deps.gateway_images.ref(account, *key) if deps.gateway_images is not None else None
        if ref is None and deps.gateway_images is not None and not deps.gateway_images.claim(account, *key):
            ref = _uploaded_by_another(deps, deps.gateway_images, account, key)
        if ref is None:
            data = deps.images.data(store.store_id, need.image_id) if deps.images is not None else None
            if data is None:
                raise ImageGone(need.image_id)
            ref = gateway.upload_image(str(need.use), _file_name(need.image_id, data), data)
            if deps.gateway_images is not None:
                ref = deps.gateway_images.remember(account, *key, ref)
        refs[key] = ref
        out[need.field] = Picture(ref, need.link)
    return out


@dataclass(frozen=True, slots=True)
class Result:
    send_id: str
    state: str  # sent | already_sent | suppressed | deferred | failed | duplicate | not_due
    reasons: tuple[str, ...] = ()
    code: str | None = None


FALLBACK = "|fallback"  # the fallback SMS Nudge sends itself is a send of its own: send key + this


@dataclass(frozen=True, slots=True)
class _Ready:
    """A claimed send, decided: what the rest of the send needs."""

    store: Store
    message: Message
    decision: Decision
    variables: dict[str, str]
    phone: str
    record: SendRecord


def _claim(job: SendJob, deps: SendDependencies, send_id: str, source: str) -> "Claim | Result":
    return _claim_key(
        deps, send_id, job.store_id, job.customer_id, job.occurrence, source, job.step, job.owed_by_law
    )


def _claim_key(
    deps: SendDependencies,
    send_id: str,
    store_id: str,
    customer_id: str,
    occurrence: str,
    source: str,
    step: int | None = None,
    owed_by_law: bool = False,
) -> "Claim | Result":
    now = deps.now()
    fresh = SendRecord(
        send_id=send_id,
        store_id=store_id,
        source=source,
        customer_id=customer_id,
        occurrence=occurrence,
        state=State.SENDING,
        created_at=now,
        step=step,
        owed_by_law=owed_by_law,
    )
    claim = deps.ledger.claim(fresh, now, LEASE)
    if claim.status is ClaimStatus.DONE:
        return Result(send_id, "duplicate")
    if claim.status is ClaimStatus.NOT_DUE:
        return Result(send_id, "not_due")
    if claim.status is ClaimStatus.BUSY:
        raise Busy(f"send {send_id} is held by another attempt")
    return claim


def _prepare(job: SendJob, deps: SendDependencies, record: SendRecord, link_id: str) -> "_Ready | Result":
    """The source, the profile and the compliance decision now (or the finished record saying why not)."""
    now = deps.now()
    store = deps.stores.get(job.store_id)
    if store is None:
        return _finish(deps, record, State.SUPPRESSED, now, reasons=(NudgeReason.STORE_DELETED,))
    try:
        source = load_source(deps.catalog, job)
    except SourceGone as gone:
        return _finish(deps, record, State.SUPPRESSED, now, reasons=(gone.reason,))
    profile = deps.profiles.load(job.store_id, job.customer_id)
    if profile is None:
        return _finish(deps, record, State.SUPPRESSED, now, reasons=(NudgeReason.NO_PROFILE,))
    if not profile.phone:
        return _finish(deps, record, State.SUPPRESSED, now, reasons=(NudgeReason.NO_PHONE,))
    message, links = tracking_links.rewrite(
        source.message, link_id, deps.tracking_base_url, source.tracking, job.source.partition(":")[2], store
    )
    variables = personalisation(prepared(message).variables, job, profile, store)
    # The frequency rules count ads only and apply to ads only: an informational message needs no lookup.
    recent = (
        deps.ledger.recent(job.store_id, job.customer_id, now - FREQUENCY_LOOKBACK) if message.is_ad else []
    )
    recipient = recipient_of(profile, variables, recent_sends(recent, now))
    decision = decide(message, recipient, store.compliance, now)
    record = replace(
        record,
        reasons=tuple(str(r) for r in decision.reasons),
        is_ad=message.is_ad,
        promotion_group=message.promotion_group,
        links=links,
        kind=decision.content.kind if decision.content else None,
    )
    return _Ready(store, message, decision, variables, profile.phone, record)


def process(job: SendJob, deps: SendDependencies) -> Result:
    """Send one job (or record why not). Raises Busy when it must come back later."""
    send_id = send_id_of(job.send_key)
    claim = _claim(job, deps, send_id, job.source)
    if isinstance(claim, Result):
        return claim
    ready = _prepare(job, deps, claim.record, send_id)
    if isinstance(ready, Result):
        return ready
    store, decision, record, now = ready.store, ready.decision, ready.record, deps.now()
    if decision.outcome is Outcome.SUPPRESS:
        return _finish(deps, record, State.SUPPRESSED, now)
    if decision.outcome is Outcome.DEFER:
        assert decision.send_at is not None
        until = decision.send_at.replace(microsecond=0)
        deps.deferrals.defer(job, send_id, until, store)
        return _finish(deps, record, State.DEFERRED, now, deferred_until=until)
    if store.gateway is None:
        return _finish(deps, record, State.FAILED, now, code=NudgeReason.NO_GATEWAY)
    gateway = deps.gateway_for(store)
    pictures = _pictures(deps, gateway, store, record, image_uses(ready.message))
    if isinstance(pictures, Result):
        return pictures
    out = outbound(send_id, ready.phone, ready.message, decision, store, ready.variables, pictures)
    by_nudge = out.fallback is not None and not gateway.carries_fallback(out)
    record = replace(
        record,
        fallback_planned=out.fallback is not None,
        fallback_by_nudge=by_nudge,
        job=job.model_dump_json() if by_nudge else None,
    )
    return _send(deps, gateway, out, store, record, takeover=claim.status is ClaimStatus.TAKEOVER)


def send_fallback(original: SendRecord, deps: SendDependencies) -> Result:
    """The SMS/LMS/MMS fallback of a Kakao message its gateway could not deliver and does not fall back
    itself (a Solapi brand message; an MMS fallback on either gateway, whose resend knows SMS and LMS only):
    Nudge sends it when the delivery report says so, an MMS with its picture uploaded for MMS. It is a send
    of its own (send key + FALLBACK, exactly once like any other, however often the report comes), decided
    again now (SMS consent, the night window), and it is only sent when the Kakao message did not arrive:
    the person gets one message. Its ledger source is `{source}|fallback`, so reports count the message
    once."""
    if not original.job:
        return Result(original.send_id, "no_fallback")
    job = SendJob.model_validate_json(original.job)
    send_id = send_id_of(job.send_key + FALLBACK)
    claim = _claim(job, deps, send_id, job.source + FALLBACK)
    if isinstance(claim, Result):
        return claim
    ready = _prepare(job, deps, claim.record, original.send_id)  # links count on the original message
    if isinstance(ready, Result):
        return ready
    decision, fallback, now = ready.decision, ready.decision.fallback, deps.now()
    if decision.outcome is not Outcome.SEND or fallback is None or ready.store.gateway is None:
        reasons = (*ready.record.reasons, *decision.fallback_blocked) or (NudgeReason.FALLBACK_NOT_OFFERED,)
        return _finish(deps, ready.record, State.SUPPRESSED, now, reasons=reasons)
    gateway = deps.gateway_for(ready.store)
    record = replace(ready.record, kind=fallback.kind)
    needs = [ImageNeed(FALLBACK_IMAGE, fallback.image_id, ImageUse.MMS)] if fallback.image_id else []
    pictures = _pictures(deps, gateway, ready.store, record, needs)
    if isinstance(pictures, Result):
        return pictures
    part = _sms_part(fallback, ready.store, pictures)
    assert part is not None
    out = Outbound(
        send_id=send_id,
        to=domestic_phone(ready.phone),
        kind=part.kind,
        text=part.text,
        is_ad=part.is_ad,
        sender_number=part.sender_number,
        title=part.title,
        optout_number=part.optout_number,
        image=part.image,
    )
    return _send(deps, gateway, out, ready.store, record, takeover=claim.status is ClaimStatus.TAKEOVER)


def _pictures(
    deps: SendDependencies, gateway: Gateway, store: Store, record: SendRecord, needs: list[ImageNeed]
) -> "dict[str, Picture] | Result":
    """The images a send shows, uploaded where the gateway account lacks them (pictures_for); or the
    finished record when one cannot be: an image deleted from the store (IMAGE_GONE), an upload the gateway
    refused (its code). An upload the gateway could not answer ends the attempt as a send would (Busy)."""
    if not needs:
        return {}
    try:
        return pictures_for(deps, gateway, store, needs)
    except ImageGone:
        return _finish(deps, record, State.FAILED, deps.now(), code=NudgeReason.IMAGE_GONE)
    except Rejected as refused:
        return _finish(deps, record, State.FAILED, deps.now(), code=refused.code)
    except Transient as unclear:
        deps.ledger.finish(replace(record, lease_until=deps.now()), deps.now())
        raise Busy(f"gateway unavailable for an image of send {record.send_id}: {unclear.code}") from unclear


def send_notice(
    store_id: str, customer_id: str, key: str, message: Message, deps: SendDependencies
) -> Result:
    """An informational notice Nudge owes a customer (the consent-result notice, 시행령 §62-2), sent at once
    and exactly once per `key`, through the same compliance decision, ledger and gateway as any message."""
    send_id = send_id_of(f"{store_id}|{NOTICE}{key}|{customer_id}")
    claim = _claim_key(deps, send_id, store_id, customer_id, key, CONSENT_RESULT_NOTICE)
    if isinstance(claim, Result):
        return claim
    now = deps.now()
    record = replace(claim.record, kind=None)
    store = deps.stores.get(store_id)
    profile = deps.profiles.load(store_id, customer_id)
    if store is None or profile is None or not profile.phone:
        return _finish(deps, record, State.SUPPRESSED, now, reasons=(NudgeReason.NO_PHONE,))
    decision = decide(message, recipient_of(profile, {}), store.compliance, now)
    record = replace(record, reasons=tuple(str(r) for r in decision.reasons), kind=None)
    if decision.outcome is not Outcome.SEND or store.gateway is None:
        return _finish(deps, record, State.SUPPRESSED, now)
    out = outbound(send_id, profile.phone, message, decision, store, {})
    record = replace(record, kind=out.kind)
    gateway = deps.gateway_for(store)
    return _send(deps, gateway, out, store, record, takeover=claim.status is ClaimStatus.TAKEOVER)


@dataclass
class _Attempt:
    """This attempt's ledger record, with the gateway's handle once the gateway holds the message."""

    record: SendRecord


def _send(
    deps: SendDependencies,
    gateway: Gateway,
    out: Outbound,
    store: Store,
    record: SendRecord,
    *,
    takeover: bool,
) -> Result:
    attempt = _Attempt(record)
    try:
        accepted = _deliver(deps, gateway, out, store, attempt, takeover=takeover)
    except Rejected as refused:
        return _finish(deps, attempt.record, State.FAILED, deps.now(), code=refused.code)
    except Transient as unclear:
        # This attempt is over: end its lease, so the redelivered job takes the record over at once, and
        # (being a takeover) asks the gateway about the send id, or the held request, before sending.
        deps.ledger.finish(replace(attempt.record, lease_until=deps.now()), deps.now())
        raise Busy(f"gateway unavailable for send {record.send_id}: {unclear.code}") from unclear
    gateway_id = accepted.gateway_message_id or attempt.record.gateway_message_id
    result = _finish(deps, attempt.record, State.SENT, deps.now(), gateway_message_id=gateway_id or None)
    return replace(result, state="already_sent" if accepted.already else "sent")


def _deliver(
    deps: SendDependencies,
    gateway: Gateway,
    out: Outbound,
    store: Store,
    attempt: _Attempt,
    *,
    takeover: bool,
) -> Accepted:
    """The gateway call with retries; before any repeat of a call whose outcome is unclear, ask the gateway
    first. A gateway that can hold a message unsent (Solapi's message group) holds it, and the ledger
    records the handle, before anything is sent: whoever asks later asks about that one request, which
    went once or not at all (a lagging message list cannot mislead it). A later attempt continues with the
    handle an earlier one recorded (a takeover, or a send deferred after an unclear outcome)."""
    assert store.gateway is not None
    handle = attempt.record.gateway_message_id  # only ever recorded before a send
    unclear = takeover or handle is not None  # a call may have reached the gateway: ask before sending
    delays = iter(RETRY_DELAYS)
    renewed = False
    while True:
        sending = False
        try:
            if unclear:
                found = gateway.find(out, handle)
                if found is not None:
                    return found
            if handle is None:
                handle = gateway.prepare(out)
                if handle is not None:
                    _hold(deps, attempt, handle)
            deps.limiter.acquire(gateway.account_id, store.gateway.rate_per_second)
            sending = True
            return gateway.send(out, handle)
        except Expired as gone:
            if renewed:
                raise Transient(gone.code, gone.message) from gone
            handle, unclear, renewed = None, False, True  # gone, never sent: hold it again, at once
        except Transient:
            delay = next(delays, None)
            if delay is None:
                raise
            unclear = unclear or sending  # holding a message sends nothing: only a send call is unclear
            deps.sleep(delay * (1 + deps.jitter() / 2))


def _hold(deps: SendDependencies, attempt: _Attempt, handle: str) -> None:
    """Record the handle of the request the gateway holds, before it is sent."""
    held = replace(attempt.record, gateway_message_id=handle)
    if not deps.ledger.finish(held, deps.now()):
        raise Busy(f"send {held.send_id} was taken over by a newer attempt")
    attempt.record = held


def _finish(deps: SendDependencies, record: SendRecord, state: State, now: datetime, **fields: Any) -> Result:
    done = replace(record, state=state, **fields)
    if state is State.SENT:
        done = replace(done, sent_at=now)
    if not deps.ledger.finish(done, now):
        raise Busy(f"send {record.send_id} was taken over by a newer attempt")
    name = "deferred" if state is State.DEFERRED else state.value
    return Result(record.send_id, name, done.reasons, done.code)
