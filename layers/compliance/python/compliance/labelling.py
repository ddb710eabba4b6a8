"""Ad labelling: "(광고)" + sender name first, the free 080 opt-out line last.

Sources: 정보통신망법 §50 ④⑥, 시행령 §61 ③ / 별표6; NHN-SMS api-guide "광고 문자" (the gateway rejects an ad
SMS that does not start with "(광고)" and end with "무료수신거부 080…" or "무료거부 080…").
"""

import re

AD_LABEL = "(광고)"
OPTOUT_PREFIX = "무료수신거부"

# --- The one place that decides who writes "(광고)" on a Kakao ad -----------------------------------------
# Legacy FriendTalk: the gateway's `isAd=true` makes Kakao show "(광고)" and the block path ✅ [NHN
# friendtalk-console-guide], so Nudge must not write it again. Brand messages: whether Kakao adds the label
# is ❓ (korea-messaging.md §3.1, "verify on a test send"). Until a test send proves it, Nudge writes
# "(광고)" itself at the start of brand-message ad content: a doubled label is ugly, a missing one is
# unlawful. Flip the value here (and nowhere else) once verified.
GATEWAY_ADDS_AD_LABEL: dict[str, bool] = {"friendtalk": True, "brand_message": False}

# The opt-out line the ad SMS must end with (a hyphenated 080 number is fine).
_OPTOUT_LINE = re.compile(r"(무료수신거부|무료거부)\s*:?\s*080-?\d{3,4}-?\d{4}\s*$")
# Labels an author might write by hand, valid or not: "(광고)", "[광고]", "(광 고)", "(광.고)", "<광고>" …
_HANDWRITTEN_LABEL = re.compile(r"[\(\[<{（【]\s*광\s*[\.\s·ㆍ_-]*\s*고\s*[\)\]>}）】]")
_HANDWRITTEN_OPTOUT = re.compile(r"(수신\s*거부|무료\s*거부)")
OPTOUT_NUMBER = re.compile(r"^080-?\d{3,4}-?\d{4}$")


def label_ad_sms(body: str, store_name: str, optout_number: str) -> str:
    """The complete ad SMS/LMS text: "(광고)" + store name, the body, the free 080 opt-out line."""
    return f"{AD_LABEL}{store_name}\n{body}\n{OPTOUT_PREFIX} {optout_number}"


def is_labelled_ad_sms(text: str) -> bool:
    """What NHN's ad-SMS validation checks: exactly "(광고)" first, a free 080 opt-out line last."""
    return text.startswith(AD_LABEL) and _OPTOUT_LINE.search(text) is not None


def label_kakao_ad(content: str, channel: str) -> str:
    """Kakao ad content as sent: unchanged where the gateway labels it, else "(광고)" first."""
    if GATEWAY_ADDS_AD_LABEL.get(channel, False):
        return content
    return f"{AD_LABEL} {content}"


def handwritten_label(text: str) -> str | None:
    """A label the author wrote by hand ("[광고]", "(광 고)", even a correct "(광고)"): Nudge writes it."""
    found = _HANDWRITTEN_LABEL.search(text)
    return found.group(0) if found else None


def handwritten_optout(text: str) -> str | None:
    found = _HANDWRITTEN_OPTOUT.search(text)
    return found.group(0) if found else None
