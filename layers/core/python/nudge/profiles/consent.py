"""A profile's consent as the compliance rules read it, in one place: the sender, an automation's check when
its step fires and a campaign run's screen all read it so. (Apart from nudge.profiles.profile, which the
ingest path imports without the compliance layer.)"""

from collections.abc import Mapping

from compliance.consent import Consent as RuleConsent
from compliance.recipient import RecentSend, Recipient
from nudge.profiles.profile import Consent, Profile


def rule_consent(consent: Consent | None) -> RuleConsent | None:
    """A refusal is recorded as a withdrawal: it keeps the existing-customer exemption from applying."""
    if consent is None:
        return None
    if consent.granted:
        return RuleConsent(granted_at=consent.at, source=consent.source)
    return RuleConsent(withdrawn_at=consent.at, source=consent.source)


def recipient_of(
    profile: Profile, variables: Mapping[str, str], recent_sends: tuple[RecentSend, ...] = ()
) -> Recipient:
    """The profile as the compliance rules see it: consent by channel and at night, channel friendship, age,
    the customer's recent sends (for the frequency rules) and the message's variables. No phone number."""
    return Recipient(
        key=profile.customer_id,
        consents={
            channel: rule
            for channel, consent in profile.consents.items()
            if channel != "night" and (rule := rule_consent(consent)) is not None
        },
        night_consent=rule_consent(profile.consents.get("night")),
        channel_friend=bool(profile.channel_friend),
        age_verified=profile.adult_verified,
        recent_sends=recent_sends,
        variables=variables,
    )
