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
- an ad SMS/LMS ("(광고)" first) to a number on the store's 080 list (2061);

- a custom field's key over 30 or value over 100 characters, or not a string (1032);
- a brand message's bubble (bubbles.py: 1010 a part missing, 1011 a format error, 1034 an imageId this
  account never stored), an MMS's `imageId` (an MMS file of this account), and the storage upload
  (`POST /storage/v1/files`, images.py: 400 ValidationError).

Two ways to send, as Solapi has them: `POST /messages/v4/send-many/detail` registers and sends at once; a
message group (solapi/documents, api-reference/messages/groups/) is made (`POST /messages/v4/groups`,
PENDING), filled (`PUT …/{groupId}/messages`: each message registered 2000 or refused with its code, kept
but never sent; 10,000 numbers a request, 413 RecipientsTooMany; 1,000,000 messages a group; with
`allowDuplicates: false` a number it holds already is refused 1026) and sent once (`POST …/{groupId}/send`:
only a PENDING group; 409 GroupInProcessing / AlreadySent once sent, 400 DeletedGroup / FailedGroup, 404
ResourceNotFound for a group the account does not have); `GET …/{groupId}` reads it. A group never sent is
gone after PENDING_GROUP_TTL.

Delivery reports go to the store's report URL as lists of Solapi's events, with the URL's `signature`
query parameter. It answers the message-list lookup by `customFields.nudge_send` the sender makes after an
unclear outcome (lagging, when the front door's faults say so) and the group lookup (never lagging).
"""

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from nudge_local.gateway import bubbles, templates
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
from nudge_local.gateway.images import (
    SOLAPI_BRAND_TYPES,
    SOLAPI_KAKAO_MAX_BYTES,
    SOLAPI_MMS_MAX_BYTES,
    Upload,
    brand_problem,
    facts,
    mms_problem,
)
from nudge_local.gateway.outbox import Outbox, Recipients

AUTH_SKEW = timedelta(minutes=15)
ACCEPTED = "2000"  # 정상 접수: a message registered to be sent
MAX_RECIPIENTS_PER_REQUEST = 10_000  # addGroupMessages.md: one request adds at most 10,000 numbers ...
MAX_MESSAGES_PER_GROUP = 1_000_000  # ... and a group holds at most 1,000,000 messages
# A group never sent is gone after this (404). Solapi's v4 documentation says nothing of it; its earlier
# group API (rest/group-message/create-group.md) deleted a group 24 hours after it was made. A group that
# was sent stays (the send history is kept six months: addGroupMessages.md).
PENDING_GROUP_TTL = timedelta(hours=24)


@dataclass
class SolapiAccount:
    api_key: str
    api_secret: str
    pf_id: str
    send_numbers: set[str]
    templates: dict[str, str] = field(default_factory=dict)  # registered templateId -> text
    template_status: dict[str, str] = field(default_factory=dict)  # templateId -> status; absent: APPROVED
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
        self._groups: dict[str, _Group] = {}  # under the outbox's lock

    def reset(self) -> None:
        with self.outbox.lock:
            self._groups.clear()

    # ------------------------------------------------------------------ routing
    def route(self, method: str, parts: list[str], headers: dict[str, str], data: Any) -> Answer | None:
        """The answer to a write (POST, PUT) on one of Solapi's endpoints (None: not one)."""
        if method == "POST" and parts == ["messages", "v4", "send-many", "detail"]:
            return self._send(headers, data)
        if method == "POST" and parts == ["storage", "v1", "files"]:
            return self._store_file(headers, data)
        if parts[:3] != ["messages", "v4", "groups"] or len(parts) not in (3, 5):
            return None
        account = self._account(headers.get("authorization"))
        if account is None:
            return answer(401, {"errorCode": "InvalidAPIKey", "errorMessage": "unauthorized"})
        if len(parts) == 3:
            return self._create_group(account, data) if method == "POST" else None
        if method == "PUT" and parts[4] == "messages":
            return self._add_messages(account, parts[3], data)
        if method == "POST" and parts[4] == "send":
            return self._send_group(account, parts[3])
        return None

    def lookup(
        self,
        parts: list[str],
        headers: dict[str, str],
        params: dict[str, str],
        listed_by: datetime | None = None,
    ) -> Answer | None:
        """A GET on Solapi's paths (None: not one): a message group (`/messages/v4/groups/{groupId}`, read
        from the group itself) or the message list (`/messages/v4/list`, which lists a message only once it
        was taken by `listed_by` when the list lags)."""
        if parts[:3] == ["kakao", "v2", "templates"] and len(parts) == 3:  # templates.py
            return templates.solapi_list(self, headers, params)
        group = parts[:3] == ["messages", "v4", "groups"] and len(parts) == 4
        if parts[:3] != ["messages", "v4", "list"] and not group:
            return None
        account = self._account(headers.get("authorization"))
        if account is None:
            return answer(401, {"errorCode": "InvalidAPIKey", "errorMessage": "unauthorized"})
        if group:
            with self.outbox.lock:
                found = self._group(account, parts[3])
                return _no_group() if found is None else answer(200, self._info(found))
        taken = self.outbox.taken(params.get("value", ""), listed_by)
        listed = {} if taken is None else {taken["message_id"]: {"customFields": taken["custom"]}}
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

    # ------------------------------------------------------------------ sending in one call
    def _send(self, headers: dict[str, str], data: dict[str, Any]) -> Answer:
        """`send-many/detail`: the messages registered and sent at once, in a group of their own."""
        account = self._account(headers.get("authorization"))
        if account is None:
            return answer(401, {"errorCode": "InvalidAPIKey", "errorMessage": "unauthorized"})
        group_id = self._new_group_id()
        accepted: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        held: list[dict[str, Any]] = []
        for item in data.get("messages") or []:
            # `allowDuplicates` (default false) refuses a number twice within the request (1026).
            summary = self._register(account, item, [] if data.get("allowDuplicates") else held)
            if summary["statusCode"] != ACCEPTED:
                failed.append(summary)
                continue
            accepted.append(summary)
            held.append(item)
            self._deliver(account, item, summary, group_id)
        return answer(
            200,
            {
                "groupInfo": {"groupId": group_id, "count": {"total": len(accepted) + len(failed)}},
                "messageList": accepted,
                "failedMessageList": failed,
            },
        )

    # ------------------------------------------------------------------ message groups
    def _new_group_id(self) -> str:
        return "G4V" + self.outbox.new_id(20).upper()

    def _group(self, account: SolapiAccount, group_id: str) -> "_Group | None":
        """The account's group (under the outbox lock); None when there is none, it is another account's
        (Solapi answers both 404), or it was never sent and has expired (then it is gone)."""
        group = self._groups.get(group_id)
        if group is None or group.api_key != account.api_key:
            return None
        if group.status == "PENDING" and self.now() - group.created >= PENDING_GROUP_TTL:
            del self._groups[group_id]
            return None
        return group

    def _create_group(self, account: SolapiAccount, data: Any) -> Answer:
        """`POST /messages/v4/groups`: an empty group, PENDING (createMessageGroup.md)."""
        data = data if isinstance(data, dict) else {}
        custom = data.get("customFields") or {}
        if problem := _custom_fields_problem(custom):
            return answer(400, {"errorCode": "ValidationError", "errorMessage": problem})
        now = self.now()
        with self.outbox.lock:
            group = _Group(
                group_id=self._new_group_id(),
                api_key=account.api_key,
                created=now,
                allow_duplicates=bool(data.get("allowDuplicates", False)),
                custom_fields=dict(custom),
            )
            group.log.append({"createAt": now.isoformat(), "message": "메시지 그룹이 생성되었습니다."})
            self._groups[group.group_id] = group
            return answer(200, self._info(group))

    def _add_messages(self, account: SolapiAccount, group_id: str, data: Any) -> Answer:
        """`PUT /messages/v4/groups/{groupId}/messages` (addGroupMessages.md): each message registered with
        its status code (2000, or the refusal: kept in the group, never sent); at most 10,000 recipients a
        request (413 RecipientsTooMany) and 1,000,000 messages a group; a group made with
        `allowDuplicates: false` refuses a number it already holds (1026, 중복 수신번호)."""
        messages = data.get("messages") if isinstance(data, dict) else None
        if not isinstance(messages, list):
            return answer(
                400,
                {
                    "errorCode": "ValidationError",
                    "errorMessage": "messages 의 데이터 타입은 배열이어야 됩니다.",
                },
            )
        items = [{**item, "to": to} for item in messages if isinstance(item, dict) for to in _numbers(item)]
        if len(items) > MAX_RECIPIENTS_PER_REQUEST:
            refusal = "한 번에 추가할 수 있는 수신번호는 최대 10000건 입니다."
            return answer(413, {"errorCode": "RecipientsTooMany", "errorMessage": refusal})
        with self.outbox.lock:
            group = self._group(account, group_id)
            if group is None:
                return _no_group()
            if group.status != "PENDING":  # the documentation names no answer for this: an assumption
                refusal = "'PENDING' 상태의 그룹에만 메시지를 추가할 수 있습니다."
                return answer(400, {"errorCode": "InvalidStatus", "errorMessage": refusal})
            if len(group.messages) + len(items) > MAX_MESSAGES_PER_GROUP:  # no documented code either
                refusal = "하나의 그룹에 담을 수 있는 메시지는 1,000,000 개 제한입니다."
                return answer(400, {"errorCode": "ValidationError", "errorMessage": refusal})
            results = []
            for item in items:
                held = (
                    []
                    if group.allow_duplicates
                    else [m for m, r in group.messages if r["statusCode"] == ACCEPTED]
                )
                summary = self._register(account, item, held)
                group.messages.append((item, summary))
                results.append({**summary, "country": "82", "accountId": account.api_key})
            group.log.append(
                {"createAt": self.now().isoformat(), "message": f"메시지 {len(items)} 건이 추가되었습니다."}
            )
        errors = sum(1 for r in results if r["statusCode"] != ACCEPTED)
        return answer(200, {"errorCount": errors, "resultList": results})

    def _send_group(self, account: SolapiAccount, group_id: str) -> Answer:
        """`POST /messages/v4/groups/{groupId}/send` (sendGroupMessage.md): the registered messages of a
        PENDING group are sent, once. A group sent already is refused 409 (GroupInProcessing while
        SENDING, AlreadySent once COMPLETE), as are a scheduled one (409 ScheduledGroup), a deleted or
        failed one (400 DeletedGroup, FailedGroup) and one the account does not hold (404)."""
        with self.outbox.lock:
            group = self._group(account, group_id)
            if group is None:
                return _no_group()
            refused = _SEND_REFUSED.get(group.status)
            if refused is not None:
                status, code, text = refused
                return answer(status, {"errorCode": code, "errorMessage": text})
            now = self.now()
            group.status, group.sent = "SENDING", now
            group.log.append({"createAt": now.isoformat(), "message": "메시지를 발송했습니다."})
            for item, summary in group.messages:
                if summary["statusCode"] == ACCEPTED:
                    self._deliver(account, item, summary, group.group_id)
            sending = self._info(group)
            # The emulator delivers at once: the group is COMPLETE from now on (its send answer says SENDING,
            # as Solapi's sample does).
            group.status, group.completed = "COMPLETE", now
            return answer(200, sending)

    def _info(self, group: "_Group") -> dict[str, Any]:
        """The group as `GET /messages/v4/groups/{groupId}` answers it (getMessageGroupInfo.md)."""
        registered = sum(1 for _, r in group.messages if r["statusCode"] == ACCEPTED)
        sent = registered if group.sent is not None else 0
        return {
            "_id": group.group_id,
            "groupId": group.group_id,
            "status": group.status,
            "count": {
                "total": len(group.messages),
                "sentTotal": sent,
                "sentFailed": 0,
                "sentSuccess": sent,
                "sentPending": 0,
                "sentReplacement": 0,
                "refund": 0,
                "registeredFailed": len(group.messages) - registered,
                "registeredSuccess": registered,
            },
            "log": list(group.log),
            "allowDuplicates": group.allow_duplicates,
            "customFields": dict(group.custom_fields),
            "accountId": group.api_key,
            "apiVersion": "4",
            "scheduledDate": None,
            "dateSent": None if group.sent is None else group.sent.isoformat(),
            "dateCompleted": None if group.completed is None else group.completed.isoformat(),
            "dateCreated": group.created.isoformat(),
            "dateUpdated": (group.completed or group.sent or group.created).isoformat(),
        }

    # ------------------------------------------------------------------ one message
    def _register(
        self, account: SolapiAccount, item: dict[str, Any], held: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """A message's registration: its id and status code (2000, or why it is refused). `held`: the
        messages its group holds already, when the group refuses a number twice."""
        kind, to = str(item.get("type")), str(item.get("to", ""))
        summary = {
            "messageId": "M4V" + self.outbox.new_id(20).upper(),
            "to": to,
            "from": item.get("from"),
            "type": kind,
            "customFields": item.get("customFields") or {},
        }
        problem = self._problem(account, item)
        if problem is None and any(str(m.get("to", "")) == to for m in held):
            problem = ("1026", "중복 수신번호")
        if problem:
            return {**summary, "statusCode": problem[0], "statusMessage": problem[1]}
        return {**summary, "statusCode": ACCEPTED, "statusMessage": "정상 접수(이통사로 접수 예정) "}

    def _deliver(
        self, account: SolapiAccount, item: dict[str, Any], summary: dict[str, Any], group_id: str
    ) -> None:
        """A registered message sent: what reaches the phone, and the delivery report Solapi owes."""
        kind, to, text = str(item.get("type")), str(item.get("to", "")), str(item.get("text", ""))
        custom = summary["customFields"]
        now = self.now()
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
            "message_id": summary["messageId"],
            "group_id": group_id,
            "custom": custom,
        }
        if kind == "BMS_FREE":
            _, view = self._bubble(account, item)
            record.update(view)
        if kind == "MMS":
            picture = self.outbox.uploads.get("solapi", account.api_key, item.get("imageId"))
            record["images"] = [picture.shown()] if picture is not None else []
        code, delivered_type, fallback = "4000", kind, False
        if kind.startswith("BMS") and in_night(now):
            code = "3108"
        elif kind in ("ATA", "BMS_FREE") and to in self.recipients.non_kakao | self.recipients.blocked:
            code = "3104" if to in self.recipients.non_kakao else "3107"
            if kind == "ATA" and not kakao.get("disableSms"):
                code, fallback = "4000", True
                delivered_type = "SMS" if (euckr_bytes(text) or 0) <= SMS_MAX else "LMS"
        elif kind in ("SMS", "LMS", "MMS") and text.startswith("(광고)") and to in self.recipients.optout_080:
            code = "2061"
        reached = (
            {**record, "kind": delivered_type, "fallback": fallback, "at": now.isoformat()}
            if code == "4000"
            else None
        )
        self.outbox.take(str(record["key"]), record, reached, at=now)
        report = {
            "eventDataId": self.outbox.new_id(32),
            "retryCount": 0,
            "data": {
                "messageId": summary["messageId"],
                "to": to,
                "from": item.get("from"),
                "customFields": custom,
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

    def _bubble(
        self, account: SolapiAccount, item: dict[str, Any]
    ) -> tuple[list[bubbles.Problem], dict[str, Any]]:
        """A brand message's bubble checked (bubbles.py), and what the phone shows of it."""
        bms = (item.get("kakaoOptions") or {}).get("bms") or {}
        bubble = bubbles.read_solapi(bms, item.get("text"))
        problems, shown = bubbles.check(
            bubble, bubbles.SOLAPI, lambda ref: self.outbox.uploads.get("solapi", account.api_key, ref)
        )
        return problems, bubbles.phone_view(bubble, shown, bubbles.SOLAPI)

    # ------------------------------------------------------------------ storage
    def _store_file(self, headers: dict[str, str], data: Any) -> Answer:
        """`POST /storage/v1/files` `{file (base64), type, name, link}` (api-reference/storage/uploadfile.md,
        the BMS types from solapi-nodejs): the file held to its type's rule (images.py) → `{fileId, type,
        name, url, width, height, fileSize, …}`. Solapi documents no error code for a refused file: the
        answer is its common 400 ValidationError."""
        account = self._account(headers.get("authorization"))
        if account is None:
            return answer(401, {"errorCode": "InvalidAPIKey", "errorMessage": "unauthorized"})
        data = data if isinstance(data, dict) else {}
        kind = str(data.get("type") or "DOCUMENT")
        try:
            body = base64.b64decode(str(data.get("file") or ""), validate=True)
        except ValueError:
            body = b""
        if not body:
            return _invalid("file 은 base64 로 인코딩된 파일이어야 합니다.")
        if kind in SOLAPI_BRAND_TYPES:
            use = SOLAPI_BRAND_TYPES[kind]
            problem = brand_problem(body, use)
        elif kind == "MMS":
            use, problem = "MMS", mms_problem(body, SOLAPI_MMS_MAX_BYTES)
        elif kind == "KAKAO":
            use = "KAKAO"
            found = facts(body)
            problem = None
            if found is None or found.format not in ("jpeg", "png"):
                problem = ("format", "a KAKAO image is a jpg or png file")
            elif len(body) > SOLAPI_KAKAO_MAX_BYTES:
                problem = ("size", "a KAKAO image is at most 500 KB")
        else:
            return _invalid(f"type {kind} is not a file type Nudge's messages use")
        if problem is not None:
            return _invalid(problem[1])
        found = facts(body)
        assert found is not None
        name = str(data.get("name") or f"file.{'png' if found.format == 'png' else 'jpg'}")
        file_id = "ST01FJ" + self.outbox.new_id(26).upper()
        upload = Upload("solapi", account.api_key, file_id, use, kind, name, body, found)
        self.outbox.uploads.add(upload)
        now = self.now().isoformat()
        return answer(
            200,
            {
                "fileId": file_id,
                "type": kind,
                "originalName": name,
                "name": name,
                "link": data.get("link"),
                "url": f"https://storage.solapi.local/{account.api_key}/{file_id}",
                "width": found.width,
                "height": found.height,
                "fileSize": len(body),
                "accountId": account.api_key,
                "references": [],
                "dateCreated": now,
                "dateUpdated": now,
            },
        )

    def _problem(self, account: SolapiAccount, item: dict[str, Any]) -> tuple[str, str] | None:
        kind, text = str(item.get("type")), str(item.get("text", ""))
        if _custom_fields_problem(item.get("customFields") or {}):
            return "1032", "유효한 커스텀 필드 값이 아닙니다."
        if str(item.get("from", "")) not in account.send_numbers:
            return "1062", "발신번호 미등록"
        kakao = item.get("kakaoOptions") or {}
        if kind in ("SMS", "LMS"):
            return ("1029", problem) if (problem := sms_problem(kind, text, item.get("subject"))) else None
        if kind == "MMS":
            if (problem := sms_problem("LMS", text, item.get("subject"))) is not None:
                return "1029", problem
            if item.get("imageId") is None:
                return "1010", "필수 입력 값 미입력: imageId"
            upload = self.outbox.uploads.get("solapi", account.api_key, item["imageId"])
            if upload is None:
                return "1034", "imageId가 존재하지 않습니다."
            if upload.use != "MMS":  # no code is documented for a file of another type: Format Error
                return "1011", f"imageId {item['imageId']} is a {upload.wire_type} file, not an MMS one"
            return None
        if kind == "ATA":
            template = account.templates.get(str(kakao.get("templateId")))
            sendable = templates.solapi_sendable(account, str(kakao.get("templateId")))
            if template is None or not sendable or kakao.get("pfId") != account.pf_id:
                return "3040", "템플릿 미승인"
            missing = {f"#{{{v}}}" for v in VARIABLE.findall(template)} - set(kakao.get("variables") or {})
            return ("3041", f"변수 누락 {sorted(missing)}") if missing else None
        if kind == "BMS_FREE":
            if kakao.get("pfId") != account.pf_id:
                return "3040", "채널 미등록"
            bms = kakao.get("bms") or {}
            if bms.get("targeting") in ("M", "N") and not account.mn_approved:
                return "1028", "해당 타겟팅 옵션을 사용할 수 없음"
            problems, _ = self._bubble(account, item)
            if problems:
                return problems[0].solapi, f"{problems[0].field}: {problems[0].text}"
            return None
        return "1021", f"unsupported type {kind}"


@dataclass
class _Group:
    """A message group (api-reference/messages/groups): its messages with their registration results, and
    its status: PENDING until sent, then SENDING and COMPLETE (FAILED, DELETED and SCHEDULED are
    Solapi's too; Nudge never makes a group take them)."""

    group_id: str
    api_key: str
    created: datetime
    allow_duplicates: bool
    custom_fields: dict[str, str]
    status: str = "PENDING"
    messages: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    sent: datetime | None = None
    completed: datetime | None = None
    log: list[dict[str, Any]] = field(default_factory=list)


# What sending a group that is not PENDING answers (sendGroupMessage.md: 409 for a group sent or scheduled
# already, 400 for a deleted or failed one).
_SEND_REFUSED = {
    "SENDING": (409, "GroupInProcessing", "이미 발송 요청된 그룹입니다."),
    "COMPLETE": (409, "AlreadySent", "이미 발송이 완료된 그룹입니다."),
    "SCHEDULED": (409, "ScheduledGroup", "발송 예약된 그룹이므로 발송이 불가능합니다."),
    "DELETED": (400, "DeletedGroup", "삭제 처리된 그룹으로는 발송이 안됩니다."),
    "FAILED": (400, "FailedGroup", "그룹 생성에 실패했던 그룹입니다.\n그룹 로그를 확인해주세요."),
}


def _numbers(item: dict[str, Any]) -> list[Any]:
    """A message's `to`: one number, or a list of them (addGroupMessages.md's samples send both)."""
    to = item.get("to", "")
    return to if isinstance(to, list) else [to]


def _invalid(text: str) -> Answer:
    return answer(400, {"errorCode": "ValidationError", "errorMessage": text})


def _no_group() -> Answer:
    return answer(
        404, {"errorCode": "ResourceNotFound", "errorMessage": "해당 그룹아이디가 존재하지 않습니다."}
    )


def _custom_fields_problem(custom: Any) -> str | None:
    """Solapi's custom fields: string values, keys up to 30 and values up to 100 characters (code 1032)."""
    if not isinstance(custom, dict):
        return "customFields must be an object"
    for key, value in custom.items():
        if not isinstance(value, str) or len(str(key)) > 30 or len(value) > 100:
            return "필드명은 30자 설정값은 100자까지 가능하며 'String'형식만 지원 합니다."
    return None
