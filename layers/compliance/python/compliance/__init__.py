"""Nudge's compliance layer: Korean ad law and Kakao rules as one auditable policy engine.

Pure Python (stdlib + pydantic), no I/O. The two calls a handler makes:

    problems = validate_message(definition, store)   # before scheduling: every problem, with its field
    decision = decide(message, recipient, store, at)  # at send time: send / defer / suppress + reasons

The rules, their sources, reason codes and tests: docs/compliance.md.
"""

import importlib
from typing import Any

# Importing one submodule (compliance.settings, say) must not load the whole engine: a function that
# only needs the store settings should not pay for the decision code at cold start.
_EXPORTS = {
    "AdBudget": "settings",
    "Button": "message",
    "Card": "message",
    "Commerce": "message",
    "Consent": "consent",
    "Content": "content",
    "Coupon": "message",
    "Decision": "decision",
    "ExistingCustomer": "consent",
    "Image": "message",
    "ImageFacts": "images",
    "ImageNeed": "images",
    "Item": "message",
    "Message": "message",
    "MessageInvalid": "problems",
    "Outcome": "decision",
    "Problem": "problems",
    "Reason": "reasons",
    "RecentSend": "recipient",
    "Recipient": "recipient",
    "StoreSettings": "settings",
    "Tail": "message",
    "app_link_problem": "links",
    "build_fallback_sms": "content",
    "consent_state": "consent",
    "image_problem": "images",
    "image_uses": "images",
    "decide": "decision",
    "is_labelled_ad_sms": "labelling",
    "next_allowed_instant": "quiet_hours",
    "night_window": "quiet_hours",
    "parse_message": "message",
    "promotional_words": "classes",
    "reconfirmation_deadline": "consent",
    "reconfirmation_notice": "notices",
    "render": "content",
    "read_facts": "images",
    "reconfirmation_notice_due": "consent",
    "result_notice": "notices",
    "result_notice_deadline": "consent",
    "sms_bytes": "formats",
    "validate_message": "message",
    "web_link_problem": "links",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'compliance' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"compliance.{module}"), name)
    globals()[name] = value
    return value
