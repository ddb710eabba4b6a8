"""Personal data handling: one normal form for phone numbers, and masking for anything that is logged.

Nudge never logs a phone number or a name; log `mask_phone(...)` / `mask_name(...)` instead. The log
filter in `nudge.observability` also scrubs anything phone-shaped that slips into a message.
"""

import re
import unicodedata
from dataclasses import dataclass, field

_DIGITS = re.compile(r"\D+")
# Korean mobile (010/011/016/017/018/019) numbers, as typed by people, for scrubbing free text: every
# spelling `read_phone` reads as a mobile, full-width forms included (\d is any decimal digit), so the log
# filter catches whatever ingest would have accepted.
_SEP = r"[\s\-./\u2010-\u2015\u2212\uff0d\uff0e\uff0f]{0,4}"  # "-", ".", "/", dashes, spaces, " - "
_PLUS = r"[+\uff0b]"
_EIGHTY_TWO = r"[8\uff18][2\uff12]"
KOREAN_PHONE_PATTERN = re.compile(
    rf"(?:(?:{_PLUS}|(?<!\d)(?:[0\uff10]{{2}})?){_EIGHTY_TWO}{_SEP}(?:[(\uff08][0\uff10][)\uff09]{_SEP}|[0\uff10])?"
    rf"|(?<!\d)[(\uff08]?[0\uff10])[1\uff11][016789\uff10\uff11\uff16-\uff19][)\uff09]?{_SEP}"
    rf"\d{{3,4}}{_SEP}\d{{4}}(?!\d)"
)

# What people put between the digits of a number (after NFKC, which folds full-width forms to ASCII).
_SEPARATORS = frozenset(" -.()/\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u00a0\t")
_ASCII_DIGITS = frozenset("0123456789")

# Reasons a written number is not kept. They never quote the number: they end up in responses and logs.
NO_DIGITS = "no digits"
NOT_A_NUMBER = "has characters a phone number does not have"
MISPLACED_PLUS = "'+' may only start a number, as in +82 10-1234-5678"
NOT_DOMESTIC_OR_INTERNATIONAL = "neither a domestic number starting with 0 nor an international one (+82 …)"
FOREIGN = "not a Korean number: Nudge sends to Korean mobile numbers only"
LANDLINE = "landline, not a mobile number"
INTERNET_PHONE = "internet phone (070), not a mobile number"
FREE_CALL = "080 free-call number, not a mobile number"
RELAY = "050 relay (safe) number, not a mobile number"
INFORMATION_LINE = "060 information line, not a mobile number"
REPRESENTATIVE = "representative number (15xx, 16xx, 18xx), not a mobile number"
NOT_KOREAN_PHONE = "not a Korean phone number"
MOBILE_LENGTH = "wrong number of digits for a mobile number (010-1234-5678)"

# Korean area codes after the trunk 0: Seoul 2, then 31-33, 41-44, 51-55, 61-64.
_AREA = re.compile(r"^(?:2|3[1-3]|4[1-4]|5[1-5]|6[1-4])")
_NOT_MOBILE = ((re.compile(r"^70"), INTERNET_PHONE), (re.compile(r"^80"), FREE_CALL),
               (re.compile(r"^50"), RELAY), (re.compile(r"^60"), INFORMATION_LINE))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Mobile:
    """A Korean mobile number in E.164 (+821012345678): the one form Nudge stores, matches and sends to."""

    e164: str


@dataclass(frozen=True, slots=True)
class NotMobile:
    """Why a written number is not one Nudge can message (AlimTalk and SMS reach Korean mobiles only).
    `is_phone_number`: it is a real number of another kind (a landline, 080, a foreign number), not a typo or
    something else entirely; a store's data may rightly hold one, so it is left out rather than refused."""

    reason: str
    is_phone_number: bool = False
    # A real number's E.164 form (+8221234567): not one to message, but it still tells a guest without an
    # account apart (`phone_identity`). Never in a reason, a repr or a log.
    e164: str | None = field(default=None, repr=False, compare=False)


PhoneReading = Mobile | NotMobile


class InvalidPhoneNumber(ValueError):
    pass


def read_phone(raw: str) -> PhoneReading:
    """Read a number as customers and stores write it: the mobile number, or why it is not one.

    Read as 010-1234-5678: '010-1234-5678', '01012345678', '010.1234.5678', '010 1234 5678',
    '+82 10-1234-5678', '+82-10-1234-5678', '+821012345678', '+82 (0)10-1234-5678', '82-10-1234-5678',
    '0082 10 1234 5678', full-width digits. Refused: landlines (02-123-4567, 031-…), 070, 080, 050, 060
    and 15xx/16xx/18xx numbers, foreign numbers, and anything that is not a number.
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    if not any(c in _ASCII_DIGITS for c in text):
        return NotMobile(NO_DIGITS)
    international = text.startswith("+")
    body = text[1:] if international else text
    if "+" in body:
        return NotMobile(MISPLACED_PLUS)
    if any(c not in _ASCII_DIGITS and c not in _SEPARATORS for c in body):
        return NotMobile(NOT_A_NUMBER)
    digits = "".join(c for c in body if c in _ASCII_DIGITS)
    if not international and digits.startswith("00"):
        international, digits = True, digits[2:]  # dialled from Korea: 00 is the international prefix
    elif not international and digits.startswith("82") and len(digits) >= 11:
        international = True  # 82-10-1234-5678: the country code without its '+'
    if international:
        if not digits.startswith("82"):
            real = 7 <= len(digits) <= 15
            return NotMobile(FOREIGN, is_phone_number=real, e164="+" + digits if real else None)
        national = digits[2:]
        national = national[1:] if national.startswith("0") else national  # +82 (0)10 / +82 010
    elif digits.startswith("0"):
        national = digits[1:]
    elif re.match(r"^1[568]\d{6}$", digits):
        return NotMobile(REPRESENTATIVE, is_phone_number=True)
    else:
        return NotMobile(NOT_DOMESTIC_OR_INTERNATIONAL)
    return _classify(national)


def _classify(national: str) -> PhoneReading:
    """A Korean number without its trunk 0 (1012345678 for 010-1234-5678)."""
    if re.match(r"^1[016789]", national):
        # 010 numbers have 8 digits after the prefix; the old 011/016/017/018/019 ones 7 or 8.
        subscriber = len(national) - 2
        if subscriber == 8 or (subscriber == 7 and not national.startswith("10")):
            return Mobile("+82" + national)
        return NotMobile(MOBILE_LENGTH)
    # Korean numbers other than mobiles have 8 to 11 digits with their 0 (02-123-4567, 0505-123-4567).
    real = 7 <= len(national) <= 10
    e164 = "+82" + national if real else None
    if _AREA.match(national):
        return NotMobile(LANDLINE, is_phone_number=real, e164=e164)
    for prefix, reason in _NOT_MOBILE:
        if prefix.match(national):
            return NotMobile(reason, is_phone_number=real, e164=e164)
    return NotMobile(NOT_KOREAN_PHONE)


def normalize_phone(raw: str) -> str:
    """The E.164 form (+821012345678) of a Korean mobile number (see `read_phone` for what is read);
    InvalidPhoneNumber, whose message is the reason, for anything else."""
    reading = read_phone(raw)
    if isinstance(reading, NotMobile):
        raise InvalidPhoneNumber(reading.reason)
    return reading.e164


def phone_identity(raw: str) -> str | None:
    """The E.164 form of any real phone number, mobile or not (None for anything else): what tells a guest
    without an account apart, whether or not Nudge can message the number."""
    reading = read_phone(raw)
    return reading.e164


def domestic_phone(e164: str) -> str:
    """The number as Korean gateways want it (01012345678)."""
    return "0" + e164[3:] if e164.startswith("+82") else e164.lstrip("+")


def mask_phone(phone: str | None) -> str:
    """010-****-5678: enough for a person to recognise their own number, useless to anyone else."""
    if not phone:
        return "-"
    reading = read_phone(phone)
    if reading.e164 is not None and reading.e164.startswith("+82"):
        digits = domestic_phone(reading.e164)  # 010…, 02…, 070…: the way Koreans recognise a number
    else:
        digits = _DIGITS.sub("", unicodedata.normalize("NFKC", phone))
    prefix = 2 if digits.startswith("02") else 3  # Seoul's area code is the one of two digits
    return f"{digits[:prefix]}-****-{digits[-4:]}"


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
