"""Solapi's message groups (solapi/documents, api-reference/messages/groups/): what the adapter puts on the
wire to send one message exactly once, and the emulator's answers, as strict as the documentation."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from nudge.adapters.gateways.solapi import SolapiGateway
from nudge.sending.gateway import Expired, Outbound, Rejected
from nudge_local.gateway.emulator import Faults, GatewayEmulator, SolapiAccount
from nudge_local.gateway.solapi import PENDING_GROUP_TTL
from tests.fakes import ManualClock

NOON = datetime(2026, 3, 18, 3, 0, tzinfo=UTC)
ACCOUNT = SolapiAccount("KEY", "SECRET", "PF", {"0212345678"})


def _world() -> tuple[GatewayEmulator, SolapiGateway, ManualClock, list[tuple[str, str, Any]]]:
    clock = ManualClock(NOON)
    emulator = GatewayEmulator(clock.now, solapi=[ACCOUNT])
    calls: list[tuple[str, str, Any]] = []
    inner = emulator.transport()

    def spy(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        calls.append((request.method, request.url.path, body))
        return inner.handle_request(request)

    client = httpx.Client(transport=httpx.MockTransport(spy))
    gateway = SolapiGateway(
        "acct", client, base_url="http://solapi.local", api_key="KEY", api_secret="SECRET", pf_id="PF"
    )
    return emulator, gateway, clock, calls


def _sms(send_id: str = "s1", to: str = "01012345678") -> Outbound:
    return Outbound(send_id, to, "SMS", "[메이플굿즈] 주문 완료", False, "02-1234-5678")


def test_a_message_goes_through_a_group_made_held_and_sent_in_three_calls() -> None:
    emulator, gateway, _, calls = _world()
    group_id = gateway.prepare(_sms())
    assert emulator.outbox == []  # held, not sent
    accepted = gateway.send(_sms(), group_id)
    assert (accepted.gateway_message_id, accepted.already) == (group_id, False)
    assert [(method, path) for method, path, _ in calls] == [
        ("POST", "/messages/v4/groups"),
        ("PUT", f"/messages/v4/groups/{group_id}/messages"),
        ("POST", f"/messages/v4/groups/{group_id}/send"),
    ]
    assert calls[0][2] == {"allowDuplicates": False, "customFields": {"nudge_send": "s1"}}
    [item] = calls[1][2]["messages"]
    assert (item["to"], item["from"], item["type"], item["customFields"]) == (
        "01012345678", "0212345678", "SMS", {"nudge_send": "s1"}
    )  # fmt: skip
    assert [m["key"] for m in emulator.outbox] == ["s1"]


def test_a_group_sent_already_is_refused_409_and_read_as_already_sent() -> None:
    emulator, gateway, _, _ = _world()
    group_id = gateway.prepare(_sms())
    gateway.send(_sms(), group_id)
    again = gateway.send(_sms(), group_id)
    assert again.already and again.gateway_message_id == group_id
    assert len(emulator.outbox) == 1
    status, _, body = emulator.handle("POST", f"/messages/v4/groups/{group_id}/send", "",
                                      _signed(gateway), b"")  # fmt: skip
    assert (status, json.loads(body)["errorCode"]) == (409, "AlreadySent")


def test_asking_the_group_tells_pending_from_sent() -> None:
    _, gateway, _, _ = _world()
    group_id = gateway.prepare(_sms())
    assert gateway.find(_sms(), group_id) is None  # PENDING: never sent
    gateway.send(_sms(), group_id)
    found = gateway.find(_sms(), group_id)
    assert found is not None and found.already and found.gateway_message_id == group_id


def test_a_group_never_sent_expires_and_sending_it_then_is_expired_not_sent() -> None:
    emulator, gateway, clock, _ = _world()
    group_id = gateway.prepare(_sms())
    clock.advance(PENDING_GROUP_TTL)
    assert gateway.find(_sms(), group_id) is None  # 404: gone
    with pytest.raises(Expired) as gone:
        gateway.send(_sms(), group_id)
    assert gone.value.code == "ResourceNotFound" and emulator.outbox == []


def test_a_refused_message_is_rejected_before_its_group_could_be_sent() -> None:
    emulator, gateway, _, calls = _world()
    stranger = Outbound("s2", "01012345678", "SMS", "안내", False, "02-0000-0000")  # unregistered number
    with pytest.raises(Rejected) as refused:
        gateway.prepare(stranger)
    assert refused.value.code == "1062"
    assert [method for method, _, _ in calls] == ["POST", "PUT"] and emulator.outbox == []


def test_the_emulator_holds_a_group_to_solapis_documented_limits() -> None:
    emulator, gateway, _, _ = _world()
    headers = _signed(gateway)

    def call(method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        raw = json.dumps(body).encode() if body is not None else b""
        status, _, answer = emulator.handle(method, path, "", headers, raw)
        return status, json.loads(answer)

    status, group = call("POST", "/messages/v4/groups", {})
    assert (status, group["status"], group["count"]["total"]) == (200, "PENDING", 0)
    path = f"/messages/v4/groups/{group['groupId']}"
    message = {"to": "01012345678", "from": "0212345678", "type": "SMS", "text": "안내"}
    assert call("PUT", f"{path}/messages", {"messages": "no"})[0] == 400  # messages must be an array
    too_many = {"messages": [{**message, "to": [f"010{n:08d}" for n in range(10_001)]}]}
    status, refused = call("PUT", f"{path}/messages", too_many)
    assert (status, refused["errorCode"]) == (413, "RecipientsTooMany")
    status, added = call("PUT", f"{path}/messages", {"messages": [message, message]})
    assert [r["statusCode"] for r in added["resultList"]] == ["2000", "1026"]  # allowDuplicates: false
    assert (
        call("PUT", f"{path}/messages", {"messages": [message]})[1]["resultList"][0]["statusCode"] == "1026"
    )
    status, sending = call("POST", f"{path}/send")
    assert (status, sending["status"], sending["count"]["registeredSuccess"]) == (200, "SENDING", 1)
    assert len(emulator.outbox) == 1  # the refused copies were kept in the group, never sent
    status, info = call("GET", path)
    assert (status, info["status"]) == (200, "COMPLETE") and info["dateSent"]
    assert call("PUT", f"{path}/messages", {"messages": [message]})[0] == 400  # only a PENDING group
    assert call("POST", "/messages/v4/groups/G4VNOSUCHGROUP/send")[0] == 404
    other = SolapiGateway(
        "b", httpx.Client(), base_url="http://x", api_key="OTHER", api_secret="S", pf_id="P"
    )
    emulator.solapi.append(SolapiAccount("OTHER", "S", "P", set()))
    status, _, _ = emulator.handle("GET", path, "", _signed(other), b"")
    assert status == 404  # another account's group is not found


def test_the_message_list_lags_when_asked_to_but_a_group_does_not() -> None:
    emulator, gateway, clock, _ = _world()
    emulator.set_faults(Faults(lookup_lag_seconds=30))
    group_id = gateway.prepare(_sms())
    gateway.send(_sms(), group_id)
    assert gateway.find(_sms()) is None  # the list does not show it yet ...
    assert gateway.find(_sms(), group_id) is not None  # ... the group does
    clock.advance(timedelta(seconds=30))
    assert gateway.find(_sms()) is not None


def _signed(gateway: SolapiGateway) -> dict[str, str]:
    return gateway._headers()
