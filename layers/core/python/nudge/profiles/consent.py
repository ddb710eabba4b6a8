"""A profile's consent as the compliance rules read it, in one place: the sender, an automation's check when
its step fires and a campaign run's screen all read it so. (Apart from nudge.profiles.profile, which the
ingest path imports without the compliance layer.)"""

from compliance.consent import Consent as RuleConsent
from nudge.profiles.profile import Consent


def rule_consent(consent: Consent | None) -> RuleConsent | None:
    """A refusal is recorded as a withdrawal: it keeps the existing-customer exemption from applying."""
    if consent is None:
        return None
    if consent.granted:
        return RuleConsent(granted_at=consent.at, source=consent.source)
    return RuleConsent(withdrawn_at=consent.at, source=consent.source)
