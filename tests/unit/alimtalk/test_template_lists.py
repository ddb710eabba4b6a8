"""The template-list requests the adapters put on the wire, read against the envelopes the gateways document
(NHN: TOAST-DOCS/Alimtalk alimtalk-api-guide.md "템플릿 리스트 조회"; Solapi: solapi-nodejs
getKakaoAlimtalkTemplatesResponse.ts), and the emulators serving them as strictly."""

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from nudge.adapters.gateways.nhn_templates import NhnTemplates
from nudge.adapters.gateways.solapi_templates import SolapiTemplates
from nudge.alimtalk.service import TemplatesUnavailable
from nudge_local.gateway.emulator import GatewayEmulator, NhnAccount, SolapiAccount
from nudge_local.gateway.templates import set_status

SENDER = "S" * 40


def _serving(pages: list[dict[str, Any]], seen: list[httpx.Request], status: int = 200) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=pages[len(seen) - 1])

    return httpx.Client(transport=httpx.MockTransport(handler))


def _nhn(client: httpx.Client, secret: str = "KSECRET") -> NhnTemplates:
    return NhnTemplates(
        client, kakao_url="https://kakao.example", appkey="KAPP", secret=secret, sender_key=SENDER
    )


def _nhn_page(codes: list[tuple[str, str]], total: int) -> dict[str, Any]:
    templates = [
        {
            "senderKey": SENDER,
            "templateCode": code,
            "templateName": f"이름 {code}",
            "templateContent": "#{name}님",
            "status": status,
            "statusName": {"TSC02": "검수 중", "TSC03": "승인"}[status],
            "comments": [],
        }
        for code, status in codes
    ]
    ok = {"resultCode": 0, "resultMessage": "SUCCESS", "isSuccessful": True}
    return {"header": ok, "templateListResponse": {"templates": templates, "totalCount": total}}


def test_nhn_lists_every_page_of_the_senders_templates() -> None:
    seen: list[httpx.Request] = []
    pages = [_nhn_page([("A", "TSC03"), ("B", "TSC02")], 3), _nhn_page([("C", "TSC03")], 3)]
    listed = _nhn(_serving(pages, seen)).templates()
    assert [(t.code, t.name, t.status, t.gateway_label) for t in listed] == [
        ("A", "이름 A", "approved", "승인"),
        ("B", "이름 B", "inspecting", "검수 중"),
        ("C", "이름 C", "approved", "승인"),
    ]
    assert [r.url.path for r in seen] == [f"/alimtalk/v2.3/appkeys/KAPP/senders/{SENDER}/templates"] * 2
    assert [dict(r.url.params) for r in seen] == [
        {"pageNum": "1", "pageSize": "1000"},
        {"pageNum": "2", "pageSize": "1000"},
    ]
    assert all(r.headers["X-Secret-Key"] == "KSECRET" for r in seen)


def test_nhn_refusing_the_key_is_no_list() -> None:
    refused = {"header": {"resultCode": -1001, "resultMessage": "invalid secret", "isSuccessful": False}}
    with pytest.raises(TemplatesUnavailable, match="-1001"):
        _nhn(_serving([refused], [], status=401)).templates()
    with pytest.raises(TemplatesUnavailable, match="did not answer"):
        _nhn(_serving([{}], [], status=503)).templates()


def test_solapi_follows_next_key_and_signs_each_page() -> None:
    seen: list[httpx.Request] = []
    item = {"channelId": "KA01PF1", "content": "#{name}님", "messageType": "BA", "emphasizeType": "NONE"}
    pages = [
        {
            "limit": 500,
            "templateList": [{**item, "templateId": "KA01TP1", "name": "하나", "status": "APPROVED"}],
            "startKey": None,
            "nextKey": "KA01TP2",
        },
        {
            "limit": 500,
            "templateList": [{**item, "templateId": "KA01TP2", "name": "둘", "status": "REJECTED"}],
            "startKey": "KA01TP2",
            "nextKey": None,
        },
    ]
    source = SolapiTemplates(
        _serving(pages, seen),
        base_url="https://api.solapi.example",
        api_key="KEY",
        api_secret="SECRET",
        channel_id="KA01PF1",
    )
    assert [(t.code, t.status, t.gateway_label) for t in source.templates()] == [
        ("KA01TP1", "approved", "등록완료"),
        ("KA01TP2", "rejected", "반려됨"),
    ]
    assert [r.url.path for r in seen] == ["/kakao/v2/templates"] * 2
    assert [dict(r.url.params) for r in seen] == [
        {"channelId": "KA01PF1", "limit": "500"},
        {"channelId": "KA01PF1", "limit": "500", "startKey": "KA01TP2"},
    ]
    assert all(r.headers["Authorization"].startswith("HMAC-SHA256 apiKey=KEY, date=") for r in seen)


# ---------------------------------------------------------------- the emulators


def _emulator() -> GatewayEmulator:
    now = datetime(2026, 3, 18, 0, 0, tzinfo=UTC)
    nhn = NhnAccount(
        "KAPP",
        "KSECRET",
        "SAPP",
        "SSECRET",
        SENDER,
        {"0212345678"},
        templates={f"T{i:04}": "#{name}님" for i in range(1203)},
    )
    solapi = SolapiAccount(
        "KEY",
        "SECRET",
        "KA01PF1",
        {"0212345678"},
        templates={f"KA01TP{i:04}": "#{name}님" for i in range(1203)},
    )
    return GatewayEmulator(lambda: now, [nhn], [solapi])


def test_the_emulated_lists_page_as_the_real_ones_and_carry_each_status() -> None:
    emulator = _emulator()
    set_status(emulator.nhn, "T0007", "TSC04")
    set_status(emulator.solapi, "KA01TP0007", "INSPECTING")
    client = httpx.Client(transport=emulator.transport())
    nhn = {t.code: t for t in _nhn(client).templates()}
    assert len(nhn) == 1203 and nhn["T0007"].status == "rejected" and nhn["T0008"].status == "approved"
    solapi = SolapiTemplates(
        client, base_url="https://x", api_key="KEY", api_secret="SECRET", channel_id="KA01PF1"
    )
    listed = {t.code: t for t in solapi.templates()}
    assert len(listed) == 1203 and listed["KA01TP0007"].status == "inspecting"
    with pytest.raises(TemplatesUnavailable, match="-1001"):
        _nhn(client, secret="WRONG").templates()


def test_the_emulators_refuse_pages_larger_than_documented() -> None:
    emulator = _emulator()
    path = f"/alimtalk/v2.3/appkeys/KAPP/senders/{SENDER}/templates"
    status, _, body = emulator.handle("GET", path, "pageSize=1001", {"X-Secret-Key": "KSECRET"}, b"")
    assert (status, json.loads(body)["header"]["resultCode"]) == (400, -2000)
    headers = {"authorization": _signed()}
    status, _, _ = emulator.handle("GET", "/kakao/v2/templates", "limit=501", headers, b"")
    assert status == 400


def _signed() -> str:
    from secrets import token_hex

    from nudge.adapters.gateways.solapi import authorization

    return authorization("KEY", "SECRET", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), token_hex(8))


def test_the_emulated_send_refuses_a_template_not_approved() -> None:
    emulator = _emulator()
    set_status(emulator.nhn, "T0001", "TSC02")
    body = {
        "senderKey": SENDER,
        "templateCode": "T0001",
        "recipientList": [{"recipientNo": "01012345678", "templateParameter": {"name": "홍"}}],
    }
    status, _, raw = emulator.handle(
        "POST",
        "/alimtalk/v2.3/appkeys/KAPP/messages",
        "",
        {"X-Secret-Key": "KSECRET"},
        json.dumps(body).encode(),
    )
    assert (status, json.loads(raw)["header"]["resultCode"]) == (400, -3005)
    set_status(emulator.nhn, "T0001", "TSC03")
    status, _, _ = emulator.handle(
        "POST",
        "/alimtalk/v2.3/appkeys/KAPP/messages",
        "",
        {"X-Secret-Key": "KSECRET"},
        json.dumps(body).encode(),
    )
    assert status == 200
