"""The exact requests the adapters put on the wire (korea-messaging.md §3), and the emulator's refusals."""

import hashlib
import hmac
import json
from datetime import UTC, datetime

import httpx
import pytest

from nudge.adapters.gateways.nhn import IDEMPOTENCY_HEADER, NhnGateway
from nudge.adapters.gateways.solapi import SolapiGateway, authorization
from nudge.sending.gateway import Link, Outbound, Rejected, SmsPart
from nudge_local.gateway.emulator import Faults, GatewayEmulator, NhnAccount

FALLBACK = SmsPart(
    "LMS",
    "(광고)도그데이몰\n기획전 마감\n무료수신거부 080-123-4567",
    None,
    True,
    "02-1234-5678",
    "080-123-4567",
)


def _nhn(client: httpx.Client | None = None) -> NhnGateway:
    return NhnGateway(
        "acct",
        client or httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500))),
        kakao_url="https://kakao.example",
        sms_url="https://sms.example",
        kakao_appkey="KAPP",
        kakao_secret="KSECRET",
        sender_key="SENDERKEY",
        sms_appkey="SAPP",
        sms_secret="SSECRET",
    )


def test_a_brand_message_is_a_freestyle_message_with_its_fallback_as_a_complete_ad_sms() -> None:
    message = Outbound(
        send_id="s1",
        to="01012345678",
        kind="BRAND_MESSAGE",
        text="(광고) 기획전 마감!",
        is_ad=True,
        sender_number="02-1234-5678",
        targeting="I",
        buttons=(Link("기획전 보기", "WL", "https://t.example/r/s10"),),
        fallback=FALLBACK,
    )
    url, headers, body = _nhn().request(message)
    assert url == "https://kakao.example/brand-message/v1.0/appkeys/KAPP/freestyle-messages"
    assert headers == {"X-Secret-Key": "KSECRET", IDEMPOTENCY_HEADER: "s1"}
    assert body["senderKey"] == "SENDERKEY" and body["chatBubbleType"] == "TEXT"
    assert body["buttons"] == [
        {"ordering": 1, "type": "WL", "name": "기획전 보기", "linkMo": "https://t.example/r/s10"}
    ]
    [recipient] = body["recipientList"]
    assert recipient["recipientNo"] == "01012345678" and recipient["recipientGroupingKey"] == "s1"
    assert recipient["targeting"] == "I"
    assert recipient["resendParameter"] == {
        "isResend": True,
        "resendType": "LMS",
        "resendContent": FALLBACK.text,
        "resendSendNo": "0212345678",
        "resendUnsubscribeNo": "0801234567",
    }


def test_an_app_buttons_links_go_as_each_gateway_names_them() -> None:
    """An AL button opens the app: NHN `schemeAndroid` / `schemeIos`, Solapi `linkAndroid` / `linkIos`."""
    app = Link("앱에서 보기", "AL", scheme_android="dogdayapp://event/1", scheme_ios="dogdayapp://event/1")
    message = Outbound("s6", "01012345678", "BRAND_MESSAGE", "(광고) 안녕", True, "02-1234-5678",
                       targeting="I", buttons=(app,))  # fmt: skip
    assert _nhn().request(message)[2]["buttons"] == [
        {"ordering": 1, "type": "AL", "name": "앱에서 보기",
         "schemeAndroid": "dogdayapp://event/1", "schemeIos": "dogdayapp://event/1"}
    ]  # fmt: skip
    solapi = SolapiGateway("acct", httpx.Client(), base_url="https://api.solapi.example", api_key="K",
                           api_secret="S", pf_id="PF")  # fmt: skip
    [item] = solapi.body(message)["messages"]
    assert item["kakaoOptions"]["bms"]["buttons"] == [
        {"linkType": "AL", "name": "앱에서 보기",
         "linkAndroid": "dogdayapp://event/1", "linkIos": "dogdayapp://event/1"}
    ]  # fmt: skip


def test_an_ad_lms_goes_to_the_ad_mms_endpoint_and_a_plain_sms_to_sms() -> None:
    ad = Outbound("s2", "01012345678", "LMS", FALLBACK.text, True, "02-1234-5678", title="도그데이")
    url, _, body = _nhn().request(ad)
    assert url == "https://sms.example/sms/v3.0/appKeys/SAPP/sender/ad-mms"
    assert body == {
        "body": FALLBACK.text,
        "sendNo": "0212345678",
        "title": "도그데이",
        "recipientList": [{"recipientNo": "01012345678", "recipientGroupingKey": "s2"}],
    }
    plain = Outbound("s3", "01012345678", "SMS", "주문이 접수되었습니다", False, "02-1234-5678")
    assert _nhn().request(plain)[0] == "https://sms.example/sms/v3.0/appKeys/SAPP/sender/sms"


def test_an_alimtalk_sends_the_template_code_and_its_parameters() -> None:
    message = Outbound(
        "s4", "01012345678", "ALIMTALK", "…", False, "02-1234-5678",
        template_code="ORDER_SHIPPED_01", template_parameters={"name": "홍길동", "tracking_no": "1"},
    )  # fmt: skip
    url, _, body = _nhn().request(message)
    assert url == "https://kakao.example/alimtalk/v2.3/appkeys/KAPP/messages"
    assert body["templateCode"] == "ORDER_SHIPPED_01"
    assert body["recipientList"][0]["templateParameter"] == {"name": "홍길동", "tracking_no": "1"}


def test_solapi_signs_date_and_salt_with_hmac_sha256() -> None:
    header = authorization("KEY", "SECRET", "2026-03-18T03:00:00Z", "abc")
    expected = hmac.new(b"SECRET", b"2026-03-18T03:00:00Zabc", hashlib.sha256).hexdigest()
    assert header == f"HMAC-SHA256 apiKey=KEY, date=2026-03-18T03:00:00Z, salt=abc, signature={expected}"
    gateway = SolapiGateway("acct", httpx.Client(), base_url="https://api.solapi.example", api_key="K",
                            api_secret="S", pf_id="PF")  # fmt: skip
    message = Outbound(
        "s5", "01012345678", "BRAND_MESSAGE", "(광고) 안녕", True, "02-1234-5678", targeting="I"
    )
    [item] = gateway.body(message)["messages"]
    assert item["type"] == "BMS_FREE" and item["customFields"] == {"nudge_send": "s5"}
    assert item["kakaoOptions"]["disableSms"] is True  # Solapi's substitute would not be a complete ad SMS


LONG_AD = "(광고)도그데이몰\n" + "오늘만 특가 " * 8 + "\n무료수신거부 080-123-4567"  # > 90 bytes as an SMS


def _emulator() -> tuple[GatewayEmulator, NhnGateway]:
    emulator = GatewayEmulator(
        nhn=[
            NhnAccount(
                "KAPP", "KSECRET", "SAPP", "SSECRET", "SENDERKEY", {"0212345678"}, {"T1": "#{a}님 안녕"}
            )
        ]
    )
    client = httpx.Client(transport=emulator.transport())
    return emulator, _nhn(client)


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (Outbound("x1", "01000000000", "SMS", LONG_AD, True, "0212345678"), "-2000"),
        (Outbound("x2", "01000000000", "LMS", "광고 표시 없음", True, "0212345678"), "-2000"),
        (Outbound("x3", "01000000000", "SMS", "주문 완료 😀", False, "0212345678"), "-2000"),
        (Outbound("x4", "01000000000", "SMS", "주문 완료", False, "0299999999"), "-2000"),
        (Outbound("x5", "01000000000", "ALIMTALK", "", False, "0212345678", template_code="NOPE"), "-3005"),
        (Outbound("x6", "01000000000", "ALIMTALK", "", False, "0212345678", template_code="T1"), "-2000"),
    ],
    ids=["ad-sms-over-90-bytes", "ad-without-label", "emoji", "unregistered-sender", "unapproved-template",
         "missing-variable"],
)  # fmt: skip
def test_the_emulator_refuses_what_nhn_refuses(message: Outbound, code: str) -> None:
    emulator, gateway = _emulator()
    if message.send_id == "x1":
        message = Outbound(
            "x1", message.to, "SMS", message.text + " 오늘만 특가 " * 5, True, message.sender_number
        )
    with pytest.raises(Rejected) as refused:
        gateway.send(message)
    assert refused.value.code == code
    assert emulator.outbox == []


def test_a_repeated_idempotency_key_sends_nothing_more() -> None:
    emulator, gateway = _emulator()
    message = Outbound("same", "01000000000", "SMS", "주문 완료", False, "0212345678")
    assert not gateway.send(message).already
    assert gateway.send(message).already
    assert len(emulator.outbox) == 1
    assert json.loads(emulator.take_reports()[0].body)["hooks"][0]["recipientGroupingKey"] == "same"


def test_a_waiting_transport_sleeps_the_latency_and_a_timeout_for_as_long_as_its_client_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nudge.sending.gateway import Transient
    from nudge_local.gateway import emulator as gateway_emulator

    slept: list[float] = []
    monkeypatch.setattr(gateway_emulator.time, "sleep", slept.append)
    emulator, _ = _emulator()
    gateway = _nhn(httpx.Client(transport=emulator.transport(wait=True), timeout=httpx.Timeout(2.5)))
    emulator.set_faults(Faults(latency_seconds=0.05))
    gateway.send(Outbound("w1", "01000000000", "SMS", "주문 완료", False, "0212345678"))
    assert slept == [0.05]

    slept.clear()
    emulator.set_faults(Faults(timeout_rate=1.0, timeout_seconds=6.0))
    with pytest.raises(Transient) as unclear:
        gateway.send(Outbound("w2", "01000000000", "SMS", "주문 완료", False, "0212345678"))
    assert unclear.value.code == "timeout"
    assert slept == [2.5]  # the client's read timeout, not the emulator's six seconds
    assert len(emulator.outbox) == 2  # the timed-out message was taken, though never answered

    # A gateway slower than the client's read timeout is a timeout too, after the read timeout, not after
    # the gateway's latency; with a timeout fault as well, the client still waits its read timeout once.
    for faults, number in (
        (Faults(latency_seconds=4.0), "w4"),
        (Faults(latency_seconds=1.0, timeout_rate=1.0), "w5"),
    ):
        slept.clear()
        emulator.set_faults(faults)
        with pytest.raises(Transient) as unclear:
            gateway.send(Outbound(number, "01000000000", "SMS", "주문 완료", False, "0212345678"))
        assert (unclear.value.code, slept) == ("timeout", [2.5])
    assert len(emulator.outbox) == 4  # taken all the same: the sender's lookup finds them

    slept.clear()
    quick = _nhn(httpx.Client(transport=emulator.transport(), timeout=httpx.Timeout(2.5)))
    with pytest.raises(Transient):
        quick.send(Outbound("w3", "01000000000", "SMS", "주문 완료", False, "0212345678"))
    assert slept == []


def test_nhns_080_list_is_read_page_by_page_from_a_korean_time_and_its_dates_are_korean_time() -> None:
    pages: list[dict[str, str]] = []
    rows = [
        {
            "unsubscribeNo": "0801234567",
            "recipientNo": f"0101234{n:04d}",
            "requestDate": "2026-03-11 21:14:05.0",
        }
        for n in range(3)
    ]

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/sms/v3.0/appKeys/SAPP/blockservice/recipients"
        assert request.headers["X-Secret-Key"] == "SSECRET"
        params = dict(request.url.params)
        pages.append(params)
        number = int(params["pageNum"])
        body = {
            "pageNum": number,
            "pageSize": 2,
            "totalCount": 3,
            "data": rows[(number - 1) * 2 : number * 2],
        }
        return httpx.Response(200, json={"header": {"isSuccessful": True, "resultCode": 0}, "body": body})

    gateway = _nhn(httpx.Client(transport=httpx.MockTransport(answer)))
    since = datetime(2026, 3, 11, 11, 0, tzinfo=UTC)  # 20:00 in Seoul
    listed = gateway.opt_outs("080-123-4567", since)
    assert [p["pageNum"] for p in pages] == ["1", "2"]
    assert pages[0]["unsubscribeNo"] == "0801234567" and pages[0]["startRequestDate"] == "2026-03-11 20:00:00"
    assert [o.phone for o in listed] == ["01012340000", "01012340001", "01012340002"]
    assert listed[0].at == datetime(2026, 3, 11, 12, 14, 5, tzinfo=UTC)


def test_nhn_refuses_an_ad_sms_to_a_number_on_the_080_list_and_only_an_ad() -> None:
    emulator = GatewayEmulator(
        nhn=[NhnAccount("KAPP", "KSECRET", "SAPP", "SSECRET", "SENDERKEY", {"0212345678"})]
    )
    emulator.optout_080["01012345678"] = datetime(2026, 3, 11, tzinfo=UTC)
    gateway = _nhn(httpx.Client(transport=emulator.transport()))
    ad = Outbound(
        send_id="s1",
        to="01012345678",
        kind="SMS",
        text="(광고)도그데이몰\n마감 임박\n무료수신거부 080-123-4567",
        is_ad=True,
        sender_number="02-1234-5678",
    )
    with pytest.raises(Rejected) as refused:
        gateway.send(ad)
    assert refused.value.code == "-6001"
    notice = Outbound(send_id="s2", to="01012345678", kind="SMS", text="[도그데이몰] 안내", is_ad=False,
                      sender_number="02-1234-5678")  # fmt: skip
    assert gateway.send(notice).gateway_message_id
