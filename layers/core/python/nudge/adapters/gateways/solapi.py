"""Solapi messages v4, over httpx (korea-messaging.md §3.2).

`Authorization: HMAC-SHA256 apiKey=…, date=…, salt=…, signature=hex(HMAC-SHA256(apiSecret, date + salt))`.
Solapi has no idempotency header, and its message list (`GET /messages/v4/list`, filtered by a custom field)
is a search that may not yet list a message sent a moment ago: asked after an unclear outcome, it can say
"never sent" of a message that went, and the retry sends it twice. So a message goes out through a message
group, which Solapi sends at most once (solapi/documents, api-reference/messages/groups/):

1. `POST /messages/v4/groups` (createMessageGroup.md) makes an empty group, status PENDING, with
   `allowDuplicates: false` (a number the group already holds is refused, 1026, addGroupMessages.md) and
   our send id in its `customFields` (keys ≤ 30, values ≤ 100 characters);
2. `PUT /messages/v4/groups/{groupId}/messages` (addGroupMessages.md) adds the message: `resultList[]`
   gives each message's `statusCode`, 2000 registered, anything else a refusal (kept in the group, never
   sent: sendGroupMessage.md "정상 접수된 메시지만 발송을 시도합니다");
3. the sender records the groupId in the send ledger (the handle: `prepare` returns it);
4. `POST /messages/v4/groups/{groupId}/send` (sendGroupMessage.md) sends it. Only a PENDING group is sent
   ("'PENDING' 상태의 그룹만 전송 가능합니다"); one sent already is refused 409 `GroupInProcessing` ("이미
   발송 요청된 그룹입니다") or `AlreadySent` ("이미 발송이 완료된 그룹입니다"), read here as "already
   sent" (the errors: api-reference/message-api-v4/undefined-1/undefined-6.md, the same endpoint's page in
   the documentation's earlier layout);
5. after an unclear outcome, `GET /messages/v4/groups/{groupId}` (getMessageGroupInfo.md): `status`
   PENDING (never sent: send it), SENDING / COMPLETE (it went), SCHEDULED (Nudge never schedules; it goes
   by itself); DELETED (only a PENDING group can be deleted: deleteMessageGroup's NotOperationalStatus) and
   FAILED ("생성 실패", or a schedule cancelled: the FAILED sample has no `dateSent`) were never sent and
   cannot be (400 `DeletedGroup` / `FailedGroup`), nor can a group the account no longer has (404
   `ResourceNotFound`): those are Expired, and the message is held again in a new group. `dateSent` set
   means sent, whatever the status says.
A group that fails before step 3 (a timeout creating it or adding the message) is never sent: the next try
holds the message in a new one. Three calls a message where `send-many/detail` took one. Not confirmed in
the documentation: whether a group read by its id can lag as the list does (if its status lagged, the send
would still be refused 409); how long Solapi keeps a group never sent (its earlier group API deleted it
after 24 hours; the send history is kept six months); whether `allowDuplicates: false` refuses a number
across two adds (the SDK calls it the group's setting, the documented sample shows one request); and what
adding to a group that is not PENDING answers. Nudge relies on none of these.

The correlation field `customFields.nudge_send` (the send id) rides on every message: delivery reports
carry it back (a JSON array, see nudge.reports), and a record without a group (an attempt that stopped
before holding one) is still looked up in the message list by it.
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
from nudge.sending.gateway import (
    Accepted,
    DeliveryReport,
    Expired,
    Outbound,
    Rejected,
    ReportFormat,
    ReportInvalid,
)

CORRELATION_FIELD = "nudge_send"
# Solapi's reports carry no signature of their own: the report URL a store registers with Solapi carries the
# store's report signature in this query parameter (nudge.reports.delivery).
SIGNATURE_PARAMETER = "signature"
REGISTERED = "2000"  # a message added to a group: 정상 접수 (message-status-codes.md)
# Group statuses (getMessageGroupInfo.md) that mean the group went (or goes by itself, when scheduled).
GROUP_SENT = frozenset({"SENDING", "COMPLETE", "SCHEDULED"})
# What sending a group answers when it was sent already (sendGroupMessage.md, 409) ...
SENT_ALREADY = frozenset({"GroupInProcessing", "AlreadySent"})
# ... and when it is gone, never sent, and can never be (404, 400).
NEVER_SENT = frozenset({"ResourceNotFound", "DeletedGroup", "FailedGroup"})


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
        return {"messages": [item]}

    def carries_fallback(self, message: Outbound) -> bool:
        return message.kind == "ALIMTALK"  # brand messages: Nudge sends the ad SMS itself on the report

    def prepare(self, message: Outbound) -> str:
        """A new message group holding the message, not sent: its groupId (steps 1 and 2)."""
        created = self._call(
            "POST",
            f"{self.base_url}/messages/v4/groups",
            json={"allowDuplicates": False, "customFields": {CORRELATION_FIELD: message.send_id}},
        )
        group_id = str(created.get("groupId") or "")
        if not group_id:
            raise Rejected("groupId", "Solapi made a group without an id")
        added = self._call(
            "PUT", f"{self.base_url}/messages/v4/groups/{group_id}/messages", json=self.body(message)
        )
        results = added.get("resultList") or []
        if not results:
            raise Rejected("resultList", "Solapi added no message to the group")
        for result in results:
            if str(result.get("statusCode", "")) != REGISTERED:
                raise Rejected(str(result.get("statusCode", "")), str(result.get("statusMessage", "")))
        return group_id

    def send(self, message: Outbound, handle: str | None = None) -> Accepted:
        """Send the group `handle` names (step 4; without a handle, a new group holding the message)."""
        group_id = handle or self.prepare(message)
        try:
            self._call("POST", f"{self.base_url}/messages/v4/groups/{group_id}/send")
        except Rejected as refused:
            if refused.code in SENT_ALREADY:
                return Accepted(gateway_message_id=group_id, already=True)
            if refused.code in NEVER_SENT:
                raise Expired(refused.code, refused.message) from refused
            raise
        return Accepted(gateway_message_id=group_id)

    def find(self, message: Outbound, handle: str | None = None) -> Accepted | None:
        """What became of the group `handle` names (step 5); without one, the message list filtered by our
        correlation field."""
        if handle is not None:
            try:
                group = self._call("GET", f"{self.base_url}/messages/v4/groups/{handle}")
            except Rejected as refused:
                if refused.code in NEVER_SENT:
                    return None  # gone, never sent: sending it answers Expired
                raise
            if str(group.get("status")) in GROUP_SENT or group.get("dateSent"):
                return Accepted(gateway_message_id=handle, already=True)
            return None  # PENDING: never sent; or DELETED / FAILED: never sent, and send answers Expired
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
