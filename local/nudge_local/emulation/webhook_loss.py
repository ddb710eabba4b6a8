"""A fault switch: Cafe24 loses some of its webhooks (developer notice 2024-12-31, "웹훅 간헐적 유실").

The demo month's runner asks `lost(payload)` of each webhook payload the local Cafe24 mall answers for a
change, before it posts it: a lost one is never posted (not retried either: Cafe24 does not know it lost it).
The mall keeps the change, so Nudge sees it only through the Admin API (its reconciliation,
Cafe24ReconcileFunction, every 15 minutes).

Which webhooks are lost is drawn from the seed and the payload itself (its event number and resource, and
how many identical payloads came before it), never from a shared stream: the same in every run, whatever
else the run does.

By default only the events the reconciliation reads back can be lost (`RECOVERABLE`): orders (placed, paid,
shipped, delivered, cancelled, returned, refunded), members who join, products. The others - a login, a
cart (Cafe24 has no cart API to read it back), a member's change of consent or details - are lost for good
when lost; `events=None` loses from every event.
"""

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# Event numbers (nudge.ingest.platforms.cafe24) whose facts Cafe24ReconcileFunction reads back.
ORDER_EVENTS = frozenset({90023, 90024, 90025, 90026, 90027, 90029, 90071, 90072, 90073, 90074})
MEMBER_JOINED = 90032
PRODUCT_EVENTS = frozenset({90001, 90002})
RECOVERABLE = ORDER_EVENTS | {MEMBER_JOINED} | PRODUCT_EVENTS


@dataclass
class WebhookLoss:
    rate: float = 0.0  # the share of the (eligible) webhooks lost
    seed: int = 0
    events: frozenset[int] | None = RECOVERABLE  # which events can be lost (None: any)
    lost_events: Counter[int] = field(default_factory=Counter)  # lost so far, by event number
    _seen: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"a share of webhooks between 0 and 1, not {self.rate}")

    @property
    def lost(self) -> int:
        return sum(self.lost_events.values())

    def drops(self, payload: dict[str, Any]) -> bool:
        """Whether this webhook is lost (counted when it is)."""
        event_no = int(payload["event_no"])
        if self.rate <= 0.0 or (self.events is not None and event_no not in self.events):
            return False
        what = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        self._seen[what] += 1
        chance = random.Random(f"{self.seed}|cafe24-loss|{what}|{self._seen[what]}").random()
        if chance < self.rate:
            self.lost_events[event_no] += 1
            return True
        return False
