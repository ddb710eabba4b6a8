"""What makes a month on the local runtime replay alike (tests/e2e/test_month_determinism.py runs whole
months): the ids Nudge makes up are seeded, so are the gateways', a cache's age is read on the simulated
clock, and the emulation's clients carry every hook registered."""

import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.handlers

from nudge import clock, ids
from nudge.adapters.dynamodb import DynamoStoreDirectory
from nudge_local.emulation import aws, hooks
from nudge_local.runtime.runtime import LocalRuntime
from nudge_local.runtime.stores import gateway_emulator
from tests.unit.local.conftest import START, TEMPLATE


def test_each_runtime_makes_up_the_same_ids_and_gives_the_source_back_when_it_closes() -> None:
    drawn = []
    for _ in range(2):
        with LocalRuntime(TEMPLATE, start=START):
            drawn.append([ids.token_hex(8) for _ in range(3)])
        assert ids._source is secrets.token_hex
    assert drawn[0] == drawn[1] and len(set(drawn[0])) == 3
    assert all(len(token) == 16 and int(token, 16) >= 0 for token in drawn[0])


class _StoresTable:
    def __init__(self) -> None:
        self.reads = 0

    def get_item(self, **_: Any) -> dict[str, Any]:
        self.reads += 1
        return {}


def test_store_settings_are_cached_for_a_minute_of_nudges_clock() -> None:
    now = [datetime(2026, 3, 1, tzinfo=UTC)]
    clock.set_source(lambda: now[0])
    try:
        table = _StoresTable()
        stores = DynamoStoreDirectory("stores", client=table)
        stores.get("dogday-mall")
        stores.get("dogday-mall")  # however long the machine took in between
        assert table.reads == 1
        now[0] += timedelta(seconds=61)
        stores.get("dogday-mall")
        assert table.reads == 2
    finally:
        clock.set_source(None)


def test_an_emulation_client_is_made_again_once_more_hooks_are_registered() -> None:
    aws.start_in_process()
    pair = ("before-send.sts", _no_op)
    try:
        before = aws.client("sqs")
        assert aws.client("sqs") is before
        generation = hooks.generation()
        hooks.register(pair)
        assert hooks.generation() == generation + 1
        assert aws.client("sqs") is not before
        hooks.register(pair)  # twice: nothing new
        assert hooks.generation() == generation + 1
    finally:
        botocore.handlers.BUILTIN_HANDLERS.remove(pair)
        if boto3.DEFAULT_SESSION is not None:
            boto3.DEFAULT_SESSION.events.unregister(*pair)
        aws.stop_in_process()


def _no_op(**_: Any) -> None:
    return None


def test_two_gateways_given_the_same_requests_give_the_same_ids() -> None:
    answers = []
    for _ in range(2):
        emulator = gateway_emulator(lambda: datetime(2026, 3, 16, 1, tzinfo=UTC))
        account = emulator.nhn[0]
        body = {
            "sendNo": next(iter(account.send_numbers)),
            "body": "도그데이 배송 안내",
            "recipientList": [{"recipientNo": "01012345678", "recipientGroupingKey": key} for key in "ab"],
        }
        headers = {"x-secret-key": account.sms_secret, "content-type": "application/json"}
        path = f"/sms/v3.0/appKeys/{account.sms_appkey}/sender/sms"
        sent = [emulator.handle("POST", path, "", headers, json.dumps(body).encode()) for _ in range(2)]
        answers.append(([json.loads(b) for _, _, b in sent], [r.body for r in emulator.take_reports()]))
    assert answers[0] == answers[1]
    request_ids = [a["body"]["data"]["requestId"] for a in answers[0][0]]
    assert len(set(request_ids)) == 2  # one per request, as NHN gives
