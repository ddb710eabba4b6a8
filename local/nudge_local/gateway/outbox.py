"""What the emulated gateways share between them: the people on the other end (`Recipients`: who has no
KakaoTalk, who blocked the store's channel, who called its 080 number) and what the gateways took and owe
(`Outbox`: every send request taken, what reached a phone, the delivery reports to post to Nudge, and the
ids the gateways give)."""

import json
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from nudge_local.gateway.images import Uploads

REPORT_BATCH = 100  # results in one posted report (an assumption: neither gateway documents its maximum)
# The ids the gateways give (request, message, report ids) come from a generator of their own, seeded: the
# same requests get the same ids, so a replayed month leaves the same ledger.
IDS_SEED = 20260301


class Report(NamedTuple):
    """A delivery report as the gateway posts it to `/gateway/reports/{provider}`."""

    provider: str
    headers: dict[str, str]
    body: bytes
    query: dict[str, str]  # the registered URL's query parameters (Solapi's report signature)


@dataclass
class Recipients:
    """The phones' side, which both gateways see."""

    non_kakao: set[str] = field(default_factory=set)  # numbers without KakaoTalk
    blocked: set[str] = field(default_factory=set)  # numbers that blocked the channel
    # numbers on the store's 080 free opt-out list -> when they called (refused at once; NHN lists them)
    optout_080: dict[str, datetime] = field(default_factory=dict)


class Outbox:
    """Every send request taken (`requests`, and by correlation key for the message-list lookups), what
    reached a phone (`messages`), the images each account uploaded (`uploads`), and the delivery reports
    waiting to be posted. `dropped` says whether a report is lost on its way (the front door's faults), drawn
    under the same lock."""

    def __init__(self, lock: threading.RLock, dropped: Callable[[], bool]) -> None:
        self.lock = lock
        self.messages: list[dict[str, Any]] = []  # what reached a phone (`GET /_local/outbox`)
        self.requests: list[dict[str, Any]] = []  # every send request that was taken (for duplicate checks)
        self._dropped = dropped
        # (provider, headers, query, NHN envelope without its hooks or None for Solapi, one result)
        self._reports: list[
            tuple[str, dict[str, str], dict[str, str], dict[str, Any] | None, dict[str, Any]]
        ] = []
        self._taken: dict[Any, dict[str, Any]] = {}  # correlation key -> message record (lookups)
        self._taken_at: dict[Any, datetime] = {}  # correlation key -> when it was taken
        self._ids = random.Random(IDS_SEED)
        self.uploads = Uploads(lock)

    def new_id(self, digits: int) -> str:
        """`digits` hex digits, the next from the seeded generator."""
        with self.lock:
            return f"{self._ids.getrandbits(4 * digits):0{digits}x}"

    def take(
        self,
        key: Any,
        record: dict[str, Any],
        reached: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        """A message taken under its correlation key at `at`; `reached`: what reached the phone, if anything
        did."""
        with self.lock:
            self.requests.append(record)
            self._taken[key] = record
            if at is not None:
                self._taken_at.setdefault(key, at)  # listed from the first time it was taken
            if reached is not None:
                self.messages.append(reached)

    def taken(self, key: Any, listed_by: datetime | None = None) -> dict[str, Any] | None:
        """The message taken under `key`; with `listed_by`, only if it was taken by then (a gateway's
        message list that lags behind what it took: the front door's `lookup_lag_seconds`)."""
        with self.lock:
            found = self._taken.get(key)
            at = self._taken_at.get(key)
        if found is None or listed_by is None or at is None or at <= listed_by:
            return found
        return None

    def queue_report(
        self,
        provider: str,
        headers: dict[str, str],
        query: dict[str, str],
        envelope: dict[str, Any] | None,
        result: dict[str, Any],
    ) -> None:
        with self.lock:
            if self._dropped():
                return
            self._reports.append((provider, headers, query, envelope, result))

    def take_reports(self) -> list[Report]:
        """The reports to post. Results waiting for the same webhook go out together, up to REPORT_BATCH in
        one body: NHN's `hooks` and Solapi's group report are lists."""
        with self.lock:
            pending, self._reports = self._reports, []
        groups: dict[
            tuple[str, str],
            tuple[dict[str, str], dict[str, str], dict[str, Any] | None, list[dict[str, Any]]],
        ] = {}
        for provider, headers, query, envelope, result in pending:
            key = (provider, json.dumps([headers, query, envelope], sort_keys=True))
            groups.setdefault(key, (headers, query, envelope, []))[3].append(result)
        out = []
        for (provider, _), (headers, query, envelope, results) in groups.items():
            for first in range(0, len(results), REPORT_BATCH):
                chunk = results[first : first + REPORT_BATCH]
                body: Any = (
                    chunk if envelope is None else {**envelope, "hooksId": self.new_id(32), "hooks": chunk}
                )
                out.append(Report(provider, headers, json.dumps(body, ensure_ascii=False).encode(), query))
        return out

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.requests.clear()
            self._reports.clear()
            self._taken.clear()
            self._taken_at.clear()
            # The accounts' uploads stay: they are the account's, as its sender numbers are, and Nudge
            # keeps naming them.
