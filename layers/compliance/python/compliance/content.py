"""The final content of one send: variables filled in, the ad label written, SMS or LMS chosen.

Nothing is ever truncated: a text over its limit is refused (`too_long`), a character outside EUC-KR in an
SMS is refused (`unsupported_character`).
"""

from collections.abc import Mapping
from dataclasses import dataclass

from compliance import formats, labelling
from compliance.message import KAKAO_AD_CHANNELS, Message, Prepared, alimtalk_limit, prepared
from compliance.problems import MessageInvalid, Problem
from compliance.reasons import Reason
from compliance.settings import StoreSettings

_KINDS = {
    "alimtalk": "ALIMTALK",
    "brand_message": "BRAND_MESSAGE",
    "friendtalk": "FRIENDTALK",
    "push": "PUSH",
    "email": "EMAIL",
}


@dataclass(frozen=True, slots=True)
class Content:
    kind: str  # SMS, LMS, MMS, ALIMTALK, BRAND_MESSAGE, FRIENDTALK, PUSH, EMAIL
    text: str  # final text; ad SMS/LMS: "(광고)" + store name … "무료수신거부 080-…"
    is_ad: bool  # the gateway's ad flag (FriendTalk `isAd`); SMS ads go through the ad-SMS API
    title: str | None = None
    byte_length: int | None = None  # SMS/LMS/MMS body bytes (EUC-KR)
    sender_number: str | None = None  # SMS/LMS: the registered sender number (the sender's contact)
    optout_number: str | None = None  # the 080 number written into an ad SMS
    targeting: str | None = None  # brand messages: I, M or N
    image_id: str | None = None  # MMS: the picture (an image uploaded to Nudge, nudge.images)


def fill(text: str, variables: Mapping[str, str]) -> str:
    """Substitute `#{name}`; a missing value raises KeyError."""
    if "#{" not in text:
        return text
    return formats.VARIABLE.sub(lambda found: variables[found.group(1)], text)


def render(
    message: Message, store: StoreSettings, variables: Mapping[str, str], prep: Prepared | None = None
) -> Content | Reason:
    """The content to send, or the reason it cannot be sent. Cached per store when there are no variables."""
    prep = prep or prepared(message)
    if not prep.has_variables:
        private = message.__pydantic_private__
        cache: dict[tuple[str, str | None, str | None], Content | Reason] | None = (
            private["_renders"] if private else None
        )
        key = (store.name, store.optout_080_number, store.contact_phone)
        if cache is None:
            cache = message._renders = {}
        found = cache.get(key)
        if found is None:
            found = cache[key] = _render(message, store, message.content, message.title)
        return found
    try:
        text, title = (
            fill(message.content, variables),
            fill(message.title, variables) if message.title else None,
        )
    except KeyError:
        return Reason.MISSING_VARIABLE
    return _render(message, store, text, title)


def _render(message: Message, store: StoreSettings, text: str, title: str | None) -> Content | Reason:
    channel, is_ad = message.channel, message.is_ad
    if channel == "sms":
        image = message.image.id if message.bubble == "MMS" and message.image is not None else None
        return sms_content(text, title, is_ad, store, message.bubble, image_id=image)
    if channel in KAKAO_AD_CHANNELS:
        limits = (formats.BRAND_MESSAGE if channel == "brand_message" else formats.FRIENDTALK)[message.bubble]
        if is_ad and limits.content != "none":  # a layout without content shows the label elsewhere: labelled
            text = labelling.label_kakao_ad(text, channel)
        if limits.content_max is not None and len(text) > limits.content_max:
            return Reason.TOO_LONG
        targeting = (message.targeting or "I") if channel == "brand_message" else None
        return Content(_KINDS[channel], text, is_ad, title, targeting=targeting)
    if channel == "alimtalk" and len(text) + len(message.extra_info) > alimtalk_limit(message):
        return Reason.TOO_LONG
    return Content(_KINDS[channel], text, is_ad, title)


def sms_content(
    body: str,
    title: str | None,
    is_ad: bool,
    store: StoreSettings,
    requested: str = "AUTO",
    *,
    image_id: str | None = None,
) -> Content | Reason:
    """An SMS/LMS, or an MMS when it carries an image: labelled like an LMS when it is an ad (the store must
    have its 080 number), sized in EUC-KR bytes (an MMS's text has the LMS limits)."""
    if image_id is not None:
        requested = "MMS"
    optout = store.optout_080_number
    if is_ad:
        if optout is None:
            return Reason.MISSING_OPTOUT_NUMBER
        body = labelling.label_ad_sms(body, store.name, optout)
    size = formats.sms_bytes(body)
    if size is None:
        return Reason.UNSUPPORTED_CHARACTER
    if title:
        title_size = formats.sms_bytes(title)
        if title_size is None:
            return Reason.UNSUPPORTED_CHARACTER
        if title_size > formats.LMS_TITLE_MAX_BYTES:
            return Reason.TOO_LONG
    kind = formats.choose_sms_kind(size, bool(title), requested)
    if kind is None:
        return Reason.TOO_LONG
    return Content(
        kind,
        body,
        is_ad,
        title if kind != "SMS" else None,
        byte_length=size,
        sender_number=store.contact_phone,
        optout_number=optout if is_ad else None,
        image_id=image_id if kind == "MMS" else None,
    )


def fallback_body(message: Message) -> str:
    """The fallback SMS body: the definition's own, or the content and the first link button's mobile URL."""
    if message.fallback_text:
        return message.fallback_text
    link = next((b for b in message.buttons if b.type == "WL" and b.link_mo), None)
    return f"{message.content}\n{link.name} {link.link_mo}" if link else message.content


def fallback_image(message: Message, store: StoreSettings) -> str | None:
    """The picture a fallback carries as an MMS: the message's image, when the store allows fallback MMS
    (StoreSettings.fallback_mms) and Nudge found at save that the image meets the MMS rule (`mms_image`,
    compliance.images.mms_image: jpg, ≤200 KB, ≤1000×1000). Otherwise the fallback is an SMS/LMS."""
    image = message.image
    if not store.fallback_mms or image is None or message.mms_image != image.id:
        return None
    return image.id


def fallback_sms(message: Message, store: StoreSettings, variables: Mapping[str, str]) -> Content | Reason:
    try:
        body = fill(fallback_body(message), variables)
    except KeyError:
        return Reason.MISSING_VARIABLE
    return sms_content(body, None, message.is_ad, store, image_id=fallback_image(message, store))


def build_fallback_sms(
    message: Message, store: StoreSettings, variables: Mapping[str, str] | None = None
) -> Content:
    """The SMS/LMS (or MMS, `fallback_image`) sent when a Kakao message cannot be delivered. For a Kakao ad
    it is itself a complete ad SMS: "(광고)" + store name first, the free 080 opt-out line last
    (compliance-rules.md "Ad content").
    It does not check the recipient's SMS consent: `decide` does, and only offers a fallback when it holds.
    """
    result = fallback_sms(message, store, variables or {})
    if isinstance(result, Reason):
        raise MessageInvalid([Problem("fallback_text", result, f"no lawful fallback SMS: {result.value}")])
    return result
