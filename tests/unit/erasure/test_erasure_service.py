"""Erasing a customer, in the domain (nudge.erasure.service) over in-memory stand-ins of its ports: what is
removed and in which order, the counts, that a second request answers the same and that a request a failure
interrupted is finished by the next one."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nudge.erasure.service import Erasure, ErasureDependencies, erase_customer
from nudge.errors import NotFound
from nudge.sending.records import SendRecord, State
from nudge_local.runtime.stores import DOGDAY
from tests.fakes import InMemoryStores

NOW = datetime(2026, 3, 18, 3, 0, tzinfo=UTC)
STORE = DOGDAY.store.store_id
CS_AGENT = "arn:aws:iam::123456789012:user/cs-agent"


class Log:
    def __init__(self) -> None:
        self.records: dict[tuple[str, str], Erasure] = {}

    def reference(self, store_id: str, customer_id: str) -> str:
        return f"ref({customer_id})"

    def get(self, store_id: str, reference: str) -> Erasure | None:
        return self.records.get((store_id, reference))

    def begin(self, store_id: str, reference: str, requested_by: str, now: datetime) -> None:
        found = self.records.get((store_id, reference))
        if found is None:
            self.records[store_id, reference] = Erasure(store_id, reference, "erasing", now, requested_by, {})
        else:
            self.records[store_id, reference] = replace(found, state="erasing")

    def count(self, store_id: str, reference: str, removed: Mapping[str, int]) -> None:
        found = self.records[store_id, reference]
        counts = dict(found.removed)
        for kind, n in removed.items():
            if n:
                counts[kind] = counts.get(kind, 0) + n
        self.records[store_id, reference] = replace(found, removed=counts)

    def finish(
        self, store_id: str, reference: str, requested_by: str, now: datetime, *, renewed: bool
    ) -> Erasure:
        found = replace(self.records[store_id, reference], state="erased")
        if renewed:
            found = replace(found, erased_at=now, requested_by=requested_by)
        self.records[store_id, reference] = found
        return found


@dataclass
class Customers:
    """Profiles (with their orders), journeys, send records and schedules of the store's customers."""

    profiles: dict[str, list[str]] = field(default_factory=dict)  # customer -> order ids
    index: dict[str, str] = field(default_factory=dict)  # order id -> customer
    steps: dict[str, int] = field(default_factory=dict)  # customer -> due steps
    entries: dict[str, int] = field(default_factory=dict)
    sends: dict[str, SendRecord] = field(default_factory=dict)
    schedules: set[str] = field(default_factory=set)
    log: list[str] = field(default_factory=list)
    fail_at: str | None = None  # the step that fails once (before it removes anything)

    def _step(self, name: str) -> None:
        self.log.append(name)
        if self.fail_at == name:
            self.fail_at = None
            raise ConnectionError(f"{name} failed")

    # CustomerProfiles
    def erase(self, store_id: str, customer_id: str, order_ids: Iterable[str] = ()) -> tuple[int, int]:
        self._step("profile")
        orders = [*self.profiles.get(customer_id, []), *order_ids]
        unindexed = sum(self.index.pop(o) == customer_id for o in dict.fromkeys(orders) if o in self.index)
        return unindexed, int(self.profiles.pop(customer_id, None) is not None)

    # CustomerJourneys
    def erase_customer(self, store_id: str, customer_id: str, automation_ids: list[str]) -> tuple[int, int]:
        self._step("journeys")
        return self.steps.pop(customer_id, 0), self.entries.pop(customer_id, 0)


class Sends:
    def __init__(self, customers: Customers) -> None:
        self.c = customers

    def customer_records(self, store_id: str, customer_id: str) -> list[SendRecord]:
        return [r for r in self.c.sends.values() if r.customer_id == customer_id]

    def erase(self, send_id: str, now: datetime) -> bool:
        self.c._step("send records")
        if send_id not in self.c.sends:
            return False
        self.c.sends[send_id] = replace(self.c.sends[send_id], customer_id="~erased")
        return True


class Deferrals:
    def __init__(self, customers: Customers) -> None:
        self.c = customers

    def cancel(self, send_id: str) -> bool:
        self.c._step("schedules")
        if send_id in self.c.schedules:
            self.c.schedules.remove(send_id)
            return True
        return False


class Automations:
    def documents(self, store_id: str, kind: str) -> list[dict[str, Any]]:
        return [{"automation_id": "aut_review"}]


def _world() -> tuple[ErasureDependencies, Customers, Log]:
    c = Customers(
        profiles={"m1": ["O-1", "O-2"], "m2": ["O-3"]},
        index={"O-1": "m1", "O-2": "m1", "O-3": "m2"},
        steps={"m1": 2, "m2": 1},
        entries={"m1": 1},
        sends={
            "s1": SendRecord("s1", STORE, "campaign:c", "m1", "o", State.DELIVERED),
            "s2": SendRecord("s2", STORE, "automation:a", "m1", "o", State.DEFERRED),
            "s3": SendRecord("s3", STORE, "campaign:c", "m2", "o", State.SENT),
        },
        schedules={"s2"},
    )
    log = Log()
    deps = ErasureDependencies(
        InMemoryStores([DOGDAY.store]), Automations(), log, c, c, Sends(c), Deferrals(c)
    )
    return deps, c, log


def first_time_counts() -> dict[str, int]:
    return {"order_index": 2, "profile": 1, "journey_steps": 2, "journey_entries": 1, "deferred_sends": 1,
            "send_records": 2, "product_watchers": 0}  # fmt: skip


def test_everything_that_names_the_customer_goes_and_the_record_counts_it() -> None:
    deps, c, _ = _world()
    erasure = erase_customer(deps, STORE, "m1", CS_AGENT, NOW)
    assert erasure.as_dict() == {
        "store_id": STORE,
        "reference": "ref(m1)",
        "state": "erased",
        "erased_at": NOW.isoformat(),
        "requested_by": CS_AGENT,
        "removed": first_time_counts(),
    }
    assert list(c.profiles) == ["m2"] and c.index == {"O-3": "m2"} and c.steps == {"m2": 1}
    assert [r.customer_id for r in c.sends.values()] == ["~erased", "~erased", "m2"] and not c.schedules
    # The profile first (nothing is sent, started or fired from then on), the schedules before the records.
    assert c.log == ["profile", "journeys", "schedules", "send records", "send records"]


def test_a_second_request_answers_the_same_and_removes_nothing() -> None:
    deps, _, _ = _world()
    first = erase_customer(deps, STORE, "m1", CS_AGENT, NOW)
    again = erase_customer(deps, STORE, "m1", "someone else", NOW + timedelta(hours=1))
    assert again == first


def test_a_customer_nudge_never_knew_is_erased_all_the_same() -> None:
    deps, _, log = _world()
    erasure = erase_customer(deps, STORE, "never-seen", CS_AGENT, NOW)
    assert erasure.state == "erased" and not any(erasure.as_dict()["removed"].values())
    assert log.get(STORE, "ref(never-seen)") == erasure  # on record: its earlier webhooks are dropped


@pytest.mark.parametrize("failing", ["profile", "journeys", "schedules", "send records"])
def test_a_request_a_failure_interrupted_is_finished_by_the_next(failing: str) -> None:
    deps, c, log = _world()
    c.fail_at = failing
    with pytest.raises(ConnectionError):
        erase_customer(deps, STORE, "m1", CS_AGENT, NOW)
    interrupted = log.get(STORE, "ref(m1)")
    assert interrupted is not None and interrupted.state == "erasing"  # on record, not done
    finished = erase_customer(deps, STORE, "m1", CS_AGENT, NOW + timedelta(minutes=1))
    assert finished.state == "erased" and finished.erased_at == NOW  # the first request's instant
    assert finished.as_dict()["removed"] == first_time_counts()
    assert "m1" not in c.profiles and not c.schedules
    assert [r.customer_id for r in c.sends.values()] == ["~erased", "~erased", "m2"]


def test_new_activity_after_an_erasure_is_erased_by_the_next_request_which_then_is_the_record() -> None:
    deps, c, _ = _world()
    erase_customer(deps, STORE, "m1", CS_AGENT, NOW)
    c.profiles["m1"] = []  # the member came back (a new profile from events after the erasure)
    later = NOW + timedelta(days=30)
    again = erase_customer(deps, STORE, "m1", "shopify:customers/redact", later)
    assert (again.erased_at, again.requested_by, again.removed["profile"]) == (
        later,
        "shopify:customers/redact",
        2,
    )


def test_an_unknown_store_is_a_404_and_nothing_is_recorded() -> None:
    deps, _, log = _world()
    with pytest.raises(NotFound):
        erase_customer(deps, "no-such-store", "m1", CS_AGENT, NOW)
    assert not log.records
