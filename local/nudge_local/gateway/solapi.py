"""Solapi (messages v4), emulated, validating the way the real service does (korea-messaging.md §2–3), with
the codes it answers:

- authentication: `Authorization: HMAC-SHA256 apiKey=…, date=…, salt=…, signature=…` (HTTP 401), the date
  within 15 minutes of now;
- a registered sender number (1062); SMS/LMS: EUC-KR only, 90 / 2,000 bytes, a 40-byte subject (1029);
- AlimTalk (ATA): an approved template of the store's channel (3040), every `#{variable}` given (3041);
- brand message (BMS_FREE): the store's channel (3040), targeting M/N without its approval (1028);
- Kakao: the brand-message night block 20:50–08:00 (3108), people without KakaoTalk (3104), who blocked
  the channel (3107). An AlimTalk that cannot be delivered falls back to SMS/LMS unless the request said
  `disableSms: true`, so the person gets exactly one message;
- an ad SMS/LMS ("(광고)" first) to a number on the store's 080 list (2061).

Delivery reports go to the store's report URL as lists of Solapi's events, with the URL's `signature`
query parameter. It answers the message-list lookup by `customFields.nudge_send` the sender makes after an
unclear outcome.
"""

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from nudge_local.gateway.common import (
    SMS_MAX,
    VARIABLE,
    Answer,
    answer,
    euckr_bytes,
    filled,
    in_night,
    sms_problem,
)
from nudge_local.gateway.outbox import Outbox, Recipients

AUTH_SKEW = timedelta(minutes=15)


@dataclass
class SolapiAccount:
    api_key: str
    api_secret: str
    pf_id: str
    send_numbers: set[str]
    templates: dict[str, str] = field(default_factory=dict)
    mn_approved: bool = False
    # The `signature` query parameter of the report URL the store registered with Solapi.
    report_signature: str = ""


class Solapi:
    def __init__(
        self,
        accounts: list[SolapiAccount],
        outbox: Outbox,
        recipients: Recipients,
        now: Callable[[], datetime],
    ) -> None:
        self.accounts = accounts
        self.outbox = outbox
        self.recipients = recipients
        self.now = now

    # ------------------------------------------------------------------ routing
    def route(self, parts: list[str], headers: dict[str, str], data: Any) -> Answer | None:
        """The answer to a send request on Solapi's endpoint (None: not it)."""
        if parts == ["messages", "v4", "send-many", "detail"]:
            return self._send(headers, data)
        return None

    def lookup(self, parts: list[str], headers: dict[str, str], params: dict[str, str]) -> Answer | None:
        """The message-list lookup (None: not Solapi's path)."""
        if parts[:3] != ["messages", "v4", "list"]:
            return None
        if self._account(headers.get("authorization")) is None:
            return answer(401, {"errorCode": "InvalidAPIKey", "errorMessage": "unauthorized"})
        found = self.outbox.taken(params.get("value", ""))
        listed = {} if found is None else {found["message_id"]: {"customFields": found["custom"]}}
        return answer(200, {"messageList": listed})

    # ------------------------------------------------------------------ authentication
    def _account(self, authorization: str | None) -> SolapiAccount | None:
        if not authorization or not authorization.startswith("HMAC-SHA256 "):
            return None
        fields = dict(
            part.strip().split("=", 1)
            for part in authorization[len("HMAC-SHA256 ") :].split(",")
            if "=" in part
        )
        fields = {k.lower(): v for k, v in fields.items()}
        account = next((a for a in self.accounts if a.api_key == fields.get("apikey")), None)
        if account is None:
            return None
        try:
            date = datetime.fromisoformat(fields.get("date", "").replace("Z", "+00:00"))
        except ValueError:
            return None
        # Against the wall clock: the adapter signs with the wall clock's date, not the simulated one's.
        if abs(datetime.now(UTC) - date) > AUTH_SKEW:
            return None
        expected = hmac.new(
            account.api_secret.encode(),
            (fields.get("date", "") + fields.get("salt", "")).encode(),
            hashlib.sha256,
        ).hexdigest()
        return account if hmac.compare_digest(expected, fields.get("signature", "")) else None

    # ------------------------------------------------------------------ sending
    def _send(self, headers: dict[str, str], data: dict[str, Any]) -> Answer:
        account = self._account(headers.get("authorization"))
        if account is None:
            return answer(401, {"errorCode": "InvalidAPIKey", "errorMessage": "unauthorized"})
        group_id = "G4V" + self.outbox.new_id(20).upper()
        accepted, failed = [], []
        now = self.now()
        for item in data.get("messages") or []:
            kind, to, text = str(item.get("type")), str(item.get("to", "")), str(item.get("text", ""))
            custom = item.get("customFields") or {}
            message_id = "M4V" + self.outbox.new_id(20).upper()
            problem = self._problem(account, item)
            summary = {
                "messageId": message_id,
                "to": to,
                "from": item.get("from"),
                "type": kind,
                "customFields": custom,
            }
            if problem:
                failed.append({**summary, "statusCode": problem[0], "statusMessage": problem[1]})
                continue
            accepted.append(
                {**summary, "statusCode": "2000", "statusMessage": "정상 접수(이통사로 접수 예정) "}
            )
            kakao = item.get("kakaoOptions") or {}
            if kind == "ATA":
                variables = kakao.get("variables") or {}
                text = filled(account.templates[kakao["templateId"]], variables, 0)
            record = {
                "provider": "solapi",
                "kind": kind,
                "to": to,
                "text": text,
                "title": item.get("subject"),
                "key": custom.get("nudge_send"),
                "message_id": message_id,
                "custom": custom,
            }
            code, delivered_type, fallback = "4000", kind, False
            if kind.startswith("BMS") and in_night(now):
                code = "3108"
            elif kind in ("ATA", "BMS_FREE") and to in self.recipients.non_kakao | self.recipients.blocked:
                code = "3104" if to in self.recipients.non_kakao else "3107"
                if kind == "ATA" and not kakao.get("disableSms"):
                    code, fallback = "4000", True
                    delivered_type = "SMS" if (euckr_bytes(text) or 0) <= SMS_MAX else "LMS"
            elif kind in ("SMS", "LMS") and text.startswith("(광고)") and to in self.recipients.optout_080:
                code = "2061"
            reached = (
                {**record, "kind": delivered_type, "fallback": fallback, "at": now.isoformat()}
                if code == "4000"
                else None
            )
            self.outbox.take(str(record["key"]), record, reached)
            report = {
                "eventDataId": self.outbox.new_id(32),
                "retryCount": 0,
                "data": {
                    **summary,
                    "groupId": group_id,
                    "type": delivered_type,
                    "statusCode": code,
                    "statusMessage": "",
                    "dateProcessed": now.isoformat(),
                    "dateReceived": now.isoformat(),
                    "kakaoOptions": kakao or None,
                },
            }
            query = {"signature": account.report_signature} if account.report_signature else {}
            self.outbox.queue_report("solapi", {"content-type": "application/json"}, query, None, report)
        return answer(
            200,
            {
                "groupInfo": {"groupId": group_id, "count": {"total": len(accepted) + len(failed)}},
                "messageList": accepted,
                "failedMessageList": failed,
            },
        )

    def _problem(self, account: SolapiAccount, item: dict[str, Any]) -> tuple[str, str] | None:
        kind, text = str(item.get("type")), str(item.get("text", ""))
        if str(item.get("from", "")) not in account.send_numbers:
            return "1062", "발신번호 미등록"
        kakao = item.get("kakaoOptions") or {}
        if kind in ("SMS", "LMS"):
            return ("1029", problem) if (problem := sms_problem(kind, text, item.get("subject"))) else None
        if kind == "ATA":
            template = account.templates.get(str(kakao.get("templateId")))
            if template is None or kakao.get("pfId") != account.pf_id:
                return "3040", "템플릿 미승인"
            missing = {f"#{{{v}}}" for v in VARIABLE.findall(template)} - set(kakao.get("variables") or {})
            return ("3041", f"변수 누락 {sorted(missing)}") if missing else None
        if kind == "BMS_FREE":
            if kakao.get("pfId") != account.pf_id:
                return "3040", "채널 미등록"
            bms = kakao.get("bms") or {}
            if bms.get("targeting") in ("M", "N") and not account.mn_approved:
                return "1028", "해당 타겟팅 옵션을 사용할 수 없음"
            return None
        return "1021", f"unsupported type {kind}"
