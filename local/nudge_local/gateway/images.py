"""Images the emulated gateways were given: what the bytes are (read from their headers here, as the real
services read them: the emulator plays the outside world and shares no code with Nudge's own checks), the
rules each upload endpoint states, and each account's uploads (ref -> bytes and type), counted so a test can
see an image went up once.

The rules (kakao-rich-messages.md §1.3, §1.5, §2.3):
- a brand-message image (NHN `imageType`, Solapi's BMS storage types): jpg or png, at most 5 MB, at least
  500 px wide, its height/width within the type's range (NHN friendtalkupgrade-api-guide.md "업로드 이미지
  규격"; Solapi publishes no rule of its own for its BMS types, and passes them to Kakao, whose rules these
  are);
- an NHN MMS attachment: jpg (the file name's extension and the bytes), at most 300 KB, at most 1000×1000
  (SMS api-guide.md "첨부 이미지 제한 사항");
- a Solapi MMS image: at most 200 KB (api-reference/storage/uploadfile.md "[MMS] : 200KB"); jpg, as every
  example sends (whether png or gif pass is not documented); a FriendTalk (KAKAO) image at most 500 KB.
"""

import struct
import threading
from dataclasses import dataclass, field
from typing import NamedTuple

BRAND_MAX_BYTES = 5 * 1024 * 1024
BRAND_MIN_WIDTH = 500
NHN_MMS_MAX_BYTES = 300 * 1024
MMS_MAX_SIDE = 1000
SOLAPI_MMS_MAX_BYTES = 200 * 1024
SOLAPI_KAKAO_MAX_BYTES = 500 * 1024

# NHN's imageType -> the height/width range it allows (an exact ratio is a range of one value).
BRAND_RATIOS: dict[str, tuple[float, float]] = {
    "IMAGE": (0.5, 1.333),
    "WIDE_IMAGE": (0.5, 1.0),
    "MAIN_WIDE_ITEMLIST_IMAGE": (0.5, 0.5),
    "NORMAL_WIDE_ITEMLIST_IMAGE": (1.0, 1.0),
    "CAROUSEL_FEED_IMAGE": (0.5, 1.333),
    "CAROUSEL_COMMERCE_IMAGE": (0.5, 1.333),
}
# Solapi's BMS storage types, by the NHN imageType (the same Kakao rule) they stand for (solapi-nodejs
# examples: 'BMS' for IMAGE and COMMERCE, 'BMS_WIDE', 'BMS_WIDE_MAIN_ITEM_LIST' 2:1, 'BMS_WIDE_SUB_ITEM_LIST'
# 1:1, 'BMS_CAROUSEL_FEED_LIST', 'BMS_CAROUSEL_COMMERCE_LIST').
SOLAPI_BRAND_TYPES = {
    "BMS": "IMAGE",
    "BMS_WIDE": "WIDE_IMAGE",
    "BMS_WIDE_MAIN_ITEM_LIST": "MAIN_WIDE_ITEMLIST_IMAGE",
    "BMS_WIDE_SUB_ITEM_LIST": "NORMAL_WIDE_ITEMLIST_IMAGE",
    "BMS_CAROUSEL_FEED_LIST": "CAROUSEL_FEED_IMAGE",
    "BMS_CAROUSEL_COMMERCE_LIST": "CAROUSEL_COMMERCE_IMAGE",
}
RATIO_SLACK = 0.01  # "2:1" of an 800×399 upload: a pixel's rounding, not another shape


class Facts(NamedTuple):
    format: str  # jpeg | png | gif
    width: int
    height: int


def facts(data: bytes) -> Facts | None:
    """The format and size an image's header declares (JPEG's SOF marker, PNG's IHDR, GIF's screen)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return Facts("png", width, height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return Facts("gif", width, height)
    if data[:2] != b"\xff\xd8":
        return None
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            at += 2
            continue
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        # SOF0..SOF15 but DHT (C4), JPG (C8) and DAC (CC): precision, height, width
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if at + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return Facts("jpeg", width, height)
        at += 2 + length
    return None


def brand_problem(data: bytes, image_type: str) -> tuple[str, str] | None:
    """What Kakao's rule for `image_type` (NHN's imageType) says of the bytes: (kind, text), kind being
    `format`, `size` or `shape`; None when it passes."""
    found = facts(data)
    if found is None or found.format not in ("jpeg", "png"):
        return "format", "a brand-message image is a jpg or png file"
    if len(data) > BRAND_MAX_BYTES:
        return "size", "a brand-message image is at most 5 MB"
    if found.width < BRAND_MIN_WIDTH:
        return "shape", f"a {image_type} is at least {BRAND_MIN_WIDTH} px wide; this one is {found.width}"
    low, high = BRAND_RATIOS[image_type]
    ratio = found.height / found.width
    if not low - RATIO_SLACK <= ratio <= high + RATIO_SLACK:
        wanted = f"{low}" if low == high else f"{low} to {high}"
        return "shape", f"a {image_type}'s height/width is {wanted}; this one is {ratio:.3f}"
    return None


def mms_problem(data: bytes, max_bytes: int) -> tuple[str, str] | None:
    """An MMS picture: (kind, text), kind `format`, `size` or `shape`."""
    found = facts(data)
    if found is None or found.format != "jpeg":
        return "format", "an MMS picture is a jpg file"
    if not 0 < len(data) <= max_bytes:
        return "size", f"an MMS picture is at most {max_bytes // 1024} KB"
    if found.width > MMS_MAX_SIDE or found.height > MMS_MAX_SIDE:
        return "shape", f"an MMS picture is at most {MMS_MAX_SIDE}×{MMS_MAX_SIDE} px"
    return None


@dataclass(frozen=True)
class Upload:
    """One upload an account made: the ref the gateway answered, and what it holds."""

    provider: str  # nhn | solapi
    account: str  # NHN's appKey (Kakao or SMS), Solapi's API key
    ref: str  # NHN imageUrl or fileId, Solapi fileId
    use: str  # NHN's imageType (IMAGE, …), MMS; Solapi's BMS types by their NHN name; KAKAO
    wire_type: str  # the type as the request named it
    name: str
    data: bytes = field(repr=False)
    facts: Facts

    def shown(self, link: str | None = None) -> dict[str, object]:
        """The image as the outbox shows it: what the phone gets."""
        out: dict[str, object] = {
            "ref": self.ref,
            "name": self.name,
            "type": self.wire_type,
            "format": self.facts.format,
            "width": self.facts.width,
            "height": self.facts.height,
            "bytes": len(self.data),
        }
        if link:
            out["link"] = link
        return out


class Uploads:
    """Every account's uploads, by ref, in the order they came (`all`)."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.all: list[Upload] = []
        self._by_ref: dict[tuple[str, str, str], Upload] = {}

    def add(self, upload: Upload) -> None:
        with self.lock:
            self.all.append(upload)
            self._by_ref[(upload.provider, upload.account, upload.ref)] = upload

    def get(self, provider: str, account: str, ref: object) -> Upload | None:
        with self.lock:
            return self._by_ref.get((provider, account, str(ref)))

    def count(self) -> int:
        with self.lock:
            return len(self.all)

    def reset(self) -> None:
        with self.lock:
            self.all.clear()
            self._by_ref.clear()
