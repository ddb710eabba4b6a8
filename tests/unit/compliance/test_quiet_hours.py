"""Night windows: Kakao ads 20:50–08:00 (no exception), SMS/LMS/push ads 21:00–08:00 (unless separate night
consent), e-mail and informational messages none; a blocked send is deferred to 08:00 + a spread.

Sources: 정보통신망법 §50 ③, 시행령 §61 ② (e-mail); Kakao policy, result code 3022 [NHN friendtalk-overview];
compliance-rules.md "Night windows".
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from compliance import Consent, Message, Outcome, Reason, decide
from compliance.quiet_hours import SPREAD_SECONDS, spread

from .helpers import SEOUL, STORE, ad_sms, alimtalk, brand, kst, local, recipient, store

NIGHT_CONSENT = Consent(granted_at=datetime(2025, 3, 1, tzinfo=UTC), source="night-optin")

# The edge instants, Asia/Seoul. (rule id, channel, wall clock, send now?)
EDGES = [
    ("brand_message_20_49_59_sends", "brand_message", (20, 49, 59), True),
    ("brand_message_20_50_00_defers", "brand_message", (20, 50, 0), False),
    ("brand_message_20_59_59_defers", "brand_message", (20, 59, 59), False),
    ("brand_message_21_00_00_defers", "brand_message", (21, 0, 0), False),
    ("brand_message_07_59_59_defers", "brand_message", (7, 59, 59), False),
    ("brand_message_08_00_00_sends", "brand_message", (8, 0, 0), True),
    ("sms_20_49_59_sends", "sms", (20, 49, 59), True),
    ("sms_20_50_00_sends", "sms", (20, 50, 0), True),
    ("sms_20_59_59_sends", "sms", (20, 59, 59), True),
    ("sms_21_00_00_defers", "sms", (21, 0, 0), False),
    ("sms_07_59_59_defers", "sms", (7, 59, 59), False),
    ("sms_08_00_00_sends", "sms", (8, 0, 0), True),
    ("push_21_00_00_defers", "push", (21, 0, 0), False),
    ("email_21_00_00_sends", "email", (21, 0, 0), True),
    ("email_03_00_00_sends", "email", (3, 0, 0), True),
]


def _ad(channel: str) -> Message:
    if channel == "brand_message":
        return brand()
    return ad_sms().model_copy(update={"channel": channel})


@pytest.mark.parametrize(("rule", "channel", "clock", "sends"), EDGES, ids=[e[0] for e in EDGES])
def test_quiet_hours_edge_instants(rule: str, channel: str, clock: tuple[int, int, int], sends: bool) -> None:
    """§50 ③ (21:00–08:00) and Kakao 3022 (20:50–08:00), start inclusive, end exclusive, Asia/Seoul."""
    at = kst(*clock)
    decision = decide(_ad(channel), recipient(), STORE, at)
    if sends:
        assert decision.outcome is Outcome.SEND, rule
        assert decision.send_at == at
        assert Reason.QUIET_HOURS not in decision.reasons
    else:
        assert decision.outcome is Outcome.DEFER, rule
        assert Reason.QUIET_HOURS in decision.reasons
        assert decision.requested_at == at
        assert decision.send_at is not None and decision.send_at > at
        wall = local(decision.send_at)
        expected_day = local(at).date() + timedelta(days=1 if local(at).hour >= 8 else 0)
        assert wall.date() == expected_day
        assert (wall.hour, wall.minute) >= (8, 0) and wall - wall.replace(
            hour=8, minute=0, second=0
        ) < timedelta(seconds=SPREAD_SECONDS)


NIGHT_CASES = [
    ("sms_with_night_consent_sends_at_23", "sms", NIGHT_CONSENT, Outcome.SEND),
    ("push_with_night_consent_sends_at_23", "push", NIGHT_CONSENT, Outcome.SEND),
    (
        "sms_night_consent_withdrawn_defers",
        "sms",
        Consent(granted_at=NIGHT_CONSENT.granted_at, source="night-optin", withdrawn_at=kst(9)),
        Outcome.DEFER,
    ),
    ("sms_night_consent_without_date_defers", "sms", Consent(source="night-optin"), Outcome.DEFER),
    ("brand_message_night_consent_has_no_effect", "brand_message", NIGHT_CONSENT, Outcome.DEFER),
]


@pytest.mark.parametrize(
    ("rule", "channel", "night", "outcome"), NIGHT_CASES, ids=[c[0] for c in NIGHT_CASES]
)
def test_quiet_hours_night_consent(rule: str, channel: str, night: Consent, outcome: Outcome) -> None:
    """§50 ③: a separate, dated night-time consent lifts the SMS/push window; Kakao's 20:50 block has no
    exception."""
    decision = decide(_ad(channel), recipient(night_consent=night), STORE, kst(23))
    assert decision.outcome is outcome, rule
    if outcome is Outcome.SEND:
        assert decision.reasons == (Reason.CONSENT, Reason.NIGHT_CONSENT)


def test_quiet_hours_do_not_apply_to_informational_messages() -> None:
    for clock in ((20, 50), (23, 59), (3, 0), (7, 59)):
        decision = decide(
            alimtalk(), recipient(variables={"고객명": "a", "송장번호": "1"}), STORE, kst(*clock)
        )
        assert decision.outcome is Outcome.SEND


def test_quiet_hours_deferral_is_spread_and_stable() -> None:
    """100k recipients do not hit the gateway in one second; a retry lands on the same instant."""
    at = kst(23, 30)
    instants = {decide(brand(), recipient(key=f"c{i}"), STORE, at).send_at for i in range(2_000)}
    assert len(instants) > 250  # spread over the whole window of seconds
    assert all(i is not None and local(i).strftime("%H:%M") < "08:05" for i in instants)
    first = decide(brand(), recipient(key="c7"), STORE, at)
    again = decide(brand(), recipient(key="c7"), STORE, at + timedelta(seconds=37))
    assert first.send_at == again.send_at == kst(8, day=24) + spread("c7")


def test_quiet_hours_drop_campaign_suppresses() -> None:
    """ "A blocked send is deferred … unless its campaign says drop"."""
    decision = decide(brand(on_quiet_hours="drop"), recipient(), STORE, kst(22))
    assert decision.outcome is Outcome.SUPPRESS and decision.reasons == (Reason.QUIET_HOURS,)


EXPIRY = [
    ("validity_ends_before_08_00_expires", kst(7, 30, day=24), Outcome.SUPPRESS),
    ("validity_ends_at_08_10_defers", kst(8, 10, day=24), Outcome.DEFER),
    ("validity_already_over_expires", kst(21, 0), Outcome.SUPPRESS),
]


@pytest.mark.parametrize(("rule", "valid_until", "outcome"), EXPIRY, ids=[c[0] for c in EXPIRY])
def test_expired(rule: str, valid_until: datetime, outcome: Outcome) -> None:
    """A deferral past the message's validity is suppressed with `expired` (and says why it was moved)."""
    decision = decide(brand(valid_until=valid_until), recipient(), STORE, kst(22))
    assert decision.outcome is outcome, rule
    if outcome is Outcome.SUPPRESS:
        assert Reason.EXPIRED in decision.reasons
    # the same through the per-call override
    assert decide(brand(), recipient(), STORE, kst(22), valid_until=valid_until).outcome is outcome


def test_expired_reasons_record_the_night_window() -> None:
    decision = decide(brand(valid_until=kst(7, 30, day=24)), recipient(), STORE, kst(22))
    assert decision.reasons == (Reason.QUIET_HOURS, Reason.EXPIRED)


ZONES = [
    ("new_york_evening_defers", "America/New_York", datetime(2026, 6, 23, 21, 30), Outcome.DEFER),
    ("new_york_morning_sends", "America/New_York", datetime(2026, 6, 23, 9, 0), Outcome.SEND),
    # 09:00 UTC is 18:00 in Seoul but 05:00 in New York: the store's zone decides.
    (
        "new_york_dawn_is_night_even_when_seoul_is_day",
        "America/New_York",
        datetime(2026, 6, 23, 5, 0),
        Outcome.DEFER,
    ),
    ("berlin_20_50_defers", "Europe/Berlin", datetime(2026, 6, 23, 20, 50), Outcome.DEFER),
]


@pytest.mark.parametrize(("rule", "zone_name", "wall", "outcome"), ZONES, ids=[z[0] for z in ZONES])
def test_quiet_hours_in_the_store_time_zone(
    rule: str, zone_name: str, wall: datetime, outcome: Outcome
) -> None:
    """All rules run in the store's time zone; instants in and out are UTC."""
    zone = ZoneInfo(zone_name)
    at = wall.replace(tzinfo=zone).astimezone(UTC)
    decision = decide(brand(), recipient(), store(timezone=zone_name), at)
    assert decision.outcome is outcome, rule
    if outcome is Outcome.DEFER:
        assert decision.send_at is not None and decision.send_at.tzinfo is not None
        assert decision.send_at.astimezone(zone).hour == 8
        assert decision.send_at.astimezone(SEOUL).hour != 8  # not Seoul's morning


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(brand(), recipient(), STORE, datetime(2026, 6, 23, 12))
