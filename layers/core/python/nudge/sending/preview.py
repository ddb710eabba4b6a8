"""A message as one customer would get it now: its text filled, and whether the rules would send it.

`POST /admin/stores/{store_id}/campaigns/{campaign_id}/preview` and `…/automations/{automation_id}/steps/
{step}/preview` with a `customer_id` (nudge.campaigns.preview, nudge.automations.preview) build on `preview`:
the message's variables filled as the sender fills them (nudge.sending.variables: the event's values, then
the profile's and the store's, then a declared fallback), the final content as the compliance layer renders
it (the ad label and opt-out line included) and its decision now (send, defer or suppress, with its
reasons), the customer's recent sends counted as the sender counts them. Nothing is sent or recorded.

Where the customer has no value yet for a variable an automation's event gives (a preview of a shipping
notice before anything shipped), the table's example stands in, and the answer says so (`examples`): the
rules then decide on the message as it would read. A value the customer lacks that the profile or the store
gives (a profile without a name) stays missing, since the real send would be suppressed for it too.

Personal data is masked in the answer (nudge.privacy): the customer's name and number, and the name
wherever the text carries it. Tracking links are not rewritten (the sender rewrites them at each send).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from compliance.content import Content, fallback_sms, render
from compliance.decision import Outcome, decide
from compliance.formats import VARIABLE, variable_parts
from compliance.message import Message, labelled, prepared
from compliance.reasons import Reason
from nudge.catalog import CatalogItems
from nudge.errors import FieldError, InvalidPayload, field_errors
from nudge.ports import StoreDirectory
from nudge.privacy import mask_name, mask_phone
from nudge.profiles.consent import recipient_of
from nudge.profiles.profile import Profile
from nudge.sending.variables import (
    Fillable,
    canonical,
    fill,
    profile_values,
    store_values,
)
from nudge.stores import Store

Source = Literal["event", "profile", "store", "fallback", "example"]
PERSONAL = frozenset({"name"})  # variables whose value identifies the customer: masked in the answer


class MessagePreviewRequest(BaseModel):
    """Whom to show the message to, and (an automation's) event values to use instead of the customer's."""

    model_config = ConfigDict(extra="forbid", strict=True)

    customer_id: Annotated[str, Field(min_length=1, max_length=200, description="The customer's id")]
    event: (
        Annotated[
            dict[Annotated[str, Field(min_length=1, max_length=64)], Annotated[str, Field(max_length=1000)]],
            Field(
                max_length=50,
                description="An automation's event values by variable name (English or Korean), used "
                'instead of the customer\'s own: `{"송장번호": "601234567890"}`',
            ),
        ]
        | None
    ) = None


def parse_request(payload: object) -> MessagePreviewRequest:
    try:
        return MessagePreviewRequest.model_validate(payload)
    except ValidationError as exc:
        raise InvalidPayload("preview request is not valid", field_errors(exc)) from exc


class PreviewProfiles(Protocol):
    def load(self, store_id: str, customer_id: str) -> Profile | None: ...


class RecentSends(Protocol):
    def recent(self, store_id: str, customer_id: str, since: datetime) -> list[Any]:
        """The customer's send records since then (nudge.sending.records.SendRecord)."""
        ...


@dataclass(frozen=True, slots=True)
class PreviewDependencies:
    stores: StoreDirectory
    catalog: CatalogItems
    profiles: PreviewProfiles
    ledger: RecentSends


def overrides(given: Mapping[str, str] | None, allowed: Fillable) -> dict[str, str]:
    """An automation preview's `event` values by the table's names; a name its trigger cannot fill is a 400
    naming it (`event.<name>`)."""
    if not given:
        return {}
    wrong = [name for name in given if name not in allowed or name.startswith("attr_")]
    if wrong:
        raise InvalidPayload(
            "preview request is not valid",
            [FieldError(f"event.{name}", "not a variable this trigger's event gives") for name in wrong],
        )
    return {canonical(name): value for name, value in given.items()}


def _text(text: str, values: Mapping[str, str]) -> str:
    """The text with the values it has; a variable without one stays as written (`#{name}`)."""
    if "#{" not in text:
        return text
    return VARIABLE.sub(lambda found: values.get(found.group(1), found.group(0)), text)


def _masked(token: str, value: str) -> str:
    return mask_name(value) if canonical(variable_parts(token)[0]) in PERSONAL and value else value


def _content(content: Content) -> dict[str, Any]:
    return {"kind": content.kind, "title": content.title, "text": content.text, "is_ad": content.is_ad}


def preview(
    message: Message,
    profile: Profile,
    store: Store,
    now: datetime,
    *,
    known: Mapping[str, str],
    examples: Mapping[str, str],
    recent: list[Any],
) -> dict[str, Any]:
    """The message for this customer now (module docstring). `known`: the event's values by the table's
    names (an automation's; none for a campaign); `examples`: the table's examples for those the event may
    give; `recent`: the customer's send records the sender would count (`recent_records`)."""
    from nudge.sending.service import recent_sends  # the sender's own count

    tokens = prepared(message).variables
    filled = fill(tokens, known, profile, store)
    from_profile, from_store = profile_values(profile), store_values(store)
    variables: list[dict[str, Any]] = []
    shown: dict[str, str] = dict(filled)
    example_names: list[str] = []
    missing: list[str] = []
    for token in tokens:
        name = variable_parts(token)[0]
        table_name = canonical(name)
        source: Source
        if table_name in known:
            source = "event"
        elif table_name in from_profile:
            source = "profile"
        elif table_name in from_store:
            source = "store"
        elif token in filled:
            source = "fallback"
        elif table_name in examples:
            source, shown[token] = "example", examples[table_name]
            example_names.append(name)
        else:
            missing.append(name)
            continue
        entry = {
            "name": name,
            "variable": table_name,
            "value": _masked(token, shown[token]),
            "source": source,
        }
        variables.append(entry)
    counted = recent_sends(recent, now)
    decision = decide(message, recipient_of(profile, shown, counted), store.compliance, now)
    masked = {token: _masked(token, value) for token, value in shown.items()}
    rendered = render(message, store.compliance, masked) if not missing else Reason.MISSING_VARIABLE
    if isinstance(rendered, Content):
        body = _content(rendered)
    else:  # cannot be rendered (a variable without a value): the text as far as it is known
        body = {
            "kind": None,
            "title": _text(message.title, masked) if message.title else None,
            "text": _text(message.content, masked),
            "is_ad": message.is_ad,
        }
    alimtalk = message.channel == "alimtalk"  # only an AlimTalk's button links carry variables
    buttons = [
        {
            "name": button.name,
            "type": button.type,
            **{
                field: _text(link, masked) if alimtalk else link
                for field in ("link_mo", "link_pc", "scheme_android", "scheme_ios")
                if (link := getattr(button, field))
            },
        }
        for button in message.buttons
    ]
    answer: dict[str, Any] = {
        "customer_id": profile.customer_id,
        "customer": {"name": mask_name(profile.name), "phone": mask_phone(profile.phone)},
        **body,
        "buttons": buttons,
        "variables": variables,
        "examples": example_names,
        "missing": missing,
        "would_send": decision.outcome is Outcome.SEND,
        "outcome": decision.outcome.value,
        "send_at": decision.send_at.isoformat() if decision.send_at else None,
        "reasons": [str(r) for r in decision.reasons],
        "evaluated_at": now.isoformat(),
    }
    if decision.fallback is not None and isinstance(
        shown_fallback := fallback_sms(message, store.compliance, masked), Content
    ):
        answer["fallback"] = _content(shown_fallback)
    rich = message.channel == "brand_message" and message.bubble != "TEXT"
    if rich or message.bubble == "MMS":
        # The parts a phone shows besides the text, as the gateway gets them: images by their ids (GET
        # …/images/{id}), a layout without content with its ad label in its first text.
        answer["format"] = message.bubble
        answer["parts"] = labelled(message).model_dump(mode="json", include=_PARTS, exclude_defaults=True)
    if not profile.phone:
        answer["note"] = "the customer has no mobile number: the sender would not send it (no_phone)"
    return answer


_PARTS = {"title", "image", "items", "cards", "intro", "tail", "commerce", "coupon", "video_url"}


def recent_records(
    deps: PreviewDependencies, store_id: str, customer_id: str, message: Message, now: datetime
) -> list[Any]:
    """The customer's sends the sender would read for this message: those of its frequency window, for an
    advertisement only (the frequency rules count and apply to ads)."""
    from nudge.sending.service import FREQUENCY_LOOKBACK

    return deps.ledger.recent(store_id, customer_id, now - FREQUENCY_LOOKBACK) if message.is_ad else []
