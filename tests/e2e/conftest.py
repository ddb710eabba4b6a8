"""End-to-end: the whole application on the local runtime (embedded moto, in-process functions)."""

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from boto3.dynamodb.types import TypeDeserializer

from nudge.profiles.profile import Profile
from nudge_local.demo.samples import SampleRequest
from nudge_local.emulation.kms import reading_profiles
from nudge_local.runtime.apigw import LOCAL_ADMIN_TOKEN
from nudge_local.runtime.runtime import LocalRuntime

KST = ZoneInfo("Asia/Seoul")
START = datetime(2026, 3, 16, 9, 0, tzinfo=KST)
AUTH = {"authorization": f"Bearer {LOCAL_ADMIN_TOKEN}", "content-type": "application/json"}


@pytest.fixture
def runtime() -> Iterator[LocalRuntime]:
    with LocalRuntime(start=START) as rt:
        yield rt


def send(runtime: LocalRuntime, request: SampleRequest) -> tuple[int, dict[str, Any]]:
    import json

    status, _, body = runtime.http(request.method, request.path, request.headers, request.body)
    return status, (json.loads(body) if body else {})


def call(runtime: LocalRuntime, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """An admin API call as the marketer makes it (the local admin token)."""
    import json

    status, _, raw = runtime.http(method, path, AUTH, json.dumps(body).encode() if body is not None else b"")
    return status, (json.loads(raw) if raw else None)


def scan(runtime: LocalRuntime, table_logical_id: str) -> list[dict[str, Any]]:
    deserializer = TypeDeserializer()
    client = runtime.client("dynamodb")
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=runtime.table_name(table_logical_id)):
        items.extend({k: deserializer.deserialize(v) for k, v in item.items()} for item in page["Items"])
    return items


def profiles(runtime: LocalRuntime) -> dict[tuple[str, str], Profile]:
    """Every profile, its phone number opened as the sender opens it (nudge.adapters.phones)."""
    reader = reading_profiles(runtime.template, runtime.client("dynamodb"), runtime.client("kms"))
    return {
        (item["pk"].rsplit("#", 1)[0], item["sk"]): reader.profile_of(item["pk"].rsplit("#", 1)[0], item)
        for item in scan(runtime, "ProfilesTable")
    }


def hold_events(runtime: LocalRuntime) -> None:
    """Stop the automations consuming the events queue, for tests that read what ingest put there."""
    from dataclasses import replace

    runtime.template.sqs_sources[:] = [
        replace(s, enabled=False) if s.queue == "EventsQueue" else s for s in runtime.template.sqs_sources
    ]


def hold_send_jobs(runtime: LocalRuntime) -> None:
    """Stop the sender consuming the send queue, for tests that read the jobs campaigns and automations
    put there (tests/e2e/test_sending.py follows jobs through the sender)."""
    from dataclasses import replace

    sources = runtime.template.sqs_sources
    sources[:] = [replace(s, enabled=False) if s.function == "SenderFunction" else s for s in sources]


def queued_events(runtime: LocalRuntime) -> list[dict[str, Any]]:
    """The normalized events on the events queue (see `hold_events`: the automations consume them)."""
    import json

    client = runtime.client("sqs")
    url = runtime.queue_url("EventsQueue")
    out: list[dict[str, Any]] = []
    while True:
        batch = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300)
        messages = batch.get("Messages", [])
        if not messages:
            return out
        out.extend(json.loads(m["Body"]) for m in messages)


def without_reconciliation(runtime: LocalRuntime) -> None:
    """Stop the hourly upkeep schedules (the Cafe24 reconciliation, the AlimTalk template sync), for tests
    that advance the clock by months or years with nothing for them to find: their 24 runs a day would
    only slow the pump."""
    for name in ("Cafe24ReconcileFunction-EveryHour", "AlimTalkTemplateSyncFunction-EveryHour"):
        runtime.client("scheduler").delete_schedule(Name=name, GroupName="default")
