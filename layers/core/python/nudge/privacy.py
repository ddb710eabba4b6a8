"""Personal data handling: one normal form for phone numbers, and masking for anything that is logged.

Nudge never logs a phone number or a name; log `mask_phone(...)` / `mask_name(...)` instead. The log
filter in `nudge.observability` also scrubs anything phone-shaped that slips into a message.
"""

import re

_DIGITS = re.compile(r"\D+")
# Korean mobile (010/011/016/017/018/019) and landline/representative numbers, as typed by people.
KOREAN_PHONE_PATTERN = re.compile(r"(?:\+?82[-\s.]?|\b0)1[016789][-\s.]?\d{3,4}[-\s.]?\d{4}\b")


class InvalidPhoneNumber(ValueError):
    pass


def normalize_phone(raw: str) -> str:
    """Return the E.164 form (+821012345678) of a Korean or international number.

    Accepts '010-1234-5678', '01012345678', '+82 10-1234-5678', '+821012345678', '82-10-1234-5678'.
    """
    text = raw.strip()
    digits = _DIGITS.sub("", text)
    if not digits:
        raise InvalidPhoneNumber("no digits")
    if text.startswith("+") or (digits.startswith("82") and len(digits) >= 11):
        e164 = "+" + digits
    elif digits.startswith("0"):
        e164 = "+82" + digits[1:]
    else:
        raise InvalidPhoneNumber("neither a domestic number starting with 0 nor an international one")
    national = e164[1:]
    if not 8 <= len(national) <= 15:
        raise InvalidPhoneNumber("wrong number of digits")
    if national.startswith("82") and not 9 <= len(national) - 2 <= 10:
        raise InvalidPhoneNumber("a Korean number has 9 or 10 digits after 0")
    return e164


def domestic_phone(e164: str) -> str:
    """The number as Korean gateways want it (01012345678)."""
    return "0" + e164[3:] if e164.startswith("+82") else e164.lstrip("+")


def mask_phone(phone: str | None) -> str:
    """010-****-5678: enough for a person to recognise their own number, useless to anyone else."""
    if not phone:
        return "-"
    digits = _DIGITS.sub("", phone)
    return f"{'0' + digits[2:4] if digits.startswith('82') else digits[:3]}-****-{digits[-4:]}"


def mask_name(name: str | None) -> str:
    """홍*동 / J**** P*** — first letter of each word kept (and the last one of Korean three-letter names)."""
    if not name:
        return "-"
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 3 and not name.isascii():
        return name[0] + "*" + name[2]
    return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())


def scrub(text: str) -> str:
    """Replace anything phone-shaped in free text by its masked form."""
    return KOREAN_PHONE_PATTERN.sub(lambda m: mask_phone(m.group(0)), text)
