"""One rule says whether a send is owed to the customer by law (nudge.sending.notices.is_owed_by_law): Nudge's
own notices, the sends marked when an automation made from a legal-notice template queued them, and the
sends of the store's legal-notice automations recorded before that mark."""

from nudge.automations.templates import legal_notice_automations
from nudge.sending.notices import CONSENT_RESULT_NOTICE, is_owed_by_law
from nudge.sending.records import SendRecord, State


def _record(source: str, *, owed_by_law: bool = False) -> SendRecord:
    return SendRecord("x", "s", source, "c1", "occ", State.DELIVERED, owed_by_law=owed_by_law)


def test_a_send_is_owed_by_law_for_one_of_three_reasons_and_a_marketers_message_never() -> None:
    notices = legal_notice_automations(
        [
            {"automation_id": "result", "template": "consent_result"},
            {"automation_id": "again", "template": "consent_reconfirmation"},
            {"automation_id": "welcome", "template": "welcome"},
            {"automation_id": "own"},
        ]
    )
    assert notices == {"automation:result", "automation:again"}
    assert is_owed_by_law(_record(CONSENT_RESULT_NOTICE))  # Nudge's own
    assert is_owed_by_law(_record("automation:deleted", owed_by_law=True))  # marked when queued
    assert is_owed_by_law(_record("automation:result"), notices)  # recorded before the mark
    assert not is_owed_by_law(_record("automation:result"))
    assert not is_owed_by_law(_record("automation:welcome"), notices)
    assert not is_owed_by_law(_record("campaign:notice"), notices)
