"""A message definition and its validation before it is ever scheduled.

`validate_message` returns every problem at once, each naming its field ("buttons[5]: brand message TEXT
allows at most 5 buttons"); `parse_message` builds the model or raises `MessageInvalid` with them all.
A definition is validated once, then `decide` reuses it for every recipient.

Every link it carries is held to `links` (web links https:// or http://, app links never a forbidden
scheme: `invalid_link`), and every `#{variable}` must stand where the sender fills it: the text (content,
title, fallback_text) and, in AlimTalk, the rest of the approved template (extra_info, button links), whose
values go to the gateway as template parameters (`unfillable_variable`). Which names can be filled depends
on where the message is sent from (a campaign, an automation's trigger): the caller says, with
`validate_message(…, variables=…)`, and a variable outside them needs a declared fallback (`#{name|고객}`).
"""

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from compliance import formats, labelling, links
from compliance.classes import MessageClass, promotional_words
from compliance.images import ImageFacts, image_problems
from compliance.problems import MessageInvalid, Problem
from compliance.quiet_hours import NightWindow, night_window
from compliance.reasons import Reason
from compliance.settings import StoreSettings

Channel = Literal["sms", "alimtalk", "brand_message", "friendtalk", "push", "email"]
Targeting = Literal["I", "M", "N"]

# Which consent an ad on each channel needs (§50 ①: per medium). AlimTalk carries no ads.
CONSENT_CHANNEL: dict[str, str | None] = {
    "sms": "sms",
    "brand_message": "kakao",
    "friendtalk": "kakao",
    "push": "push",
    "email": "email",
    "alimtalk": None,
}
DEFAULT_FORMAT: dict[str, str] = {
    "sms": "AUTO",
    "alimtalk": "NONE",
    "brand_message": "TEXT",
    "friendtalk": "TEXT",
    "push": "TEXT",
    "email": "HTML",
}
KAKAO_AD_CHANNELS = ("brand_message", "friendtalk")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Button(_Model):
    name: str
    type: str = "WL"  # WL AL DS BK MD BC BT AC BF P1 P2 P3 TN
    link_mo: str | None = None  # web links (links.web_link_problem)
    link_pc: str | None = None
    scheme_android: str | None = None  # AL: the app's own links (links.app_link_problem)
    scheme_ios: str | None = None


BUTTON_LINKS = ("link_mo", "link_pc", "scheme_android", "scheme_ios")
APP_LINKS = frozenset({"scheme_android", "scheme_ios"})


ImageId = Annotated[str, Field(pattern=formats.IMAGE_ID)]  # an image the store uploaded to Nudge
Price = Annotated[int, Field(ge=0, le=formats.COMMERCE_PRICE_MAX)]


class Image(_Model):
    """A picture the store uploaded to Nudge (`POST /admin/stores/{store_id}/images`) and where a tap on it
    leads (a web link; without one Kakao opens its image viewer)."""

    id: ImageId
    link: str | None = None


class LinkSet(_Model):
    """Where a tap leads: a mobile and a PC web link, the app's own links (NHN linkMo / linkPc /
    schemeAndroid / schemeIos; Solapi linkMobile / linkPc / linkAndroid / linkIos)."""

    link_mo: str | None = None
    link_pc: str | None = None
    scheme_android: str | None = None
    scheme_ios: str | None = None


class Coupon(LinkSet):
    title: str  # one of the five fixed forms, e.g. "10% 할인 쿠폰"
    description: str


class Tail(LinkSet):
    """A carousel's "more" link (NHN / Solapi `carousel.tail`)."""


class Item(LinkSet):
    """An AlimTalk ITEM_LIST row (title, description) or a brand WIDE_ITEM_LIST item (title, image, links)."""

    title: str = ""
    description: str = ""
    image: ImageId | None = None


class Commerce(_Model):
    title: str | None = None
    regular_price: Price | None = None
    discount_price: Price | None = None
    discount_rate: Annotated[int, Field(ge=0, le=formats.DISCOUNT_RATE_MAX)] | None = None  # percent
    discount_fixed: Annotated[int, Field(ge=0, le=formats.DISCOUNT_FIXED_MAX)] | None = None  # won
    additional_info: str = ""  # NHN / Solapi `additionalContent`


class Card(_Model):
    """A carousel card, or a CAROUSEL_COMMERCE intro (head: header, text, image and the image's link)."""

    header: str = ""
    text: str = ""
    buttons: tuple[Button, ...] = ()
    image: Image | None = None
    commerce: Commerce | None = None
    coupon: Coupon | None = None


class Message(_Model):
    """One message definition (a campaign's or an automation step's), before any recipient."""

    message_class: MessageClass
    channel: Channel
    format: str | None = None  # sms: AUTO/SMS/LMS/MMS; Kakao: chat bubble type; AlimTalk: emphasis type
    content: str = ""  # required except where the bubble has none (formats.BubbleLimits.content)
    title: str | None = None  # LMS/MMS title, AlimTalk emphasis title / item-list header, brand header
    buttons: tuple[Button, ...] = ()
    coupon: Coupon | None = None
    items: tuple[Item, ...] = ()
    cards: tuple[Card, ...] = ()
    intro: Card | None = None  # CAROUSEL_COMMERCE intro card
    tail: Tail | None = None  # carousels: the "more" link
    commerce: Commerce | None = None
    image: Image | None = None  # IMAGE, WIDE and COMMERCE bubbles; an MMS's picture
    video_url: str | None = None
    video_thumbnail: ImageId | None = None  # PREMIUM_VIDEO
    # Set by Nudge when the definition is saved, never taken from a client: `image.id` when that image meets
    # the MMS rule, so a fallback may be an MMS (StoreSettings.fallback_mms). Image ids name their bytes, so
    # the fact cannot go stale. See `images.with_image_facts`.
    mms_image: ImageId | None = None
    targeting: Targeting | None = None  # brand messages; None means I
    promotion_group: str | None = None  # one ad of a promotion group per customer per day
    goods_kind: str | None = None  # for the existing-customer exemption ("same kind of goods")
    adult_only: bool = False  # youth-harmful content: age-verified adults only
    valid_until: AwareDatetime | None = None  # a deferral past this instant becomes `expired`
    on_quiet_hours: Literal["defer", "drop"] = "defer"
    fallback_sms: bool = False  # send a (complete, labelled) SMS/LMS if Kakao delivery fails
    fallback_text: str | None = None  # its body; default: the content and the first link
    # AlimTalk
    template_code: str | None = None
    # Ignored: whether the template is approved is read from the store's gateway (nudge.alimtalk), not said
    # here; kept so that definitions saved with it still read.
    template_approved: bool = False
    template_message_type: Literal["BA", "EX", "AD", "MI"] = "BA"
    extra_info: str = ""  # EX / MI templates: counted in the length

    # Caches filled on first use by `decide` (private attributes: not fields, not frozen).
    _prepared: Any = PrivateAttr(default=None)
    _renders: Any = PrivateAttr(default=None)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> "Message":
        """A copy without the caches: they describe the original (pydantic does not re-validate `update`)."""
        copy = super().model_copy(update=update, deep=deep)
        copy._prepared = None
        copy._renders = None
        return copy

    @property
    def bubble(self) -> str:
        return self.format or DEFAULT_FORMAT[self.channel]

    @property
    def is_ad(self) -> bool:
        return self.message_class == "advertising"


@dataclass(frozen=True, slots=True)
class Prepared:
    """What `decide` needs from a definition, computed once per Message object."""

    problems: tuple[Problem, ...]
    problem_reasons: tuple[Reason, ...]
    is_ad: bool
    consent_channel: str | None
    window: NightWindow | None
    has_variables: bool
    variables: tuple[str, ...]


def prepared(message: Message) -> Prepared:
    """The definition's store-independent checks and facts, cached on the (immutable) message."""
    private = message.__pydantic_private__  # direct: pydantic's __getattr__ for private names is slow
    cached = private["_prepared"] if private else None
    if cached is None:
        problems = tuple(_problems(message, None))
        texts = filled_texts(message)
        names = tuple(dict.fromkeys(name for _, text in texts for name in formats.variables_in(text)))
        cached = Prepared(
            problems=problems,
            problem_reasons=tuple(dict.fromkeys(problem.code for problem in problems)),
            is_ad=message.is_ad,
            consent_channel=CONSENT_CHANNEL[message.channel],
            window=night_window(message.channel, message.is_ad),
            has_variables=bool(names),
            variables=names,
        )
        message._prepared = cached
    return cached


def validate_message(
    definition: Message | Mapping[str, Any],
    store: StoreSettings | None = None,
    *,
    variables: Collection[str] | None = None,
    images: Mapping[str, ImageFacts] | None = None,
) -> list[Problem]:
    """Every problem in a message definition, each with its field path. Empty means it may be scheduled.

    With the store's settings, also the store-dependent rules: the ad label and 080 line must fit the SMS
    limits, an ad SMS needs an 080 number and a sender contact, M/N targeting needs the channel's approval.
    With `variables`, the names the sender can fill for this message's source: any other `#{variable}`
    without a declared fallback is `unfillable_variable`.
    With `images`, the facts of the store's uploaded images by id (`ImageStore.facts_of`): an image the
    message names that is not among them is `unknown_image`, one that breaks its use's rule `invalid_image`
    (compliance.images).
    """
    if isinstance(definition, Message):
        message = definition
    else:
        try:
            message = Message.model_validate(definition)
        except ValidationError as error:
            return [_from_pydantic(detail) for detail in error.errors()]
    problems = _problems(message, store)
    if variables is not None:
        _check_variables(message, variables, problems)
    if images is not None:
        problems += image_problems(message, images)
    return problems


def parse_message(definition: Mapping[str, Any], store: StoreSettings | None = None) -> Message:
    """The validated definition, or `MessageInvalid` carrying every problem."""
    try:
        message = Message.model_validate(definition)
    except ValidationError as error:
        raise MessageInvalid([_from_pydantic(detail) for detail in error.errors()]) from None
    problems = list(_problems(message, store))
    if problems:
        raise MessageInvalid(problems)
    return message


def field_path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "message"


def _from_pydantic(detail: Mapping[str, Any]) -> Problem:
    code = Reason.MISSING_FIELD if detail["type"] == "missing" else Reason.INVALID_MESSAGE
    return Problem(field_path(tuple(detail["loc"])), code, detail["msg"])


# --- The checks ------------------------------------------------------------------------------------------


def _problems(message: Message, store: StoreSettings | None) -> list[Problem]:
    out: list[Problem] = []
    channel = message.channel
    if not message.content.strip():
        if content_rule(message) == "required":
            out.append(Problem("content", Reason.MISSING_FIELD, "is empty"))
        elif message.fallback_sms and not (message.fallback_text or "").strip():
            out.append(
                Problem(
                    "fallback_text",
                    Reason.MISSING_FIELD,
                    f"{message.bubble} has no content to fall back on: write the fallback SMS's text",
                )
            )
    if message.is_ad:
        _check_advertising(message, out)
    else:
        _check_informational(message, out)
    if message.targeting is not None and channel != "brand_message":
        out.append(
            Problem("targeting", Reason.INVALID_MESSAGE, "M/N/I targeting exists for brand messages only")
        )
    if message.fallback_sms and channel not in ("alimtalk", *KAKAO_AD_CHANNELS):
        out.append(
            Problem("fallback_sms", Reason.INVALID_MESSAGE, "SMS fallback exists for Kakao messages only")
        )
    if channel == "sms":
        _check_sms(message, store, out)
    elif channel == "alimtalk":
        _check_alimtalk(message, out)
    elif channel in KAKAO_AD_CHANNELS:
        _check_kakao(labelled(message), store, out)  # lengths as shown: the ad label included
    if store is not None and message.is_ad and (channel == "sms" or message.fallback_sms):
        _check_store_for_ad_sms(store, out)
    _check_links(message, out)
    _check_variable_places(message, out)
    return out


def content_rule(message: Message) -> str:
    """ "required", "optional" or "none": whether this message's layout has a text of its own."""
    if message.channel in KAKAO_AD_CHANNELS:
        table = formats.BRAND_MESSAGE if message.channel == "brand_message" else formats.FRIENDTALK
        limits = table.get(message.bubble)
        if limits is not None:
            return limits.content
    return "required"


def _link_set(links_: LinkSet | Button | None, prefix: str) -> Iterator[tuple[str, str]]:
    if links_ is not None:
        for name in BUTTON_LINKS:
            value = getattr(links_, name)
            if value:
                yield f"{prefix}.{name}", value


def _button_links(buttons: tuple[Button, ...], prefix: str) -> Iterator[tuple[str, str]]:
    for i, button in enumerate(buttons):
        yield from _link_set(button, f"{prefix}[{i}]")


def _cards(message: Message) -> list[tuple[str, Card]]:
    cards = [(f"cards[{i}]", card) for i, card in enumerate(message.cards)]
    return [*cards, ("intro", message.intro)] if message.intro is not None else cards


def links_of(message: Message) -> Iterator[tuple[str, str]]:
    """(field, link) for every link the message carries: buttons, coupons, image links, the video, wide
    items' links, cards' (and the intro's) and the carousel tail's."""
    yield from _button_links(message.buttons, "buttons")
    yield from _link_set(message.coupon, "coupon")
    if message.image is not None and message.image.link:
        yield "image.link", message.image.link
    if message.video_url:
        yield "video_url", message.video_url
    for i, item in enumerate(message.items):
        yield from _link_set(item, f"items[{i}]")
    for prefix, card in _cards(message):
        if card.image is not None and card.image.link:
            yield f"{prefix}.image.link", card.image.link
        yield from _button_links(card.buttons, f"{prefix}.buttons")
        yield from _link_set(card.coupon, f"{prefix}.coupon")
    yield from _link_set(message.tail, "tail")


def _check_links(message: Message, out: list[Problem]) -> None:
    for field, link in links_of(message):
        app = field.rpartition(".")[2] in APP_LINKS
        if app and ".coupon." in f".{field}" and formats.CHANNEL_COUPON.match(link):
            continue  # a Kakao channel coupon (alimtalk=coupon://…): Kakao opens it itself
        problem = links.app_link_problem(link) if app else links.web_link_problem(link)
        if problem is not None:
            out.append(Problem(field, Reason.INVALID_LINK, problem))


def filled_texts(message: Message) -> list[tuple[str, str]]:
    """(field, text) for every field whose `#{variables}` the sender fills: the text a recipient reads
    (content, title, the fallback SMS's text) and, in AlimTalk, the rest of the approved template (extra
    info, button links), whose values go to the gateway as template parameters."""
    texts = [("content", message.content)]
    if message.title:
        texts.append(("title", message.title))
    if message.fallback_text:
        texts.append(("fallback_text", message.fallback_text))
    if message.channel == "alimtalk":
        if message.extra_info:
            texts.append(("extra_info", message.extra_info))
        texts += _button_links(message.buttons, "buttons")
    return texts


def _other_texts(message: Message) -> Iterator[tuple[str, str]]:
    """(field, text) for every other text of the definition (button names have their own rule)."""
    yield ("extra_info", message.extra_info)
    yield from links_of(message)
    for i, item in enumerate(message.items):
        yield from ((f"items[{i}].title", item.title), (f"items[{i}].description", item.description))
    coupons = [("coupon", message.coupon)]
    commerces = [("commerce", message.commerce)]
    for prefix, card in _cards(message):
        yield from ((f"{prefix}.header", card.header), (f"{prefix}.text", card.text))
        commerces.append((f"{prefix}.commerce", card.commerce))
        coupons.append((f"{prefix}.coupon", card.coupon))
    for prefix, coupon in coupons:
        if coupon is not None:
            yield from ((f"{prefix}.title", coupon.title), (f"{prefix}.description", coupon.description))
    for prefix, commerce in commerces:
        if commerce is not None:
            yield f"{prefix}.title", commerce.title or ""
            yield f"{prefix}.additional_info", commerce.additional_info


def _check_variable_places(message: Message, out: list[Problem]) -> None:
    filled = {field for field, _ in filled_texts(message)}
    for field, text in _other_texts(message):
        if field in filled or "#{" not in text:
            continue
        names = formats.variables_in(text)
        if names:
            out.append(
                Problem(
                    field,
                    Reason.UNFILLABLE_VARIABLE,
                    f"#{{{names[0]}}} would reach the customer as written: variables are filled in content, "
                    "title and fallback_text (in AlimTalk also extra_info and button links)",
                )
            )


def _check_variables(message: Message, variables: Collection[str], out: list[Problem]) -> None:
    known = ", ".join(sorted(variables)) or "none"
    for field, text in filled_texts(message):
        seen: set[str] = set()
        for token in formats.variables_in(text):
            name, fallback = formats.variable_parts(token)
            if fallback is not None or name in variables or name in seen:
                continue
            seen.add(name)
            out.append(
                Problem(
                    field,
                    Reason.UNFILLABLE_VARIABLE,
                    f"#{{{token}}}: nothing Nudge knows when it sends this message fills {name!r} "
                    f"(it fills {known}); use one of those, or declare a fallback: #{{{name}|…}}",
                )
            )


def _texts(message: Message) -> list[tuple[str, str]]:
    """(field, text) for every text a recipient reads."""
    texts = [("content", message.content)]
    if message.title:
        texts.append(("title", message.title))
    texts += [(f"buttons[{i}].name", button.name) for i, button in enumerate(message.buttons)]
    texts += [(f"items[{i}].title", item.title) for i, item in enumerate(message.items)]
    texts += [(f"items[{i}].description", item.description) for i, item in enumerate(message.items)]
    for i, card in enumerate(message.cards):
        texts += [(f"cards[{i}].header", card.header), (f"cards[{i}].text", card.text)]
    if message.extra_info:
        texts.append(("extra_info", message.extra_info))
    if message.fallback_text:
        texts.append(("fallback_text", message.fallback_text))
    return texts


def _check_informational(message: Message, out: list[Problem]) -> None:
    if message.channel in KAKAO_AD_CHANNELS:
        out.append(
            Problem("message_class", Reason.INVALID_MESSAGE, "brand messages and FriendTalk are advertising")
        )
    for field, text in _texts(message):
        words = promotional_words(text)
        if words:
            out.append(
                Problem(
                    field,
                    Reason.PROMOTIONAL_CONTENT_IN_INFORMATIONAL,
                    f"promotional content ({', '.join(words)}) makes the whole message advertising: "
                    "remove it or send it as an ad",
                )
            )
    if message.coupon is not None:
        out.append(
            Problem(
                "coupon",
                Reason.PROMOTIONAL_CONTENT_IN_INFORMATIONAL,
                "a coupon makes the message advertising",
            )
        )


def _check_advertising(message: Message, out: list[Problem]) -> None:
    if message.channel == "alimtalk":
        out.append(
            Problem(
                "message_class",
                Reason.ALIMTALK_NOT_INFORMATIONAL,
                "AlimTalk carries informational messages only; send ads as brand messages or ad SMS",
            )
        )
    for field in ("content", "title", "fallback_text"):
        text = getattr(message, field) or ""
        label = labelling.handwritten_label(text)
        if label:
            out.append(
                Problem(
                    field,
                    Reason.INVALID_AD_LABEL,
                    f"remove {label!r}: Nudge writes the '(광고)' label itself",
                )
            )
        optout = labelling.handwritten_optout(text)
        if optout and message.channel in ("sms", *KAKAO_AD_CHANNELS):
            out.append(
                Problem(
                    field, Reason.INVALID_AD_LABEL, f"remove {optout!r}: Nudge writes the 080 opt-out line"
                )
            )


def _check_store_for_ad_sms(store: StoreSettings, out: list[Problem]) -> None:
    if store.optout_080_number is None:
        out.append(
            Problem(
                "store.optout_080_number",
                Reason.MISSING_OPTOUT_NUMBER,
                "an ad SMS needs the store's free 080 opt-out number",
            )
        )
    if not store.contact_phone:
        out.append(
            Problem(
                "store.contact_phone", Reason.MISSING_SENDER_CONTACT, "an ad SMS needs the sender's contact"
            )
        )


def _check_encodable(field: str, text: str, out: list[Problem]) -> bool:
    bad = formats.unsupported_characters(text)
    if bad:
        shown = ", ".join(f"{char!r} (U+{ord(char):04X})" for char in bad[:5])
        out.append(
            Problem(field, Reason.UNSUPPORTED_CHARACTER, f"cannot be sent by SMS (not EUC-KR): {shown}")
        )
    return not bad


def _check_sms(message: Message, store: StoreSettings | None, out: list[Problem]) -> None:
    requested = message.bubble
    if requested not in formats.SMS_FORMATS:
        out.append(
            Problem("format", Reason.INVALID_MESSAGE, f"SMS format must be one of {formats.SMS_FORMATS}")
        )
        return
    if message.buttons or message.coupon or message.items or message.cards:
        out.append(Problem("buttons", Reason.INVALID_MESSAGE, "SMS/LMS carries text only"))
    if requested == "MMS":  # an MMS is an LMS with one picture [NHN-SMS "MMS 발송"; Solapi MMS imageId]
        if message.image is None:
            out.append(
                Problem("image", Reason.MISSING_FIELD, "an MMS needs an image (a JPEG uploaded to Nudge)")
            )
        elif message.image.link:
            out.append(Problem("image.link", Reason.INVALID_MESSAGE, "an MMS picture cannot carry a link"))
    elif message.image is not None:
        out.append(
            Problem("image", Reason.INVALID_MESSAGE, "only an MMS carries an image: set format to MMS")
        )
    title = formats.without_variables(message.title or "")
    if title and _check_encodable("title", title, out):
        title_bytes = formats.sms_bytes(title) or 0
        if title_bytes > formats.LMS_TITLE_MAX_BYTES:
            out.append(
                Problem(
                    "title",
                    Reason.TOO_LONG,
                    f"{title_bytes} bytes; an LMS title allows at most "
                    f"{formats.LMS_TITLE_MAX_BYTES} bytes (EUC-KR)",
                )
            )
    body = formats.without_variables(message.content)
    if not _check_encodable("content", body, out):
        return
    labelled = message.is_ad and store is not None and store.optout_080_number is not None
    if labelled:
        assert store is not None and store.optout_080_number is not None
        body = labelling.label_ad_sms(body, store.name, store.optout_080_number)
    size = formats.sms_bytes(body) or 0
    if formats.choose_sms_kind(size, bool(title), requested) is None:
        limit = formats.SMS_MAX_BYTES if requested == "SMS" else formats.LMS_MAX_BYTES
        kind = "SMS" if requested == "SMS" else "LMS"
        after = " with the ad label and opt-out line" if labelled else ""
        detail = " (an SMS has no title)" if requested == "SMS" and title else ""
        out.append(
            Problem(
                "content",
                Reason.TOO_LONG,
                f"{size} bytes{after}; {kind} allows at most {limit} bytes (EUC-KR){detail}",
            )
        )


def _check_buttons_common(
    buttons: tuple[Button, ...], prefix: str, name_max: int, out: list[Problem], kind: str
) -> None:
    for i, button in enumerate(buttons):
        if len(button.name) > name_max:
            out.append(
                Problem(
                    f"{prefix}[{i}].name",
                    Reason.TOO_LONG,
                    f"{len(button.name)} characters; {kind} button names allow at most {name_max}",
                )
            )
        if "#{" in button.name:
            out.append(
                Problem(
                    f"{prefix}[{i}].name",
                    Reason.VARIABLE_IN_BUTTON_NAME,
                    "button names cannot hold variables",
                )
            )


def _check_alimtalk(message: Message, out: list[Problem]) -> None:
    if not message.template_code:
        out.append(Problem("template_code", Reason.MISSING_FIELD, "AlimTalk sends approved templates only"))
    emphasis = message.bubble
    if emphasis not in formats.ALIMTALK_EMPHASIS_TYPES:
        out.append(
            Problem(
                "format",
                Reason.INVALID_MESSAGE,
                f"AlimTalk emphasis must be one of {formats.ALIMTALK_EMPHASIS_TYPES}",
            )
        )
    names = formats.variables_in(message.content + message.extra_info)
    if len(names) > formats.ALIMTALK_MAX_VARIABLES:
        out.append(
            Problem(
                "content",
                Reason.TOO_MANY,
                f"{len(names)} variables; an AlimTalk template allows at most "
                f"{formats.ALIMTALK_MAX_VARIABLES}",
            )
        )
    limit = alimtalk_limit(message)
    length = len(formats.without_variables(message.content)) + len(
        formats.without_variables(message.extra_info)
    )
    if length > limit:
        out.append(
            Problem(
                "content",
                Reason.TOO_LONG,
                f"{length} characters; this AlimTalk template allows at most {limit}",
            )
        )
    if len(message.buttons) > formats.ALIMTALK_MAX_BUTTONS:
        out.append(
            Problem(
                f"buttons[{formats.ALIMTALK_MAX_BUTTONS}]",
                Reason.TOO_MANY,
                f"AlimTalk allows at most {formats.ALIMTALK_MAX_BUTTONS} buttons",
            )
        )
    _check_buttons_common(message.buttons, "buttons", formats.BUTTON_NAME_MAX_CHARS, out, "AlimTalk")
    if message.template_message_type in ("AD", "MI"):
        first = message.buttons[0] if message.buttons else None
        if first is None or (first.type, first.name) != formats.CHANNEL_ADD_BUTTON:
            out.append(
                Problem(
                    "buttons[0]",
                    Reason.CHANNEL_ADD_BUTTON_FIRST,
                    f"{message.template_message_type} templates start with the AC '채널 추가' button",
                )
            )
    if emphasis == "TEXT" and len(message.title or "") > formats.ALIMTALK_EMPHASIS_TITLE_MAX:
        out.append(
            Problem(
                "title",
                Reason.TOO_LONG,
                f"emphasis titles allow at most {formats.ALIMTALK_EMPHASIS_TITLE_MAX}",
            )
        )
    if emphasis == "ITEM_LIST":
        if len(message.title or "") > formats.ALIMTALK_ITEM_LIST_HEADER_MAX:
            out.append(
                Problem(
                    "title",
                    Reason.TOO_LONG,
                    f"item-list headers allow at most {formats.ALIMTALK_ITEM_LIST_HEADER_MAX}",
                )
            )
        low, high = formats.ALIMTALK_ITEM_LIST_ITEMS
        _check_count("items", len(message.items), low, high, "AlimTalk item lists", "items", out)
        for i, item in enumerate(message.items):
            if len(item.title) > formats.ALIMTALK_ITEM_TITLE_MAX:
                out.append(
                    Problem(
                        f"items[{i}].title",
                        Reason.TOO_LONG,
                        f"at most {formats.ALIMTALK_ITEM_TITLE_MAX} characters",
                    )
                )
            if len(item.description) > formats.ALIMTALK_ITEM_DESCRIPTION_MAX:
                out.append(
                    Problem(
                        f"items[{i}].description",
                        Reason.TOO_LONG,
                        f"at most {formats.ALIMTALK_ITEM_DESCRIPTION_MAX} characters",
                    )
                )


def alimtalk_limit(message: Message) -> int:
    """Characters an AlimTalk may hold after variables: 1,000 (700 for item lists), less the channel-add
    notice's reserve for AD/MI templates."""
    limit = (
        formats.ALIMTALK_ITEM_LIST_MAX_CHARS if message.bubble == "ITEM_LIST" else formats.ALIMTALK_MAX_CHARS
    )
    if message.template_message_type in ("AD", "MI"):
        limit -= formats.ALIMTALK_CHANNEL_ADD_RESERVE
    return limit


def _check_count(
    field: str, count: int, low: int, high: int, what: str, noun: str, out: list[Problem]
) -> None:
    if count > high:
        out.append(Problem(f"{field}[{high}]", Reason.TOO_MANY, f"{what} allow at most {high} {noun}"))
    elif count < low:
        out.append(Problem(field, Reason.TOO_FEW, f"{what} need at least {low} {noun}"))


def labelled(message: Message) -> Message:
    """The definition as the customer's phone shows it, for the parts other than its content: a
    brand-message ad whose layout has no text of its own (WIDE_ITEM_LIST, COMMERCE, the carousels: formats
    `content="none"`) carries "(광고)" at the start of the first text the bubble shows (§50 ④: the label
    leads the message), which its length limits then count. Any other message is returned as it is (its
    content is labelled on render)."""
    if not message.is_ad or message.channel != "brand_message":
        return message
    if labelling.GATEWAY_ADDS_AD_LABEL.get(message.channel, False):
        return message
    limits = formats.BRAND_MESSAGE.get(message.bubble)
    if limits is None or limits.content != "none":
        return message

    def label(text: str) -> str:
        return labelling.label_kakao_ad(text, message.channel).rstrip()

    bubble = message.bubble
    if bubble == "WIDE_ITEM_LIST":  # a missing header stays missing: validate_message asks for one
        return message.model_copy(update={"title": label(message.title)}) if message.title else message
    if bubble == "CAROUSEL_COMMERCE" and message.intro is not None:
        intro = message.intro.model_copy(update={"header": label(message.intro.header)})
        return message.model_copy(update={"intro": intro})
    if bubble == "CAROUSEL_FEED" and message.cards:
        first = message.cards[0].model_copy(update={"header": label(message.cards[0].header)})
        return message.model_copy(update={"cards": (first, *message.cards[1:])})
    if bubble == "CAROUSEL_COMMERCE" and message.cards and message.cards[0].commerce is not None:
        commerce = message.cards[0].commerce
        shown = commerce.model_copy(update={"additional_info": label(commerce.additional_info)})
        first = message.cards[0].model_copy(update={"commerce": shown})
        return message.model_copy(update={"cards": (first, *message.cards[1:])})
    if bubble == "COMMERCE" and message.commerce is not None:
        shown = message.commerce.model_copy(
            update={"additional_info": label(message.commerce.additional_info)}
        )
        return message.model_copy(update={"commerce": shown})
    return message


def kakao_content(message: Message) -> str:
    """The Kakao ad content as it will be sent (variables aside): labelled where the gateway does not."""
    return labelling.label_kakao_ad(message.content, message.channel) if message.is_ad else message.content


def _check_kakao(message: Message, store: StoreSettings | None, out: list[Problem]) -> None:
    """Brand messages (and legacy FriendTalk) per chat bubble: the fields each layout has and their limits
    [NHN-BM friendtalkupgrade-api-guide "freestyle-messages"; Solapi bmsConstraints.ts; kakao-rich-messages.md
    §1.1]. A field the layout does not have is refused rather than silently dropped at the gateway."""
    table = formats.BRAND_MESSAGE if message.channel == "brand_message" else formats.FRIENDTALK
    kind = "brand message" if message.channel == "brand_message" else "FriendTalk"
    bubble = message.bubble
    limits = table.get(bubble)
    if limits is None:
        out.append(Problem("format", Reason.INVALID_MESSAGE, f"{kind} format must be one of {tuple(table)}"))
        return
    what = f"{kind} {bubble}"
    if limits.content == "none":
        if message.content.strip():
            out.append(
                Problem("content", Reason.INVALID_MESSAGE, f"{what} has no text of its own: remove content")
            )
    else:
        _check_kakao_content(message, limits, what, out)
    _check_kakao_button_count(message, limits, what, out)
    _check_kakao_buttons(message, message.buttons, "buttons", limits, what, out)
    if limits.needs_image and message.image is None:
        out.append(Problem("image", Reason.MISSING_FIELD, f"{what} needs an image"))
    elif not limits.needs_image and message.image is not None:
        out.append(
            Problem("image", Reason.INVALID_MESSAGE, f"{what} has no image: use IMAGE, WIDE or COMMERCE")
        )
    _check_header(message, limits, what, out)
    if limits.items is not None:
        _check_items(message, limits, what, out)
    elif message.items:
        out.append(Problem("items", Reason.INVALID_MESSAGE, f"{what} has no items"))
    _check_carousel(message, limits, what, out)
    if limits.commerce_required and limits.cards is None:
        _check_commerce(message.commerce, "commerce", limits, what, out)
    elif message.commerce is not None:
        out.append(Problem("commerce", Reason.INVALID_MESSAGE, f"{what} has no product block"))
    if limits.video_required:
        video = message.video_url
        if not (video and formats.KAKAO_TV_URL.match(video)):
            out.append(Problem("video_url", Reason.MISSING_FIELD, f"{what} needs a Kakao TV video URL"))
        elif len(video) > formats.VIDEO_URL_MAX:
            out.append(
                Problem(
                    "video_url",
                    Reason.TOO_LONG,
                    f"video URLs allow at most {formats.VIDEO_URL_MAX} characters",
                )
            )
    elif message.video_thumbnail is not None:
        out.append(Problem("video_thumbnail", Reason.INVALID_MESSAGE, f"{what} has no video"))
    if message.coupon is not None:
        _check_coupon(message.coupon, "coupon", limits, what, out)
    _check_targeting(message, store, out)


def _check_kakao_content(
    message: Message, limits: formats.BubbleLimits, what: str, out: list[Problem]
) -> None:
    content = formats.without_variables(kakao_content(message))
    if limits.content_max is not None and len(content) > limits.content_max:
        out.append(
            Problem(
                "content",
                Reason.TOO_LONG,
                f"{len(content)} characters; {what} allows at most {limits.content_max}",
            )
        )
    if limits.line_breaks_max is not None and content.count("\n") > limits.line_breaks_max:
        out.append(
            Problem("content", Reason.TOO_LONG, f"{what} allows at most {limits.line_breaks_max} line breaks")
        )


def _check_kakao_button_count(
    message: Message, limits: formats.BubbleLimits, what: str, out: list[Problem]
) -> None:
    buttons_max = limits.buttons_max
    with_coupon = message.coupon is not None and limits.buttons_max_with_coupon is not None
    if with_coupon:
        assert limits.buttons_max_with_coupon is not None
        buttons_max = limits.buttons_max_with_coupon
    if len(message.buttons) > buttons_max:
        suffix = " with a coupon" if with_coupon else ""
        out.append(
            Problem(
                f"buttons[{buttons_max}]",
                Reason.TOO_MANY,
                f"{what} allows at most {buttons_max} buttons{suffix}",
            )
        )
    elif len(message.buttons) < limits.buttons_min:
        out.append(Problem("buttons", Reason.TOO_FEW, f"{what} needs at least {limits.buttons_min} button"))


def _check_header(message: Message, limits: formats.BubbleLimits, what: str, out: list[Problem]) -> None:
    """The bubble's header, Nudge's `title`: WIDE_ITEM_LIST requires one, PREMIUM_VIDEO may have one; ≤20
    characters and no line break [NHN-BM "header"]."""
    if limits.header_max is None:
        return
    title = message.title or ""
    if limits.header_required and not title.strip():
        out.append(
            Problem(
                "title",
                Reason.MISSING_FIELD,
                f"{what} needs a header of at most {limits.header_max} characters",
            )
        )
    elif len(title) > limits.header_max:
        out.append(
            Problem("title", Reason.TOO_LONG, f"{what} headers allow at most {limits.header_max} characters")
        )
    elif "\n" in title:
        out.append(Problem("title", Reason.TOO_LONG, f"{what} headers allow no line break"))


def _check_items(message: Message, limits: formats.BubbleLimits, what: str, out: list[Problem]) -> None:
    """WIDE_ITEM_LIST: 3–4 items, each an image and a mobile link; the first item's title is optional (≤25),
    the others' required (≤30), one line break each [NHN-BM "item.list"; Solapi mainWideItem /
    subWideItemList]."""
    assert limits.items is not None
    _check_count("items", len(message.items), *limits.items, what, "items", out)
    for i, item in enumerate(message.items):
        field = f"items[{i}]"
        cap = limits.first_item_title_max if i == 0 else limits.item_title_max
        if cap is not None and len(item.title) > cap:
            out.append(Problem(f"{field}.title", Reason.TOO_LONG, f"{what} item titles allow at most {cap}"))
        if not limits.item_links_required:
            continue
        if i > 0 and not item.title.strip():
            out.append(
                Problem(f"{field}.title", Reason.MISSING_FIELD, f"{what} items after the first need a title")
            )
        if item.title.count("\n") > formats.ITEM_TITLE_LINE_BREAKS_MAX:
            out.append(
                Problem(
                    f"{field}.title",
                    Reason.TOO_LONG,
                    f"{what} item titles allow at most {formats.ITEM_TITLE_LINE_BREAKS_MAX} line break",
                )
            )
        if item.description:
            out.append(
                Problem(f"{field}.description", Reason.INVALID_MESSAGE, f"{what} items have no description")
            )
        if item.image is None:
            out.append(Problem(f"{field}.image", Reason.MISSING_FIELD, f"{what} items need an image"))
        if not item.link_mo:
            out.append(
                Problem(f"{field}.link_mo", Reason.MISSING_FIELD, f"{what} items need a mobile web link")
            )


def _check_carousel(message: Message, limits: formats.BubbleLimits, what: str, out: list[Problem]) -> None:
    if limits.cards is None:
        for field in ("cards", "intro", "tail"):
            if getattr(message, field):
                out.append(
                    Problem(field, Reason.INVALID_MESSAGE, f"{what} is not a carousel: it has no {field}")
                )
        return
    intro = message.intro if limits.intro else None
    low, high = limits.cards_with_intro if intro is not None and limits.cards_with_intro else limits.cards
    _check_count("cards", len(message.cards), low, high, what, "cards", out)
    for i, card in enumerate(message.cards):
        _check_card(card, f"cards[{i}]", limits, what, out)
    if message.intro is not None:
        if not limits.intro:
            out.append(
                Problem("intro", Reason.INVALID_MESSAGE, f"{what} has no intro: only CAROUSEL_COMMERCE has")
            )
        else:
            _check_intro(message.intro, what, out)
    # The "more" link needs its mobile link [NHN-BM "carousel.tail.linkMo: required when using tail"].
    if message.tail is not None and not message.tail.link_mo:
        out.append(
            Problem("tail.link_mo", Reason.MISSING_FIELD, f"a {what} 'more' link needs a mobile web link")
        )


def _check_intro(intro: Card, what: str, out: list[Problem]) -> None:
    """The CAROUSEL_COMMERCE head: header ≤20, content ≤50, an image; its link is the image's [NHN-BM
    "carousel.head"]."""
    if not intro.header.strip():
        out.append(Problem("intro.header", Reason.MISSING_FIELD, f"a {what} intro needs a header"))
    elif len(intro.header) > formats.INTRO_HEADER_MAX:
        out.append(
            Problem(
                "intro.header", Reason.TOO_LONG, f"intro headers allow at most {formats.INTRO_HEADER_MAX}"
            )
        )
    if len(intro.text) > formats.INTRO_TEXT_MAX:
        out.append(
            Problem("intro.text", Reason.TOO_LONG, f"intro texts allow at most {formats.INTRO_TEXT_MAX}")
        )
    if intro.image is None:
        out.append(Problem("intro.image", Reason.MISSING_FIELD, f"a {what} intro needs an image"))
    for field in ("buttons", "commerce", "coupon"):
        if getattr(intro, field):
            out.append(Problem(f"intro.{field}", Reason.INVALID_MESSAGE, f"a {what} intro has no {field}"))


def _check_targeting(message: Message, store: StoreSettings | None, out: list[Problem]) -> None:
    targeting = message.targeting or "I"
    if message.channel == "brand_message" and targeting in ("M", "N") and store is not None:
        if not store.mn_targeting_approved:
            out.append(
                Problem(
                    "targeting",
                    Reason.TARGETING_NOT_APPROVED,
                    f"targeting {targeting} needs the channel's M/N approval (gateway code 1028)",
                )
            )
        if store.optout_080_number is None:
            out.append(
                Problem(
                    "store.optout_080_number",
                    Reason.MISSING_OPTOUT_NUMBER,
                    f"targeting {targeting} needs an 080 number on the sender profile",
                )
            )


def _check_coupon(
    coupon: Coupon, field: str, limits: formats.BubbleLimits, what: str, out: list[Problem]
) -> None:
    """A coupon: one of five title forms; a description ≤12 (≤18 for WIDE, WIDE_ITEM_LIST, PREMIUM_VIDEO)
    without line breaks; a mobile link unless it is a channel coupon (`alimtalk=coupon://` in a scheme)
    [NHN-BM "coupon"]."""
    if not formats.is_valid_coupon_title(coupon.title):
        out.append(
            Problem(
                f"{field}.title",
                Reason.INVALID_COUPON,
                "coupon titles take one of five forms: 'N원 할인 쿠폰', 'N% 할인 쿠폰', "
                "'배송비 할인 쿠폰', 'OOO 무료 쿠폰', 'OOO UP 쿠폰'",
            )
        )
    if len(coupon.description) > limits.coupon_description_max:
        out.append(
            Problem(
                f"{field}.description",
                Reason.TOO_LONG,
                f"{what} coupon descriptions allow at most {limits.coupon_description_max} characters",
            )
        )
    elif "\n" in coupon.description:
        out.append(
            Problem(f"{field}.description", Reason.TOO_LONG, "coupon descriptions allow no line break")
        )
    channel_coupon = any(
        formats.CHANNEL_COUPON.match(scheme or "") for scheme in (coupon.scheme_android, coupon.scheme_ios)
    )
    if not coupon.link_mo and not channel_coupon:
        out.append(
            Problem(
                f"{field}.link_mo",
                Reason.MISSING_FIELD,
                "a coupon needs a mobile web link (or a channel coupon alimtalk=coupon://… as an app link)",
            )
        )


def _check_kakao_buttons(
    message: Message,
    buttons: tuple[Button, ...],
    prefix: str,
    limits: formats.BubbleLimits,
    what: str,
    out: list[Problem],
) -> None:
    _check_buttons_common(buttons, prefix, limits.button_name_max, out, what)
    for i, button in enumerate(buttons):
        if limits.button_types is not None and button.type not in limits.button_types:
            out.append(
                Problem(f"{prefix}[{i}].type", Reason.INVALID_BUTTON, f"{what} buttons must be WL or AL")
            )
        if button.type == "AC" and (
            message.channel != "brand_message" or message.targeting not in ("M", "N")
        ):
            out.append(
                Problem(
                    f"{prefix}[{i}].type", Reason.INVALID_BUTTON, "the AC channel-add button is for M/N only"
                )
            )
        if button.type == "BF" and i != 0:
            out.append(Problem(f"{prefix}[{i}].type", Reason.INVALID_BUTTON, "a BF button must be the first"))


def _check_card(card: Card, prefix: str, limits: formats.BubbleLimits, what: str, out: list[Problem]) -> None:
    """A carousel card: CAROUSEL_FEED cards have a header (≤20) and a message (≤180); CAROUSEL_COMMERCE
    cards a product block instead; every card an image, 1–2 link buttons and perhaps a coupon [NHN-BM
    "carousel.list"]."""
    for field, cap in (("header", limits.card_header_max), ("text", limits.card_text_max)):
        value: str = getattr(card, field)
        if cap is None:
            if value:
                out.append(
                    Problem(f"{prefix}.{field}", Reason.INVALID_MESSAGE, f"{what} cards have no {field}")
                )
        elif len(value) > cap:
            out.append(
                Problem(f"{prefix}.{field}", Reason.TOO_LONG, f"{what} card {field}s allow at most {cap}")
            )
        elif limits.card_text_required and not value.strip():
            out.append(Problem(f"{prefix}.{field}", Reason.MISSING_FIELD, f"{what} cards need a {field}"))
    if card.image is None and limits.content == "none":
        out.append(Problem(f"{prefix}.image", Reason.MISSING_FIELD, f"{what} cards need an image"))
    if limits.card_buttons is not None:
        low, high = limits.card_buttons
        _check_count(f"{prefix}.buttons", len(card.buttons), low, high, f"{what} cards", "buttons", out)
    _check_buttons_common(card.buttons, f"{prefix}.buttons", limits.button_name_max, out, what)
    if limits.button_types is not None:
        for i, button in enumerate(card.buttons):
            if button.type not in limits.button_types:
                out.append(
                    Problem(
                        f"{prefix}.buttons[{i}].type",
                        Reason.INVALID_BUTTON,
                        f"{what} buttons must be WL or AL",
                    )
                )
    if limits.commerce_required:
        _check_commerce(card.commerce, f"{prefix}.commerce", limits, what, out)
    elif card.commerce is not None:
        out.append(
            Problem(f"{prefix}.commerce", Reason.INVALID_MESSAGE, f"{what} cards have no product block")
        )
    if card.coupon is not None:
        _check_coupon(card.coupon, f"{prefix}.coupon", limits, what, out)


def _check_commerce(
    commerce: Commerce | None, field: str, limits: formats.BubbleLimits, what: str, out: list[Problem]
) -> None:
    """A product block: title ≤30 without line break and a regular price required; a discount price comes
    with exactly one of a discount rate and a fixed discount; additional info ≤34 with one line break [NHN-BM
    "commerce": "If discountPrice is set, exactly one of discountRate / discountFixed is required"]."""
    if commerce is None:
        out.append(Problem(field, Reason.MISSING_FIELD, f"{what} needs a product title and a regular price"))
        return
    title = commerce.title or ""
    if not title.strip():
        out.append(Problem(f"{field}.title", Reason.MISSING_FIELD, f"{what} needs a product title"))
    elif len(title) > formats.COMMERCE_TITLE_MAX or "\n" in title:
        out.append(
            Problem(
                f"{field}.title",
                Reason.TOO_LONG,
                f"product titles allow at most {formats.COMMERCE_TITLE_MAX} characters and no line break",
            )
        )
    if commerce.regular_price is None:
        out.append(Problem(f"{field}.regular_price", Reason.MISSING_FIELD, f"{what} needs a regular price"))
    discounts = [name for name in ("discount_rate", "discount_fixed") if getattr(commerce, name) is not None]
    if commerce.discount_price is not None and len(discounts) != 1:
        out.append(
            Problem(
                f"{field}.discount_rate",
                Reason.INVALID_MESSAGE,
                "a discount_price needs exactly one of discount_rate and discount_fixed"
                + (" (both are given)" if discounts else ""),
            )
        )
    elif commerce.discount_price is None and discounts:
        out.append(
            Problem(
                f"{field}.discount_price", Reason.MISSING_FIELD, f"{discounts[0]} needs the discount_price"
            )
        )
    info = commerce.additional_info
    if limits.additional_info_max is not None and len(info) > limits.additional_info_max:
        out.append(
            Problem(
                f"{field}.additional_info",
                Reason.TOO_LONG,
                f"{what} additional info allows at most {limits.additional_info_max} characters",
            )
        )
    elif info.count("\n") > formats.ADDITIONAL_INFO_LINE_BREAKS_MAX:
        out.append(
            Problem(
                f"{field}.additional_info",
                Reason.TOO_LONG,
                f"additional info allows at most {formats.ADDITIONAL_INFO_LINE_BREAKS_MAX} line break",
            )
        )
