"""Who may receive a Kakao ad: brand-message targeting M/N/I and legacy FriendTalk's friends-only rule.

Sources: seed 002 (IFDO notice), NHN friendtalkupgrade-overview / api-guide (M/N eligibility, code 1028),
NHN friendtalk-overview (FriendTalk: channel friends only); compliance-rules.md "Targeting".
"""

from datetime import datetime

from compliance.consent import consent_state
from compliance.reasons import Reason
from compliance.recipient import Recipient
from compliance.settings import StoreSettings

_SEND_I = (Reason.CHANNEL_FRIEND,)
_SEND_MN = (Reason.CONSENT,)


def kakao_eligibility(
    channel: str, targeting: str | None, recipient: Recipient, store: StoreSettings, at: datetime
) -> tuple[tuple[Reason, ...], tuple[Reason, ...]]:
    """(blocking reasons, send reasons) for a Kakao ad to this recipient.

    I (and FriendTalk): channel friends; marketing consent not required, but a consent the recipient
    withdrew in the store still stops the ad. M: KakaoTalk marketing consent, friend or not, with the
    channel approved for M/N (and its 080 number). N: as M, for non-friends only.
    """
    kakao = recipient.consents.get("kakao")
    if channel == "friendtalk" or targeting is None or targeting == "I":
        if kakao is not None and consent_state(kakao, at) is Reason.CONSENT_WITHDRAWN:
            return (Reason.CONSENT_WITHDRAWN,), ()
        return ((), _SEND_I) if recipient.channel_friend else ((Reason.NOT_CHANNEL_FRIEND,), ())
    blocks: list[Reason] = []
    if not store.mn_targeting_approved:
        blocks.append(Reason.TARGETING_NOT_APPROVED)
    if store.optout_080_number is None:
        blocks.append(Reason.MISSING_OPTOUT_NUMBER)
    state = consent_state(kakao, at)
    if state is not Reason.CONSENT:
        blocks.append(state)
    if targeting == "N" and recipient.channel_friend:
        blocks.append(Reason.IS_CHANNEL_FRIEND)
    return tuple(blocks), (() if blocks else _SEND_MN)
