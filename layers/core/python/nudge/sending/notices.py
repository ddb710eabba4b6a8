"""Whether a send is owed to the customer by law: a notice no marketer chose, so never credited with an order.

Two kinds. Nudge's own notices (`nudge.sending.service.send_notice`: the consent-result notice after an
opt-out read from the gateway), whose ledger source starts with NOTICE. And the messages of an automation
made from a legal-notice template (`nudge.automations.templates.LEGAL_NOTICE_TEMPLATES`): marked on the send
job and the ledger record when queued (`owed_by_law`), so editing or deleting the automation later changes
nothing; the sends recorded before that mark existed are told by the store's legal-notice automations now.
"""

from collections.abc import Collection

from nudge.sending.records import SendRecord

NOTICE = "notice:"  # the ledger source of a notice Nudge sends itself starts so
CONSENT_RESULT_NOTICE = f"{NOTICE}consent-result"


def is_owed_by_law(record: SendRecord, notice_automations: Collection[str] = frozenset()) -> bool:
    """Whether this send is owed by law; `notice_automations`: the store's legal-notice automations'
    sources (`automation:<id>`), for the sends recorded before they were marked."""
    return record.source.startswith(NOTICE) or record.owed_by_law or record.source in notice_automations
