"""Images: what Nudge knows of an uploaded picture, where a message uses one, and whether it fits there.

Pure (no I/O). An image is named by its bytes: `image_id` is "img_" + the first 32 hex digits of their
SHA-256, so the same picture uploaded twice is one image and its facts never change. `read_facts` reads the
format and pixel size from the file's header (JPEG SOF0/1/2, PNG IHDR, GIF logical screen) without decoding
it; anything else, or a truncated file, is None. `image_uses` lists every image a message needs and for what
(named after NHN's `imageType`); `image_problem` says why an image does not fit a use, by the rules in
`formats.IMAGE_RULES` (kakao-rich-messages.md §1.3, §3).
"""

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import TYPE_CHECKING

from compliance import formats
from compliance.problems import Problem
from compliance.reasons import Reason

if TYPE_CHECKING:
    from compliance.message import Message


class ImageUse(StrEnum):
    """Where an image is shown: one rule each. Gateway-neutral, named after NHN's brand-message imageType."""

    IMAGE = "IMAGE"  # IMAGE and COMMERCE bubbles, the PREMIUM_VIDEO thumbnail
    WIDE_IMAGE = "WIDE_IMAGE"
    MAIN_WIDE_ITEMLIST_IMAGE = "MAIN_WIDE_ITEMLIST_IMAGE"  # WIDE_ITEM_LIST, the first item
    NORMAL_WIDE_ITEMLIST_IMAGE = "NORMAL_WIDE_ITEMLIST_IMAGE"  # WIDE_ITEM_LIST, items 2–4
    CAROUSEL_FEED_IMAGE = "CAROUSEL_FEED_IMAGE"
    CAROUSEL_COMMERCE_IMAGE = "CAROUSEL_COMMERCE_IMAGE"  # its cards and its intro
    MMS = "MMS"


# How a problem names the use: "CAROUSEL_FEED images need …".
_USE_NAMES = {
    ImageUse.IMAGE: "IMAGE and COMMERCE",
    ImageUse.WIDE_IMAGE: "WIDE",
    ImageUse.MAIN_WIDE_ITEMLIST_IMAGE: "WIDE_ITEM_LIST first-item",
    ImageUse.NORMAL_WIDE_ITEMLIST_IMAGE: "WIDE_ITEM_LIST item",
    ImageUse.CAROUSEL_FEED_IMAGE: "CAROUSEL_FEED",
    ImageUse.CAROUSEL_COMMERCE_IMAGE: "CAROUSEL_COMMERCE",
    ImageUse.MMS: "MMS",
}
_FORMAT_NAMES = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF"}


@dataclass(frozen=True, slots=True)
class ImageFacts:
    format: str  # "jpeg", "png" or "gif"
    width: int  # pixels
    height: int
    size: int  # bytes

    @property
    def ratio(self) -> Fraction:
        """Height / width, exactly."""
        return Fraction(self.height, self.width)

    def describe(self) -> str:
        return f"{_FORMAT_NAMES.get(self.format, self.format)} {self.width}×{self.height}, {_size(self.size)}"


@dataclass(frozen=True, slots=True)
class ImageNeed:
    """One image a message shows: its field ("cards[1].image"), the image, its use and its tap link."""

    field: str
    image_id: str
    use: ImageUse
    link: str | None = None


def image_id(data: bytes) -> str:
    """The id of these bytes: the same picture is always the same image."""
    return "img_" + hashlib.sha256(data).hexdigest()[:32]


# --- Reading the header ---------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2})  # baseline, extended sequential, progressive: what phones show
_JPEG_NO_LENGTH = frozenset({0x01, *range(0xD0, 0xD9)})  # TEM, RST0–7, SOI: markers without a segment
_MAX_SIDE = 65_535  # JPEG and GIF store 16 bits; a PNG claiming more is not a picture anyone sends


def read_facts(data: bytes) -> ImageFacts | None:
    """The format and pixel size from the file's header; None for anything unreadable. Never raises."""
    if data.startswith(b"\xff\xd8"):
        size = _jpeg_size(data)
        kind = "jpeg"
    elif data.startswith(_PNG_SIGNATURE):
        size = _png_size(data)
        kind = "png"
    elif data[:6] in (b"GIF87a", b"GIF89a"):
        size = _gif_size(data)
        kind = "gif"
    else:
        return None
    if size is None:
        return None
    width, height = size
    if not (0 < width <= _MAX_SIDE and 0 < height <= _MAX_SIDE):
        return None
    return ImageFacts(kind, width, height, len(data))


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Walk the segments after SOI up to the first start-of-frame; (width, height) from it."""
    at = 2
    end = len(data)
    while at < end:
        if data[at] != 0xFF:
            return None
        while at < end and data[at] == 0xFF:  # fill bytes before a marker are allowed
            at += 1
        if at >= end:
            return None
        marker = data[at]
        at += 1
        if marker in _JPEG_NO_LENGTH:
            continue
        if marker in (0xD9, 0xDA):  # end of image / start of scan before any frame header
            return None
        if at + 2 > end:
            return None
        length = int.from_bytes(data[at : at + 2], "big")
        if length < 2:
            return None
        if marker in _JPEG_SOF:
            if length < 8 or at + 7 > end:
                return None
            height = int.from_bytes(data[at + 3 : at + 5], "big")
            width = int.from_bytes(data[at + 5 : at + 7], "big")
            return width, height
        if 0xC3 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return None  # lossless or arithmetic-coded: a JPEG few decoders (and no phone gallery) read
        at += length
    return None


def _png_size(data: bytes) -> tuple[int, int] | None:
    """IHDR must be the first chunk: length 13, then width and height (4 bytes each, big-endian)."""
    if len(data) < 24 or data[8:16] != b"\x00\x00\x00\x0dIHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _gif_size(data: bytes) -> tuple[int, int] | None:
    """The logical screen: width and height, 2 bytes each, little-endian, after the 6-byte signature."""
    if len(data) < 10:
        return None
    return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")


# --- The rules ------------------------------------------------------------------------------------------


def image_problem(facts: ImageFacts, use: str) -> str | None:
    """Why this image does not fit this use, or None when it does."""
    rule = formats.IMAGE_RULES[use]
    name = _USE_NAMES[ImageUse(use)]
    if facts.format not in rule.formats:
        allowed = " or ".join(_FORMAT_NAMES[f] for f in rule.formats)
        return f"{name} images must be {allowed}; this one is {_FORMAT_NAMES.get(facts.format, facts.format)}"
    if facts.size > rule.max_bytes:
        limit = f"{_size(rule.max_bytes)} ({rule.max_bytes:,} bytes)"
        return f"{name} images allow at most {limit}; this one is {facts.size:,} bytes"
    shape = f"{facts.width}×{facts.height}"
    if rule.min_width is not None and facts.width < rule.min_width:
        return f"{name} images must be at least {rule.min_width} pixels wide; this one is {shape}"
    if (rule.max_width is not None and facts.width > rule.max_width) or (
        rule.max_height is not None and facts.height > rule.max_height
    ):
        return f"{name} images allow at most {rule.max_width}×{rule.max_height} pixels; this one is {shape}"
    if rule.ratio is not None:
        low, high = rule.ratio
        if not low <= facts.ratio <= high:
            wanted = (
                f"of exactly {_ratio(low)}" if low == high else f"between {_ratio(low)} and {_ratio(high)}"
            )
            actual = f"{_ratio(facts.ratio)} ({shape})"
            return f"{name} images need a height/width ratio {wanted}; this one is {actual}"
    return None


def fitness(facts: ImageFacts) -> tuple[list[str], dict[str, str]]:
    """(the uses this image meets, {use: why not} for the others), in ImageUse order."""
    meets: list[str] = []
    problems: dict[str, str] = {}
    for use in ImageUse:
        problem = image_problem(facts, use)
        if problem is None:
            meets.append(use.value)
        else:
            problems[use.value] = problem
    return meets, problems


def _ratio(value: Fraction) -> str:
    text = f"{float(value):.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


# --- Where a message uses images ------------------------------------------------------------------------

_MESSAGE_IMAGE_USE = {"IMAGE": ImageUse.IMAGE, "COMMERCE": ImageUse.IMAGE, "WIDE": ImageUse.WIDE_IMAGE}
_KAKAO = ("brand_message", "friendtalk")


def image_uses(message: "Message") -> list[ImageNeed]:
    """Every image the message shows, where, and for which use. Only fields its layout has: an image in a
    field it does not have is `validate_message`'s problem, not an upload."""
    return list(_needs(message))


def _needs(message: "Message") -> Iterator[ImageNeed]:
    bubble = message.bubble
    if message.channel == "sms":
        if bubble == "MMS" and message.image is not None:
            yield ImageNeed("image", message.image.id, ImageUse.MMS)
        return
    if message.channel not in _KAKAO:
        return
    use = _MESSAGE_IMAGE_USE.get(bubble)
    if use is not None and message.image is not None:
        yield ImageNeed("image", message.image.id, use, message.image.link)
    if bubble == "PREMIUM_VIDEO" and message.video_thumbnail:
        yield ImageNeed("video_thumbnail", message.video_thumbnail, ImageUse.IMAGE)
    if bubble == "WIDE_ITEM_LIST":
        for i, item in enumerate(message.items):
            if item.image:
                kind = ImageUse.MAIN_WIDE_ITEMLIST_IMAGE if i == 0 else ImageUse.NORMAL_WIDE_ITEMLIST_IMAGE
                yield ImageNeed(f"items[{i}].image", item.image, kind)
    card_use = {
        "CAROUSEL_FEED": ImageUse.CAROUSEL_FEED_IMAGE,
        "CAROUSEL_COMMERCE": ImageUse.CAROUSEL_COMMERCE_IMAGE,
    }
    if bubble in card_use:
        if bubble == "CAROUSEL_COMMERCE" and message.intro is not None and message.intro.image is not None:
            image = message.intro.image
            yield ImageNeed("intro.image", image.id, card_use[bubble], image.link)
        for i, card in enumerate(message.cards):
            if card.image is not None:
                yield ImageNeed(f"cards[{i}].image", card.image.id, card_use[bubble], card.image.link)


def image_problems(message: "Message", images: Mapping[str, ImageFacts]) -> list[Problem]:
    """Each image the message needs that the store never uploaded (`unknown_image`) or that breaks its use's
    rule (`invalid_image`), naming the field; and a CAROUSEL_COMMERCE intro whose image's ratio differs from
    its cards' [NHN-BM "carousel.head": the same ratio as the list images]."""
    out: list[Problem] = []
    needs = image_uses(message)
    for need in needs:
        facts = images.get(need.image_id)
        if facts is None:
            out.append(
                Problem(need.field, Reason.UNKNOWN_IMAGE, f"image {need.image_id} not uploaded to this store")
            )
            continue
        problem = image_problem(facts, need.use)
        if problem is not None:
            out.append(Problem(need.field, Reason.INVALID_IMAGE, problem))
    head = next((need for need in needs if need.field == "intro.image"), None)
    head_facts = images.get(head.image_id) if head is not None else None
    if head_facts is not None:
        for need in needs:
            facts = images.get(need.image_id)
            if need.field.startswith("cards[") and facts is not None and facts.ratio != head_facts.ratio:
                out.append(
                    Problem(
                        "intro.image",
                        Reason.INVALID_IMAGE,
                        "a CAROUSEL_COMMERCE intro's image needs the same height/width ratio as its cards': "
                        f"this one is {_ratio(head_facts.ratio)} ({head_facts.width}×{head_facts.height}), "
                        f"{need.field} is {_ratio(facts.ratio)} ({facts.width}×{facts.height})",
                    )
                )
                break
    return out


def referenced_images(message: "Message") -> list[str]:
    """Every image id the message names, in any field (for looking their facts up before validating)."""
    ids = [need.image_id for need in _needs(message)]
    if message.image is not None:
        ids.append(message.image.id)
    return list(dict.fromkeys(ids))


def mms_image(message: "Message", images: Mapping[str, ImageFacts]) -> str | None:
    """The message's `image` when it meets the MMS rule, so a fallback may be an MMS; else None."""
    image = message.image
    if image is None:
        return None
    facts = images.get(image.id)
    return image.id if facts is not None and image_problem(facts, ImageUse.MMS) is None else None
