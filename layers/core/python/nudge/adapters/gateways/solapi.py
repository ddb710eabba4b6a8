"""Solapi messages v4, over httpx (korea-messaging.md §3.2).

`POST /messages/v4/send-many/detail` with `Authorization: HMAC-SHA256 apiKey=…, date=…, salt=…,
signature=hex(HMAC-SHA256(apiSecret, date + salt))`. Solapi has no idempotency header, so every message
carries our send id in `customFields` (the correlation field, key ≤ 30, value ≤ 100 characters): before a
message is sent again after an unclear outcome (timeout, 5xx, a crash), the sender asks the message list
for that send id. The answer lists accepted messages (`messageList`, statusCode 2000…) and refused ones
(`failedMessageList` with the refusal code). Delivery reports arrive as a JSON array (see nudge.reports).
"""

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from nudge.adapters.gateways.transport import call
from nudge.http import read_json
from nudge.sending.gateway import Accepted, DeliveryReport, Outbound, Rejected, ReportFormat, ReportInvalid

CORRELATION_FIELD = "nudge_send"
# Solapi's reports carry no signature of their own: the report URL a store registers with Solapi carries the
# store's report signature in this query parameter (nudge.reports.delivery).
SIGNATURE_PARAMETER = "signature"
ACCEPTED_CODES = frozenset({"2000", "3000", "4000"})


def authorization(api_key: str, api_secret: str, date: str, salt: str) -> str:
    signature = hmac.new(api_secret.encode(), (date + salt).encode(), hashlib.sha256).hexdigest()
    return f"HMAC-SHA256 apiKey={api_key}, date={date}, salt={salt}, signature={signature}"


def _type(message: Outbound) -> str:
    return {"ALIMTALK": "ATA", "BRAND_MESSAGE": "BMS_FREE"}.get(message.kind, message.kind)


class SolapiGateway:
    def __init__(
        self,
        account_id: str,
        client: httpx.Client,
        *,
        base_url: str,
        api_key: str | None,
        api_secret: str | None,
        pf_id: str | None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.account_id = account_id
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.api_secret = api_secret
        self.pf_id = pf_id
        self.now = now

    def _headers(self) -> dict[str, str]:
        if not (self.api_key and self.api_secret):
            raise Rejected("config", "the store's Solapi account has no API key or secret")
        date = self.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"Authorization": authorization(self.api_key, self.api_secret, date, secrets.token_hex(16))}

    def body(self, message: Outbound) -> dict[str, Any]:
        item: dict[str, Any] = {
            "to": message.to,
            "from": message.sender_number.replace("-", ""),
            "type": _type(message),
            "text": message.text,
            "customFields": {CORRELATION_FIELD: message.send_id},
        }
        if message.title and message.kind == "LMS":
            item["subject"] = message.title
        if message.kind in ("ALIMTALK", "BRAND_MESSAGE"):
            # Solapi's substitute SMS repeats the message's own text: right for an AlimTalk (informational),
            # not a complete ad SMS for a brand message, so brand messages never use it.
            substitute = message.kind == "ALIMTALK" and message.fallback is not None
            kakao: dict[str, Any] = {"pfId": self.pf_id, "disableSms": not substitute}
            if message.kind == "ALIMTALK":
                kakao["templateId"] = message.template_code
                kakao["variables"] = {f"#{{{k}}}": v for k, v in message.template_parameters.items()}
            else:
                kakao["bms"] = {
                    "targeting": message.targeting or "I",
                    "chatBubbleType": message.bubble,
                    "adult": message.adult,
                    "buttons": [
                        {
                            "linkType": b.type,
                            "name": b.name,
                            **({"linkMobile": b.link_mo} if b.link_mo else {}),
                            **({"linkPc": b.link_pc} if b.link_pc else {}),
                            **({"linkAndroid": b.scheme_android} if b.scheme_android else {}),
                            **({"linkIos": b.scheme_ios} if b.scheme_ios else {}),
                        }
                        for b in message.buttons
                    ],
                }
            item["kakaoOptions"] = kakao
        return {"messages": [item], "allowDuplicates": False}

    def carries_fallback(self, message: Outbound) -> bool:
        return message.kind == "ALIMTALK"  # brand messages: Nudge sends the ad SMS itself on the report

    def send(self, message: Outbound) -> Accepted:
        answer = self._call("POST", f"{self.base_url}/messages/v4/send-many/detail", json=self.body(message))
        for failed in answer.get("failedMessageList") or []:
            raise Rejected(str(failed.get("statusCode", "")), str(failed.get("statusMessage", "")))
        for accepted in answer.get("messageList") or []:
            if str(accepted.get("statusCode", "2000")) not in ACCEPTED_CODES:
                raise Rejected(str(accepted.get("statusCode")), str(accepted.get("statusMessage", "")))
            return Accepted(gateway_message_id=str(accepted.get("messageId", "")))
        group = answer.get("groupInfo") or {}
        return Accepted(gateway_message_id=str(group.get("groupId", "")))

    def find(self, message: Outbound) -> Accepted | None:
        """The message list filtered by our correlation field."""
        params = {"criteria": f"customFields.{CORRELATION_FIELD}", "value": message.send_id, "cond": "eq"}
        answer = self._call("GET", f"{self.base_url}/messages/v4/list", params=params)
        listed = answer.get("messageList") or {}
        for message_id, item in listed.items() if isinstance(listed, dict) else []:
            if (item.get("customFields") or {}).get(CORRELATION_FIELD) == message.send_id:
                return Accepted(gateway_message_id=str(message_id), already=True)
        return None

    def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        status, _, answer = call(self.client, method, url, headers=self._headers(), **kwargs)
        if status >= 400:
            code = answer.get("errorCode", status) if isinstance(answer, dict) else 0
            text = answer.get("errorMessage", "") if isinstance(answer, dict) else ""
            raise Rejected(str(code), str(text))
        return answer if isinstance(answer, dict) else {}


# --- Delivery reports (webhook: a JSON array of single or group reports) -----------------------------------
DELIVERED = "4000"


def parse_report(body: bytes) -> list[DeliveryReport]:
    """`[{eventDataId, retryCount, data:{messageId, type, statusCode, customFields, dateReceived…}}]`."""
    try:
        items = read_json(body)  # a NudgeError (400 naming the field) when it is no JSON to read
        if not isinstance(items, list):
            raise TypeError("a Solapi report is a JSON array")
        out = []
        for item in items:
            data = item["data"]
            send_id = (data.get("customFields") or {}).get(CORRELATION_FIELD)
            if not send_id:
                continue  # not a message Nudge sent
            code = str(data["statusCode"])
            out.append(
                DeliveryReport(
                    send_id=str(send_id),
                    delivered=code == DELIVERED,
                    code=code,
                    # A Kakao message delivered as its substitute SMS/LMS is reported with the SMS type.
                    fell_back=code == DELIVERED
                    and data.get("kakaoOptions") is not None
                    and data.get("type") in ("SMS", "LMS"),
                    reported_at=data.get("dateReceived"),
                )
            )
        return out
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ReportInvalid(f"not a Solapi delivery report: {exc}") from exc


REPORT_FORMAT = ReportFormat(parse_report, "query", SIGNATURE_PARAMETER)
