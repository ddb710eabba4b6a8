"""Lost Cafe24 webhooks change nothing a customer receives: the reconciliation reads them back.

Cafe24 says its webhooks can be lost (developer notice 2024-12-31). A small demo month runs twice, the same
store and seed: once with every Cafe24 webhook delivered, once with 10 % of those the reconciliation can read
back (orders, members who join, products: emulation/webhook_loss.py) lost. The messages sent must be the
same, message for message (who, from which campaign or automation, what text and kind; not when: a
recovered webhook is applied up to 15 minutes late).
"""

import io
import re
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from nudge_local.demo import demo_month

pytestmark = pytest.mark.e2e

CUSTOMERS = 150
SEED = 23
PUMP_EVERY = timedelta(hours=6)
_TOKEN = re.compile(r"/r/[A-Za-z0-9_.~-]+")


def _month(drop: float) -> demo_month.MonthResult:
    drill = demo_month.Drill(drop_cafe24_webhooks=drop, clicks=False, capture=True)
    return demo_month.run(CUSTOMERS, SEED, out=io.StringIO(), why=[], drill=drill, pump_every=PUMP_EVERY)


@pytest.fixture(scope="module")
def months() -> tuple[demo_month.MonthResult, demo_month.MonthResult]:
    return _month(0.0), _month(0.1)


def _outbox(result: demo_month.MonthResult) -> Counter[tuple[str, str, str]]:
    """Who got which text of which kind (a link's token names the send: left out)."""
    return Counter(
        (str(m["to"]), str(m.get("kind")), _TOKEN.sub("/r/…", str(m["text"])))
        for m in result.capture["outbox"]
    )


def _sends(result: demo_month.MonthResult) -> Counter[tuple[str, str, str]]:
    """The ledger: which customer each campaign or automation (by name) sent to, and how it ended."""
    names: dict[str, Any] = {
        **{k: v["name"] for k, v in result.campaigns.items()},
        **{k: v["name"] for k, v in result.automations.items()},
    }

    def named(source: str) -> str:
        return next((name for source_id, name in names.items() if source_id in source), source)

    return Counter(
        (r.customer_id, named(r.source), str(r.state))
        for r in result.capture["ledger"]
        if r.store_id == "dogday-mall"
    )


def test_the_drop_run_lost_cafe24_webhooks(months: tuple[demo_month.MonthResult, ...]) -> None:
    clean, dropped = months
    assert clean.cafe24_lost.total() == 0
    assert dropped.cafe24_lost.total() > 0
    assert set(dropped.cafe24_lost) >= {90023}  # orders among them
    assert dropped.requests["order"] < clean.requests["order"]  # fewer order webhooks were posted


def test_the_same_messages_are_sent_with_and_without_lost_webhooks(
    months: tuple[demo_month.MonthResult, ...],
) -> None:
    clean, dropped = months
    assert clean.messages_sent > 20  # a month did happen
    assert _outbox(dropped) == _outbox(clean)
    assert _sends(dropped) == _sends(clean)
    assert dropped.refused == clean.refused == Counter()
