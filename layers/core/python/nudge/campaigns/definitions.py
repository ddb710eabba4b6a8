"""Campaigns: a segment, a message, a channel and a moment, set up by a store's CRM marketer.

A campaign = segment + message (its channel, M/N/I targeting and promotion group are part of the
message definition the compliance layer validates) + send mode (immediate, reserved for one instant, or
recurring on a cron within a start and end date, in the store's time zone) + landing-URL tracking.
Reserved and recurring campaigns are EventBridge Scheduler schedules; every run evaluates the segment
*then* and puts one send job per member on the send queue.
"""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, ClassVar, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from compliance.message import Message, validate_message
from nudge import ids
from nudge.errors import FieldError, InvalidPayload, field_errors
from nudge.images import ImageStore
from nudge.images.service import facts_for, with_mms_image
from nudge.ports import CAMPAIGN
from nudge.schedules import InvalidSchedule, at_expression, validate_expression
from nudge.sending.gateway import gateway_problems
from nudge.sending.links import Tracking
from nudge.sending.variables import CAMPAIGN_MESSAGE_TEXT, fillable
from nudge.stores import Store

# A reserved send needs this much lead time; anything sooner is an immediate send.
MIN_LEAD = timedelta(minutes=2)
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# `mode` picks the variant (SendMode's discriminator), so a request must name it: no default, and the admin
# API's OpenAPI document says it is required.
class Immediate(_Model):
    mode: Literal["immediate"]


class Reserved(_Model):
    mode: Literal["reserved"]
    at: AwareDatetime


class Recurring(_Model):
    """`cron` is EventBridge Scheduler's six fields, e.g. "0 10 ? * MON-FRI *", in the store's time zone."""

    mode: Literal["recurring"]
    cron: Annotated[str, Field(min_length=11, max_length=100)]
    start: date
    end: date


SendMode = Annotated[Immediate | Reserved | Recurring, Field(discriminator="mode")]


class CampaignDefinition(_Model):
    """What the marketer sends to create or change a campaign."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    segment_id: Identifier
    message: Annotated[dict[str, Any], Field(description=CAMPAIGN_MESSAGE_TEXT)]
    send: SendMode
    tracking: Tracking = Tracking()


class Campaign(_Model):
    catalog_kind: ClassVar[str] = CAMPAIGN

    campaign_id: Identifier
    store_id: str
    name: str
    segment_id: str
    message: Message
    send: SendMode
    tracking: Tracking
    created_at: AwareDatetime
    updated_at: AwareDatetime
    # Set when its AlimTalk template stopped being approved at the gateway (nudge.alimtalk): its runs do
    # nothing until the marketer saves it again (which checks the template again).
    paused_reason: str | None = None
    paused_at: AwareDatetime | None = None

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Self:
        """A campaign from its catalog document (validated when it was saved); `runs`, which the admin API
        answers beside it, is not part of it."""
        return cls.model_validate({k: v for k, v in document.items() if k != "runs"})

    @property
    def source(self) -> str:
        """How send jobs and the ledger name this campaign."""
        return f"campaign:{self.campaign_id}"

    @property
    def schedule_name(self) -> str:
        return f"campaign-{self.campaign_id}"


def new_campaign_id() -> str:
    return "cmp_" + ids.token_hex(8)


def validate_campaign(
    payload: Any,
    store: Store,
    segment_exists: Callable[[str], bool],
    now: datetime,
    campaign_id: str,
    created_at: datetime | None = None,
    images: ImageStore | None = None,
) -> Campaign:
    """The campaign, or InvalidPayload naming every wrong field: nothing is saved before this passes. The
    images its message names must be the store's uploads and fit where they are shown (`images`)."""
    try:
        definition = CampaignDefinition.model_validate(payload)
    except ValidationError as exc:
        raise InvalidPayload("campaign is not valid", field_errors(exc)) from exc
    # A campaign's message has the profile's variables only (nudge.sending.variables).
    facts = facts_for(images, store.store_id, [definition.message])
    problems: list[FieldError] = [
        FieldError(f"message.{p.field}" if p.field != "message" else "message", p.message)
        for p in [
            *validate_message(definition.message, store.compliance, variables=fillable(), images=facts),
            *gateway_problems(definition.message, store.gateway.provider if store.gateway else None),
        ]
    ]
    if not segment_exists(definition.segment_id):
        problems.append(FieldError("segment_id", f"no segment {definition.segment_id!r} in this store"))
    problems.extend(_send_problems(definition.send, store, now))
    if problems:
        raise InvalidPayload("campaign is not valid", problems)
    return Campaign(
        campaign_id=campaign_id,
        store_id=store.store_id,
        name=definition.name,
        segment_id=definition.segment_id,
        message=Message.model_validate(with_mms_image(definition.message, facts)),
        send=definition.send,
        tracking=definition.tracking,
        created_at=created_at or now,
        updated_at=now,
    )


def _send_problems(send: Immediate | Reserved | Recurring, store: Store, now: datetime) -> list[FieldError]:
    if isinstance(send, Reserved):
        if send.at < now + MIN_LEAD:
            return [FieldError("send.at", "must be at least 2 minutes ahead; send it immediately instead")]
        return []
    if isinstance(send, Recurring):
        problems = []
        try:
            validate_expression(f"cron({send.cron})")
        except InvalidSchedule as exc:
            problems.append(FieldError("send.cron", str(exc)))
        if send.end < send.start:
            problems.append(FieldError("send.end", "must not be before send.start"))
        elif send.end < now.astimezone(store.zone).date():
            problems.append(FieldError("send.end", "is in the past"))
        return problems
    return []


class ScheduleSpec(_Model):
    name: str
    expression: str
    timezone: str
    start: datetime | None = None
    end: datetime | None = None
    one_time: bool


def schedule_of(campaign: Campaign, store: Store) -> ScheduleSpec | None:
    """The EventBridge Scheduler schedule a campaign needs (None: an immediate campaign has none)."""
    send = campaign.send
    if isinstance(send, Reserved):
        return ScheduleSpec(
            name=campaign.schedule_name,
            expression=at_expression(send.at, store.zone),
            timezone=store.timezone,
            one_time=True,
        )
    if isinstance(send, Recurring):
        # No StartDate: Scheduler refuses one more than 5 minutes in the past (a campaign starting today),
        # so the schedule starts now and a run before the start date does nothing (`runs_on`).
        return ScheduleSpec(
            name=campaign.schedule_name,
            expression=f"cron({send.cron})",
            timezone=store.timezone,
            end=datetime.combine(send.end + timedelta(days=1), time.min, store.zone),
            one_time=False,
        )
    return None


def still_to_run(campaign: Campaign, now: datetime, zone: ZoneInfo) -> bool:
    """Whether a schedule of the campaign has a run ahead (an immediate campaign ran when it was made)."""
    send = campaign.send
    if isinstance(send, Reserved):
        return send.at > now
    if isinstance(send, Recurring):
        return send.end >= now.astimezone(zone).date()
    return False


def runs_on(campaign: Campaign, day: date) -> bool:
    """Whether a run on this store-local day is within the campaign's dates."""
    send = campaign.send
    return not isinstance(send, Recurring) or send.start <= day <= send.end
