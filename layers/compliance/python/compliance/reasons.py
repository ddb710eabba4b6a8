"""Every reason code a compliance decision or a validation problem can carry: one fact in one place.

The codes are stable strings: they are stored in the send ledger and shown in reports, so never rename one.
`docs/compliance.md` maps each code to its rule, its source and the test that proves it.
"""

from enum import StrEnum


class Reason(StrEnum):
    # Why a message may be sent.
    INFORMATIONAL = "informational"  # 정보성: no consent, no night window
    CONSENT = "consent"  # a recorded prior opt-in for the channel (§50 ①)
    EXEMPT_EXISTING_CUSTOMER = (
        "exempt_existing_customer"  # §50 ① 1, 시행령 §61 ①; store setting, off by default
    )
    CHANNEL_FRIEND = "channel_friend"  # brand message targeting I / legacy FriendTalk
    NIGHT_CONSENT = "night_consent"  # SMS/push ad between 21:00 and 08:00 with separate night consent (§50 ③)

    # Why an ad is blocked for this recipient.
    NO_CONSENT = "no_consent"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    NOT_CHANNEL_FRIEND = "not_channel_friend"
    IS_CHANNEL_FRIEND = "is_channel_friend"  # targeting N excludes channel friends
    TARGETING_NOT_APPROVED = "targeting_not_approved"  # M/N without channel approval (gateway code 1028)
    AGE_GATE = "age_gate"
    MISSING_OPTOUT_NUMBER = "missing_optout_number"  # no free 080 opt-out number for an ad SMS
    MISSING_SENDER_CONTACT = "missing_sender_contact"  # 별표6: sender name and contact

    # Why a send is moved or dropped in time.
    QUIET_HOURS = "quiet_hours"
    EXPIRED = "expired"
    FREQUENCY_CAP = "frequency_cap"  # one ad per promotion group per customer per day
    OVER_BUDGET = "over_budget"  # the store's ad budget per customer (day / week)

    # Why a message definition (or its rendering for one recipient) is refused.
    INVALID_MESSAGE = "invalid_message"  # any other definition problem (see the problem's field and text)
    PROMOTIONAL_CONTENT_IN_INFORMATIONAL = "promotional_content_in_informational"
    INVALID_AD_LABEL = "invalid_ad_label"  # the author wrote (광고) / [광고] / an opt-out line themselves
    UNSUPPORTED_CHARACTER = "unsupported_character"  # outside EUC-KR (most emoji)
    TOO_LONG = "too_long"  # over a byte / character / line limit; never truncated
    TOO_MANY = "too_many"  # buttons, variables, items, cards over a limit
    TOO_FEW = "too_few"  # items or cards under a minimum
    TEMPLATE_NOT_APPROVED = "template_not_approved"  # AlimTalk sends approved templates only
    ALIMTALK_NOT_INFORMATIONAL = "alimtalk_not_informational"
    VARIABLE_IN_BUTTON_NAME = "variable_in_button_name"
    MISSING_VARIABLE = "missing_variable"
    CHANNEL_ADD_BUTTON_FIRST = "channel_add_button_first"  # AlimTalk AD/MI: the AC "채널 추가" button first
    INVALID_COUPON = "invalid_coupon"
    INVALID_BUTTON = "invalid_button"
    MISSING_FIELD = "missing_field"
    INVALID_LINK = "invalid_link"  # not an https:// (or http://) web link, or a forbidden app link (links.py)
    UNFILLABLE_VARIABLE = "unfillable_variable"  # a #{variable} nothing can fill where it stands, no fallback
    UNKNOWN_IMAGE = "unknown_image"  # an image id this store never uploaded to Nudge
    INVALID_IMAGE = "invalid_image"  # an image that breaks its use's rule (format, bytes, size, ratio)


SEND_REASONS: frozenset[Reason] = frozenset(
    {
        Reason.INFORMATIONAL,
        Reason.CONSENT,
        Reason.EXEMPT_EXISTING_CUSTOMER,
        Reason.CHANNEL_FRIEND,
        Reason.NIGHT_CONSENT,
    }
)
"""Codes that explain a send rather than block one (`exempt_existing_customer` is one of them)."""
