"""The identifiers the local runtime hands Nudge (`nudge.ids.set_source`), as it hands it the simulated clock:
drawn from a generator seeded alike for every runtime, so a replay names its campaigns, automations and
segments alike, and with them everything made from their names (send ids, link tokens, schedule names)."""

import random
import threading

SEED = 20260301


class SeededIds:
    """`nudge.ids`' source: `nbytes` bytes as hex, the next from a seeded generator."""

    def __init__(self, seed: int = SEED) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def __call__(self, nbytes: int) -> str:
        with self._lock:
            return f"{self._random.getrandbits(8 * nbytes):0{2 * nbytes}x}"
