"""A read of many (a report's records and profiles): batched, several requests at a time, nothing lost."""

from contextvars import ContextVar
from typing import Any

import pytest

from nudge.adapters import dynamodb
from nudge.adapters.dynamodb import batch_get, concurrently

_caller: ContextVar[str] = ContextVar("caller", default="nobody")


class _Throttled:
    """A BatchGetItem that leaves the second half of each request unprocessed the first time it is asked."""

    def __init__(self) -> None:
        self.requests: list[int] = []
        self.seen: set[str] = set()

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        keys = RequestItems["t"]["Keys"]
        self.requests.append(len(keys))
        answered, unprocessed = [], []
        for i, key in enumerate(keys):
            pk = key["pk"]["S"]
            if i >= len(keys) // 2 and pk not in self.seen:
                self.seen.add(pk)
                unprocessed.append(key)
            else:
                answered.append({"pk": {"S": pk}, "caller": {"S": _caller.get()}})
        out: dict[str, Any] = {"Responses": {"t": answered}}
        if unprocessed:
            out["UnprocessedKeys"] = {"t": {"Keys": unprocessed, "ConsistentRead": False}}
        return out


def test_every_key_is_read_once_even_when_dynamodb_leaves_some_unprocessed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    paused: list[float] = []
    monkeypatch.setattr(dynamodb.time, "sleep", paused.append)
    client = _Throttled()
    keys = [{"pk": {"S": f"k{n:03d}"}} for n in range(250)]
    _caller.set("the report")
    items = batch_get(client, "t", keys)
    assert sorted(item["pk"]["S"] for item in items) == [f"k{n:03d}" for n in range(250)]
    # Three requests of at most 100 keys, then each one's unprocessed half asked again after a pause.
    assert sorted(client.requests) == [25, 50, 50, 50, 100, 100]
    assert paused == [dynamodb.UNPROCESSED_BACKOFF] * 3
    # Each request ran in the caller's context (the local runtime bills a request to who made it).
    assert {item["caller"]["S"] for item in items} == {"the report"}


def test_tasks_run_several_at_a_time_and_answer_in_order() -> None:
    import threading

    started = threading.Barrier(dynamodb.READERS, timeout=5)

    def task(n: int) -> int:
        started.wait()  # passes only when READERS tasks are running at once
        return n * n

    assert concurrently(task, list(range(dynamodb.READERS * 2))) == [
        n * n for n in range(dynamodb.READERS * 2)
    ]


def test_a_failed_task_stops_the_tasks_not_yet_started() -> None:
    ran: list[int] = []

    def task(n: int) -> int:
        ran.append(n)
        if n == 0:
            raise RuntimeError("throttled")
        import time

        time.sleep(0.01)
        return n

    with pytest.raises(RuntimeError, match="throttled"):
        concurrently(task, list(range(200)))
    assert len(ran) < 200  # the error came back without every other read made first


def test_the_shared_client_keeps_a_connection_for_every_concurrent_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A segment's 16 shard Queries and a report's eight reads share one client without opening and
    discarding connections beyond its pool."""
    from nudge.adapters.profile_item import SHARDS

    for name, value in (
        ("AWS_DEFAULT_REGION", "ap-northeast-2"),
        ("AWS_ACCESS_KEY_ID", "t"),
        ("AWS_SECRET_ACCESS_KEY", "t"),
    ):
        monkeypatch.setenv(name, value)
    dynamodb.dynamodb_client.cache_clear()
    try:
        pool = dynamodb.dynamodb_client().meta.config.max_pool_connections
    finally:
        dynamodb.dynamodb_client.cache_clear()
    assert pool >= SHARDS and pool >= dynamodb.READERS
