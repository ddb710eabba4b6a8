"""What both emulated gateways check the same way (korea-messaging.md §2–3): a Korean text message's
encoding and byte limits, the ad SMS's label and free opt-out line, Kakao's night window for brand
messages, a template's `#{variables}`; and how an answer goes on the wire."""

import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

KST = ZoneInfo("Asia/Seoul")
CODEC = "euc-kr"
SMS_MAX, LMS_MAX, TITLE_MAX = 90, 2_000, 40
AD_SMS = re.compile(r"^\(광고\).*(무료수신거부|무료거부)\s*:?\s*080-?\d{3,4}-?\d{4}\s*$", re.DOTALL)
VARIABLE = re.compile(r"#\{([^{}]+)\}")
NIGHT_START, NIGHT_END = (20, 50), (8, 0)

# An HTTP answer: status, headers, body.
Answer = tuple[int, dict[str, str], bytes]


def answer(status: int, body: Any) -> Answer:
    return (
        status,
        {"content-type": "application/json;charset=UTF-8"},
        json.dumps(body, ensure_ascii=False).encode(),
    )


def filled(template: str, values: dict[str, Any], group: int) -> str:
    """The template with each `#{name}` replaced: by values[name] (group 1, NHN's templateParameter) or by
    values["#{name}"] (group 0, SOLAPI's variables); a missing one by nothing."""
    return VARIABLE.sub(lambda m: str(values.get(m.group(group), "")), template)


def euckr_bytes(text: str) -> int | None:
    try:
        return len(text.encode(CODEC))
    except UnicodeEncodeError:
        return None


def in_night(at: datetime) -> bool:
    """Inside Kakao's brand-message night block, 20:50–08:00 Korean time."""
    local = at.astimezone(KST)
    hm = (local.hour, local.minute)
    return hm >= NIGHT_START or hm < NIGHT_END


def sms_problem(kind: str, text: str, title: Any) -> str | None:
    """What is wrong with an SMS or LMS body (and an LMS title): EUC-KR only, 90 bytes an SMS, 2,000 bytes
    an LMS, 40 bytes a title."""
    size = euckr_bytes(text)
    if size is None:
        return "body holds a character outside EUC-KR"
    limit = SMS_MAX if kind == "SMS" else LMS_MAX
    if size > limit:
        return f"{kind} body is {size} bytes; the limit is {limit}"
    if title:
        title_size = euckr_bytes(str(title))
        if title_size is None or title_size > TITLE_MAX:
            return f"title must be EUC-KR and at most {TITLE_MAX} bytes"
    return None
