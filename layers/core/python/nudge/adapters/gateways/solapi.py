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

A brand message is `type: BMS_FREE` with `kakaoOptions.bms` per chatBubbleType (`bms`, solapi-nodejs
src/models/base/kakao/bms); its images, and an MMS's (`{type: MMS, subject, text, imageId}`), are storage
files (`upload_image`: `POST /storage/v1/files` with the use's type, STORAGE_TYPES).
"""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from nudge.adapters.gateways.kakao_parts import commerce_block
from nudge.adapters.gateways.transport import call
from nudge.http import read_json
from nudge.sending.gateway import (
    Accepted,
    CardPart,
    CouponPart,
    DeliveryReport,
    Expired,
    Link,
    LinkSet,
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


# The storage file type (`POST /storage/v1/files` `type`) each image use is uploaded as: solapi-nodejs
# src/models/requests/messages/groupMessageRequest.ts FileType and its examples (send_bms_free_image.js
# "IMAGE 타입은 반드시 'BMS' fileType", send_bms_free_wide.js 'BMS_WIDE', send_bms_free_wide_item_list.js
# 'BMS_WIDE_MAIN_ITEM_LIST' / 'BMS_WIDE_SUB_ITEM_LIST', send_bms_free_carousel_*.js, send_mms.js 'MMS').
# A PREMIUM_VIDEO thumbnail is an IMAGE use here (BMS); the SDK's example uploads it as KAKAO, which Solapi
# documents for FriendTalk images: not confirmed either way.
STORAGE_TYPES = {
    "IMAGE": "BMS",
    "WIDE_IMAGE": "BMS_WIDE",
    "MAIN_WIDE_ITEMLIST_IMAGE": "BMS_WIDE_MAIN_ITEM_LIST",
    "NORMAL_WIDE_ITEMLIST_IMAGE": "BMS_WIDE_SUB_ITEM_LIST",
    "CAROUSEL_FEED_IMAGE": "BMS_CAROUSEL_FEED_LIST",
    "CAROUSEL_COMMERCE_IMAGE": "BMS_CAROUSEL_COMMERCE_LIST",
    "MMS": "MMS",
}
# The bubbles whose text goes in the message's `text` (solapi-nodejs kakaoOption.ts: "TEXT: content는
# 메시지의 text 필드에서 가져옴"; the IMAGE, WIDE and PREMIUM_VIDEO examples send theirs there too). The
# others (WIDE_ITEM_LIST, COMMERCE, the carousels) have no body text.
TEXT_BUBBLES = frozenset({"TEXT", "IMAGE", "WIDE", "PREMIUM_VIDEO"})
CAROUSELS = frozenset({"CAROUSEL_FEED", "CAROUSEL_COMMERCE"})


def _links(links: LinkSet | Link) -> dict[str, str]:
    """Solapi's names for a link set: linkMobile, linkPc, linkAndroid, linkIos."""
    out = {}
    for key, value in (
        ("linkMobile", links.link_mo),
        ("linkPc", links.link_pc),
        ("linkAndroid", links.scheme_android),
        ("linkIos", links.scheme_ios),
    ):
        if value:
            out[key] = value
    return out


def _buttons(buttons: tuple[Link, ...]) -> list[dict[str, Any]]:
    return [{"linkType": b.type, "name": b.name, **_links(b)} for b in buttons]


def _coupon(coupon: CouponPart) -> dict[str, Any]:
    return {"title": coupon.title, "description": coupon.description, **_links(coupon.links)}


def _card(card: CardPart, bubble: str) -> dict[str, Any]:
    """bmsCarousel.ts: a FEED card `{header, content, imageId, imageLink?, buttons, coupon?}`, a COMMERCE
    card `{commerce, imageId, imageLink?, buttons, additionalContent?, coupon?}`."""
    out: dict[str, Any] = {}
    if bubble == "CAROUSEL_FEED":
        out.update(header=card.header, content=card.text)
    elif card.commerce is not None:
        out["commerce"] = commerce_block(card.commerce)
        if card.commerce.additional_info:
            out["additionalContent"] = card.commerce.additional_info
    if card.picture is not None:
        out["imageId"] = card.picture.ref
        if card.picture.link:
            out["imageLink"] = card.picture.link
    out["buttons"] = _buttons(card.buttons)
    if card.coupon is not None:
        out["coupon"] = _coupon(card.coupon)
    return out


def bms(message: Outbound) -> dict[str, Any]:
    """`kakaoOptions.bms` for the message's chatBubbleType, with the fields solapi-nodejs allows each type
    (bmsConstraints.ts BMS_ACCEPTABLE_FIELDS: WIDE and COMMERCE take no `imageLink`, the carousels only
    `carousel`; a field another type has is refused)."""
    bubble = message.bubble
    out: dict[str, Any] = {
        "targeting": message.targeting or "I",
        "chatBubbleType": bubble,
        "adult": message.adult,
    }
    if bubble in ("WIDE_ITEM_LIST", "PREMIUM_VIDEO") and message.header:
        out["header"] = message.header
    if bubble in ("IMAGE", "WIDE", "COMMERCE") and message.image is not None:
        out["imageId"] = message.image.ref
        if bubble == "IMAGE" and message.image.link:
            out["imageLink"] = message.image.link
    if bubble == "WIDE_ITEM_LIST" and message.items:
        first, *rest = message.items
        main: dict[str, Any] = {"imageId": first.picture.ref, **_links(first.links)}
        if first.title:
            main["title"] = first.title
        out["mainWideItem"] = main
        out["subWideItemList"] = [
            {"title": item.title, "imageId": item.picture.ref, **_links(item.links)} for item in rest
        ]
    if bubble == "PREMIUM_VIDEO" and message.video is not None:
        video: dict[str, Any] = {"videoUrl": message.video.url}
        if message.video.thumbnail is not None:
            video["imageId"] = message.video.thumbnail.ref
            if message.video.thumbnail.link:
                video["imageLink"] = message.video.thumbnail.link
        out["video"] = video
    if bubble == "COMMERCE" and message.commerce is not None:
        out["commerce"] = commerce_block(message.commerce)
        if message.commerce.additional_info:
            out["additionalContent"] = message.commerce.additional_info
    if bubble in CAROUSELS:
        carousel: dict[str, Any] = {"list": [_card(card, bubble) for card in message.cards]}
        if bubble == "CAROUSEL_COMMERCE" and message.intro is not None:
            intro = message.intro
            head: dict[str, Any] = {"header": intro.header, "content": intro.text}
            if intro.picture is not None:
                head["imageId"] = intro.picture.ref
                if intro.picture.link:
                    head["linkMobile"] = intro.picture.link
            carousel["head"] = head
        if message.tail is not None:
            carousel["tail"] = _links(message.tail)
        out["carousel"] = carousel
        return out
    if message.buttons:
        out["buttons"] = _buttons(message.buttons)
    if message.coupon is not None:
        out["coupon"] = _coupon(message.coupon)
    return out


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
            "customFields": {CORRELATION_FIELD: message.send_id},
        }
        if message.kind != "BRAND_MESSAGE" or message.bubble in TEXT_BUBBLES:
            item["text"] = message.text
        if message.title and message.kind in ("LMS", "MMS"):
            item["subject"] = message.title
        if message.kind == "MMS":
            # `{type: MMS, subject, text, imageId}`: the storage fileId of an MMS upload (send_mms.js).
            if message.image is None:
                raise Rejected("image", "an MMS needs its picture")
            item["imageId"] = message.image.ref
        if message.kind in ("ALIMTALK", "BRAND_MESSAGE"):
            # Solapi's substitute SMS repeats the message's own text: right for an AlimTalk (informational),
            # not a complete ad SMS for a brand message, so brand messages never use it.
            substitute = self.carries_fallback(message) and message.fallback is not None
            kakao: dict[str, Any] = {"pfId": self.pf_id, "disableSms": not substitute}
            if message.kind == "ALIMTALK":
                kakao["templateId"] = message.template_code
                kakao["variables"] = {f"#{{{k}}}": v for k, v in message.template_parameters.items()}
            else:
                kakao["bms"] = bms(message)
            item["kakaoOptions"] = kakao
        return {"messages": [item]}

    def carries_fallback(self, message: Outbound) -> bool:
        # AlimTalk's substitute SMS/LMS repeats its text (no picture: an MMS fallback is Nudge's); brand
        # messages: Nudge sends the ad SMS itself on the report.
        fallback = message.fallback
        return message.kind == "ALIMTALK" and (fallback is None or fallback.kind != "MMS")

    def upload_image(self, use: str, name: str, data: bytes) -> str:
        """`POST /storage/v1/files` `{file: base64, type, name}` (api-reference/storage/uploadfile.md;
        the BMS types from solapi-nodejs) → its `fileId`, which messages name as `imageId`."""
        kind = STORAGE_TYPES.get(use)
        if kind is None:
            raise Rejected("imageType", f"no Solapi storage type for the image use {use}")
        body = {"file": base64.b64encode(data).decode(), "type": kind, "name": name}
        answer = self._call("POST", f"{self.base_url}/storage/v1/files", json=body)
        file_id = answer.get("fileId")
        if not file_id:
            raise Rejected("fileId", "Solapi answered the upload without a fileId")
        return str(file_id)

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
