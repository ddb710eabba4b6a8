"""NHN Cloud, emulated: KakaoTalk Bizmessage AlimTalk v2.3, brand message v1.0 and SMS v3.0 with its ad-SMS
endpoints, validating the way the real service does (korea-messaging.md §2–3), with the codes it answers:

- authentication: `X-Secret-Key` per appKey (-1001);
- AlimTalk: an approved template code (-3005) and every `#{variable}` of the template given (-2000);
- ad SMS (`/sender/ad-sms`, `/sender/ad-mms`): "(광고)" first and "무료수신거부 080…" / "무료거부 080…"
  last (-2000); EUC-KR only and 90 bytes SMS / 2,000 bytes LMS body / 40 bytes title (-2000);
  a registered sender number (-2000); a number on the store's 080 list refused (-6001);
- Kakao: the brand-message night block 20:50–08:00 (3022), targeting M/N without the channel's approval
  (1028), people without KakaoTalk (3019), who blocked the channel (3020). A Kakao message that cannot be
  delivered falls back to its SMS/LMS when the request asked for it (`resendParameter`), so the person gets
  exactly one message; a brand message's fallback must be a complete ad SMS;
- idempotency: a repeated `X-NC-API-IDEMPOTENCY-KEY` within 10 minutes answers -1005 and sends nothing;
- brand-message bubbles (bubbles.py: each chatBubbleType's parts, counts and lengths, its images uploaded
  to this appKey for their place: -33xx, -8002), the image upload (multipart, images.py: -4009, -4007,
  -8001) and MMS attachments (`attachfile/binaryUpload`: -2002, -2003, -2005; a send naming a file this
  appKey never uploaded -2004).

Delivery reports go to the store's webhook as NHN's `MESSAGE_RESULT_UPDATE` hooks, signed in the
`X-Toast-Webhook-Signature` header. It answers the message lookups by `recipientGroupingKey` the sender
makes after an unclear outcome, and the 080 opt-out list (`blockservice/recipients`).
"""

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from nudge_local.gateway import bubbles, templates
from nudge_local.gateway.common import AD_SMS, KST, VARIABLE, Answer, answer, filled, in_night, sms_problem
from nudge_local.gateway.images import (
    BRAND_RATIOS,
    NHN_MMS_MAX_BYTES,
    Upload,
    brand_problem,
    facts,
    mms_problem,
)
from nudge_local.gateway.outbox import Outbox, Recipients

IDEMPOTENCY_WINDOW = timedelta(minutes=10)
# SMS api-guide.md "첨부 이미지 제한 사항": at most 3 pictures, 800 KB together when there are 3.
MMS_MAX_FILES, MMS_MAX_TOTAL = 3, 800 * 1024
FILE_NAME_MAX = 45  # "첨부 파일 업로드": fileName at most 45 characters, jpg or jpeg
# Where an uploaded brand image is served (Kakao's CDN for the real service).
IMAGE_HOST = "https://mud-kage.kakao.com/dn/nudge-local"


@dataclass
class NhnAccount:
    kakao_appkey: str
    kakao_secret: str
    sms_appkey: str
    sms_secret: str
    sender_key: str
    send_numbers: set[str]
    templates: dict[str, str] = field(default_factory=dict)  # registered code -> text with #{variables}
    template_status: dict[str, str] = field(default_factory=dict)  # code -> TSC01…TSC04; absent: TSC03
    mn_approved: bool = False
    report_signature: str = ""


def header(code: int = 0, message: str = "SUCCESS") -> dict[str, Any]:
    """The `header` every NHN answer carries."""
    return {"isSuccessful": code == 0, "resultCode": code, "resultMessage": message}


class NhnCloud:
    def __init__(
        self,
        accounts: list[NhnAccount],
        outbox: Outbox,
        recipients: Recipients,
        now: Callable[[], datetime],
    ) -> None:
        self.accounts = accounts
        self.outbox = outbox
        self.recipients = recipients
        self.now = now
        self._idempotency: dict[str, datetime] = {}

    def reset(self) -> None:
        with self.outbox.lock:
            self._idempotency.clear()

    # ------------------------------------------------------------------ routing
    def route(self, parts: list[str], headers: dict[str, str], data: Any) -> Answer | None:
        """The answer to a send request on one of NHN's endpoints (None: not one)."""
        if parts[:2] == ["alimtalk", "v2.3"] and parts[-1] == "messages":
            return self._kakao(parts[3], headers, data, "ALIMTALK")
        if parts[:2] == ["brand-message", "v1.0"] and parts[-1] == "freestyle-messages":
            return self._kakao(parts[3], headers, data, "BRAND_MESSAGE")
        if parts[:2] == ["sms", "v3.0"] and len(parts) == 6 and parts[4] == "sender":
            return self._sms(parts[3], parts[5], headers, data)
        if parts[:2] == ["sms", "v3.0"] and parts[4:] == ["attachfile", "binaryUpload"]:
            return self._attach(parts[3], headers, data)
        return None

    def route_form(
        self, parts: list[str], headers: dict[str, str], form: dict[str, tuple[str, bytes]]
    ) -> Answer | None:
        """A multipart/form-data POST: the brand-message image upload (None: not that endpoint)."""
        if parts[:2] == ["brand-message", "v1.0"] and parts[4:] == ["images"]:
            return self._upload_image(parts[3], headers, form)
        return None

    def lookup(
        self,
        parts: list[str],
        headers: dict[str, str],
        params: dict[str, str],
        listed_by: datetime | None = None,
    ) -> Answer:
        """A GET: the 080 opt-out list, or the messages sent under a `recipientGroupingKey` (SMS, or Kakao on
        any other path) that the search lists (those taken by `listed_by`, when the list lags)."""
        if parts[:2] == ["sms", "v3.0"] and parts[4:6] == ["blockservice", "recipients"]:
            return self._opt_outs(parts[3], headers, params)
        if parts[:2] == ["alimtalk", "v2.3"] and parts[-1] == "templates":  # templates.py
            return templates.nhn_list(self, parts, headers, params)
        key = params.get("recipientGroupingKey", "")
        found = self.outbox.taken(key, listed_by)
        hit = [] if found is None else [{"requestId": found.get("request_id"), "recipientGroupingKey": key}]
        if parts[:2] == ["sms", "v3.0"]:
            if self._account(parts[3], headers.get("x-secret-key"), "sms") is None:
                return answer(401, {"header": header(-1001, "invalid appKey or secretKey")})
            return answer(200, {"header": header(), "body": {"data": hit}})
        if self._account(parts[3] if len(parts) > 3 else "", headers.get("x-secret-key"), "kakao") is None:
            return answer(401, {"header": header(-1001, "invalid appKey or secretKey")})
        return answer(200, {"header": header(), "messageSearchResultResponse": {"messages": hit}})

    # ------------------------------------------------------------------ accounts and idempotency
    def _account(self, appkey: str, secret: str | None, product: str) -> NhnAccount | None:
        for account in self.accounts:
            if product == "kakao" and account.kakao_appkey == appkey and account.kakao_secret == secret:
                return account
            if product == "sms" and account.sms_appkey == appkey and account.sms_secret == secret:
                return account
        return None

    def _idempotent(self, key: str | None) -> bool:
        """True when the key was used within the window (the request must not be sent again)."""
        if not key:
            return False
        now = self.now()
        with self.outbox.lock:
            seen = self._idempotency.get(key)
            if seen is not None and now - seen < IDEMPOTENCY_WINDOW:
                return True
            self._idempotency[key] = now
        return False

    # ------------------------------------------------------------------ Kakao: AlimTalk, brand message
    def _kakao(self, appkey: str, headers: dict[str, str], data: dict[str, Any], kind: str) -> Answer:
        account = self._account(appkey, headers.get("x-secret-key"), "kakao")
        if account is None:
            return answer(401, {"header": header(-1001, "invalid appKey or secretKey")})
        if data.get("senderKey") != account.sender_key:
            return answer(400, {"header": header(-2000, "unknown senderKey")})
        recipient_list = data.get("recipientList") or []
        template = ""
        if kind == "ALIMTALK":
            code = data.get("templateCode")
            if code not in account.templates or not templates.nhn_sendable(account, code):
                return answer(400, {"header": header(-3005, f"template {code} is not approved")})
            template = account.templates[code]
            for r in recipient_list:
                missing = set(VARIABLE.findall(template)) - set(r.get("templateParameter") or {})
                if missing:
                    refusal = f"templateParameter misses {sorted(missing)}"
                    return answer(400, {"header": header(-2000, refusal)})
        else:
            bubble = bubbles.read_nhn(data)
            problems, shown = bubbles.check(
                bubble, bubbles.NHN, lambda ref: self.outbox.uploads.get("nhn", account.kakao_appkey, ref)
            )
            if not problems and bubble.type == "CAROUSEL_COMMERCE":
                problems = [p for p in [bubbles.same_ratio(shown)] if p is not None]
            if problems:
                first = problems[0]
                return answer(400, {"header": header(first.nhn, f"{first.field}: {first.text}")})
            view = bubbles.phone_view(bubble, shown, bubbles.NHN)
        for r in recipient_list:
            problem = self._resend_problem(r.get("resendParameter"), account.send_numbers, kind)
            if problem:
                return answer(400, {"header": header(-2000, problem)})
        if self._idempotent(headers.get("x-nc-api-idempotency-key")):
            return answer(200, {"header": header(-1005, "duplicated idempotency key")})
        request_id = self.outbox.new_id(20)
        results = []
        for seq, r in enumerate(recipient_list, start=1):
            number, key = str(r.get("recipientNo", "")), r.get("recipientGroupingKey")
            targeting = r.get("targeting", "I")
            if kind == "BRAND_MESSAGE" and targeting in ("M", "N") and not account.mn_approved:
                results.append(_result(seq, number, key, 1028, "targeting option not available"))
                continue
            results.append(_result(seq, number, key, 0, "SUCCESS"))
            if kind == "ALIMTALK":
                params = r.get("templateParameter") or {}
                text = filled(template, params, 1)
            else:
                text = str(data.get("content") or "")
            record = {
                "provider": "nhn",
                "kind": kind,
                "to": number,
                "text": text,
                "request_id": request_id,
                "key": key,
                "buttons": data.get("buttons") or [],
                "targeting": targeting if kind != "ALIMTALK" else None,
            }
            if kind == "BRAND_MESSAGE":
                record.update(view)
            self._deliver_kakao(record, r.get("resendParameter"), account, appkey, kind)
        return answer(
            200,
            {
                "header": header(),
                "message": {
                    "requestId": request_id,
                    "senderGroupingKey": data.get("senderGroupingKey"),
                    "sendResults": results,
                },
            },
        )

    def _resend_problem(self, resend: Any, numbers: set[str], kind: str) -> str | None:
        if not resend or not resend.get("isResend"):
            return None
        text = str(resend.get("resendContent", ""))
        if str(resend.get("resendSendNo", "")) not in numbers:
            return "resendSendNo is not a registered sender number"
        if kind == "BRAND_MESSAGE" and not AD_SMS.match(text):
            return "a brand message's fallback must be a complete ad SMS: (광고) … 무료수신거부 080"
        return sms_problem(str(resend.get("resendType", "LMS")), text, resend.get("resendTitle"))

    def _deliver_kakao(
        self, record: dict[str, Any], resend: Any, account: NhnAccount, appkey: str, kind: str
    ) -> None:
        number = record["to"]
        now = self.now()
        code, resend_status = 1000, "RSC01"
        if kind == "BRAND_MESSAGE" and in_night(now):
            code = 3022
        elif number in self.recipients.non_kakao:
            code = 3019
        elif number in self.recipients.blocked:
            code = 3020
        reached: dict[str, Any] | None = None
        if code == 1000:
            reached = {**record, "fallback": False, "at": now.isoformat()}
        elif code in (3018, 3019, 3020) and resend and resend.get("isResend"):
            resend_status = "RSC04"
            reached = {
                **record,
                "kind": str(resend.get("resendType", "LMS")),
                "text": resend.get("resendContent"),
                "title": resend.get("resendTitle"),
                "fallback": True,
                "at": now.isoformat(),
            }
        self.outbox.take(record["key"], record, reached, at=now)
        hook = {
            "kakaoMessageType": "ALIMTALK_NORMAL" if kind == "ALIMTALK" else "BRAND_MESSAGE_NORMAL",
            "requestId": record["request_id"],
            "recipientSeq": 1,
            "requestDate": now.isoformat(),
            "receiveDate": now.isoformat(),
            "recipientNo": number,
            "resultCode": str(code),
            "resendStatus": resend_status,
            "recipientGroupingKey": record["key"],
            "isAddedChannel": True,
            "hookId": self.outbox.new_id(32),
        }
        self._queue_report(account, appkey, "KakaoTalk Bizmessage", hook)

    # ------------------------------------------------------------------ SMS
    def _sms(self, appkey: str, endpoint: str, headers: dict[str, str], data: dict[str, Any]) -> Answer:
        account = self._account(appkey, headers.get("x-secret-key"), "sms")
        if account is None:
            return answer(401, {"header": header(-1001, "invalid appKey or secretKey")})
        if endpoint not in ("sms", "mms", "ad-sms", "ad-mms"):
            return answer(404, {"header": header(-2000, f"no endpoint {endpoint}")})
        text, title = str(data.get("body", "")), data.get("title")
        if str(data.get("sendNo", "")) not in account.send_numbers:
            return answer(400, {"header": header(-2000, "sendNo is not a registered sender number")})
        is_ad = endpoint.startswith("ad-")
        if is_ad and not AD_SMS.match(text):
            refusal = "an ad message must start with (광고) and end with 무료수신거부 080…"
            return answer(400, {"header": header(-2000, refusal)})
        attached = data.get("attachFileIdList") or []
        kind = "SMS" if endpoint.endswith("sms") else ("MMS" if attached else "LMS")
        problem = sms_problem("SMS" if kind == "SMS" else "LMS", text, title if kind != "SMS" else None)
        if problem:
            return answer(400, {"header": header(-2000, problem)})
        pictures, refused = self._attachments(account, attached)
        if refused is not None:
            return refused
        if self._idempotent(headers.get("x-nc-api-idempotency-key")):
            return answer(200, {"header": header(-1005, "duplicated idempotency key")})
        request_id = self.outbox.new_id(20)
        results = []
        now = self.now()
        for seq, r in enumerate(data.get("recipientList") or [], start=1):
            number, key = str(r.get("recipientNo", "")), r.get("recipientGroupingKey")
            if is_ad and number in self.recipients.optout_080:  # NHN's 080 service: an ad to them fails
                results.append(_result(seq, number, key, -6001, "Recipient Number is refused."))
                continue
            results.append(_result(seq, number, key, 0, "SUCCESS"))
            record = {
                "provider": "nhn",
                "kind": kind,
                "to": number,
                "text": text,
                "title": title,
                "request_id": request_id,
                "key": key,
                "is_ad": is_ad,
            }
            if pictures:
                record["images"] = [p.shown() for p in pictures]
            self.outbox.take(key, record, {**record, "fallback": False, "at": now.isoformat()}, at=now)
            hook = {
                "messageType": kind,
                "requestId": request_id,
                "recipientSeq": seq,
                "requestDate": now.isoformat(),
                "receiveDate": now.isoformat(),
                "recipientNo": number,
                "resultCode": "1000",
                "recipientGroupingKey": key,
                "hookId": self.outbox.new_id(32),
            }
            self._queue_report(account, appkey, "SMS", hook)
        return answer(
            200,
            {
                "header": header(),
                "body": {"data": {"requestId": request_id, "statusCode": "2", "sendResultList": results}},
            },
        )

    def _attachments(self, account: NhnAccount, attached: Any) -> tuple[list[Upload], Answer | None]:
        """An MMS's `attachFileIdList`: files this SMS appKey uploaded (-2004 "File is expired or does not
        exist."), at most 3 and 800 KB together (no code is documented for these two: -2005, the size
        code, is the closest)."""
        if not isinstance(attached, list):
            return [], answer(400, {"header": header(-2004, "File is expired or does not exist.")})
        pictures = []
        for file_id in attached:
            upload = self.outbox.uploads.get("nhn", account.sms_appkey, file_id)
            if upload is None or upload.use != "MMS":
                return [], answer(400, {"header": header(-2004, "File is expired or does not exist.")})
            pictures.append(upload)
        if len(pictures) > MMS_MAX_FILES or (
            len(pictures) == MMS_MAX_FILES and sum(len(p.data) for p in pictures) > MMS_MAX_TOTAL
        ):
            refusal = "at most 3 pictures, 800 KB together"
            return [], answer(400, {"header": header(-2005, refusal)})
        return pictures, None

    # ------------------------------------------------------------------ uploads
    def _upload_image(
        self, appkey: str, headers: dict[str, str], form: dict[str, tuple[str, bytes]]
    ) -> Answer:
        """`POST /brand-message/v1.0/appkeys/{appKey}/images`, multipart `image` + `imageType`
        (friendtalkupgrade-api-guide.md "이미지 업로드", "업로드 이미지 규격"): a file that is no jpg or
        png -4009 ("Check the file extension."), over 5 MB -4007 ("The file size is less than {}."), too
        narrow or of another shape than its type allows -8001 ("The image you upload is invalid.": the
        guide names no code for the shape, and this is its image-file code); a part missing -9993
        ("Required request part is not present."), an imageType none of the six -4000 (Invalid parameter)."""
        account = self._account(appkey, headers.get("x-secret-key"), "kakao")
        if account is None:
            return answer(401, {"header": header(-1001, "invalid appKey or secretKey")})
        if "image" not in form or "imageType" not in form:
            return answer(400, {"header": header(-9993, "Required request part is not present.")})
        name, data = form["image"]
        image_type = form["imageType"][1].decode(errors="replace")
        if image_type not in BRAND_RATIOS:
            return answer(400, {"header": header(-4000, f"Invalid parameter: imageType {image_type}")})
        problem = brand_problem(data, image_type)
        if problem is not None:
            code = {"format": -4009, "size": -4007, "shape": -8001}[problem[0]]
            return answer(400, {"header": header(code, problem[1])})
        found = facts(data)
        assert found is not None
        seq = int(self.outbox.new_id(8), 16) % 10_000_000
        url = f"{IMAGE_HOST}/{seq}/{name}"
        self.outbox.uploads.add(
            Upload("nhn", account.kakao_appkey, url, image_type, image_type, name, data, found)
        )
        return answer(
            200, {"header": header(), "image": {"imageSeq": seq, "imageUrl": url, "imageName": name}}
        )

    def _attach(self, appkey: str, headers: dict[str, str], data: Any) -> Answer:
        """`POST /sms/v3.0/appKeys/{appKey}/attachfile/binaryUpload` (api-guide.md "첨부 파일 업로드"):
        `{fileName (≤45, .jpg/.jpeg), fileBody (base64, ≤300 KB), createUser}`. A bad name -2002, not a jpg
        -2003 (the name's extension, and here the bytes too), over 300 KB -2005; larger than 1000×1000 -2005
        as well (the guide states the limit, names no code for it: the size code is the closest); no
        createUser 4 (파라미터 유효성 검증 실패)."""
        account = self._account(appkey, headers.get("x-secret-key"), "sms")
        if account is None:
            return answer(401, {"header": header(-1000, "Invalid appKey.")})
        data = data if isinstance(data, dict) else {}
        name = str(data.get("fileName") or "")
        if not name or len(name) > FILE_NAME_MAX:
            return answer(400, {"header": header(-2002, "Invalid attach file name.")})
        if not name.lower().endswith((".jpg", ".jpeg")):
            return answer(400, {"header": header(-2003, "Attach file required jpg or jpeg.")})
        if not data.get("createUser"):
            return answer(400, {"header": header(4, "createUser must not be blank")})
        try:
            body = base64.b64decode(str(data.get("fileBody") or ""), validate=True)
        except ValueError:
            return answer(400, {"header": header(4, "fileBody is not base64")})
        problem = mms_problem(body, NHN_MMS_MAX_BYTES)
        if problem is not None:
            code = -2003 if problem[0] == "format" else -2005
            return answer(400, {"header": header(code, problem[1])})
        found = facts(body)
        assert found is not None
        file_id = int(self.outbox.new_id(8), 16) % 10_000_000
        self.outbox.uploads.add(
            Upload("nhn", account.sms_appkey, str(file_id), "MMS", "MMS", name, body, found)
        )
        path = f"0/nudge-local/{file_id}"
        return answer(
            200,
            {"header": header(), "body": {"data": {"fileId": file_id, "fileName": name, "filePath": path}}},
        )

    # ------------------------------------------------------------------ reports and the 080 list
    def _queue_report(self, account: NhnAccount, appkey: str, product: str, hook: dict[str, Any]) -> None:
        envelope = {
            "webhookConfigId": f"local-{appkey}",
            "productName": product,
            "appKey": appkey,
            "event": "MESSAGE_RESULT_UPDATE",
        }
        headers = {"content-type": "application/json", "x-toast-webhook-signature": account.report_signature}
        self.outbox.queue_report("nhn", headers, {}, envelope, hook)

    def _opt_outs(self, appkey: str, headers: dict[str, str], params: dict[str, str]) -> Answer:
        """NHN's 080 opt-out list (`GET /sms/v3.0/appKeys/{appKey}/blockservice/recipients`), Korean time."""
        account = self._account(appkey, headers.get("x-secret-key"), "sms")
        if account is None:
            return answer(401, {"header": header(-1001, "invalid appKey or secretKey")})
        start = params.get("startRequestDate")
        size, page = int(params.get("pageSize", 15)), int(params.get("pageNum", 1))
        with self.outbox.lock:
            listed = sorted(self.recipients.optout_080.items(), key=lambda kv: kv[1])
        rows = []
        for number, at in listed:
            local = at.astimezone(KST).strftime("%Y-%m-%d %H:%M:%S")
            if start is None or local >= start:
                rows.append({"unsubscribeNo": params.get("unsubscribeNo", ""), "recipientNo": number,
                             "requestDate": f"{local}.0"})  # fmt: skip
        body = {"pageNum": page, "pageSize": size, "totalCount": len(rows),
                "data": rows[(page - 1) * size : page * size]}  # fmt: skip
        return answer(200, {"header": header(), "body": body})


def _result(seq: int, number: str, key: Any, code: int, message: str) -> dict[str, Any]:
    return {
        "recipientSeq": seq,
        "recipientNo": number,
        "resultCode": code,
        "resultMessage": message,
        "recipientGroupingKey": key,
    }
