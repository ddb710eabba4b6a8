"""NHN Cloud: KakaoTalk Bizmessage (AlimTalk v2.3, brand message v1.0) and SMS v3.0, over httpx.

Wire format (korea-messaging.md §3.1): `X-Secret-Key` authenticates, the appKey is in the path,
`X-NC-API-IDEMPOTENCY-KEY` makes a repeated request within 10 minutes answer -1005 instead of sending twice.
Every response has `header{isSuccessful, resultCode, resultMessage}`; resultCode 0 is success. Per-recipient
results (`sendResults` / `sendResultList`) carry our `recipientGroupingKey` (the send id) back, and so do
the delivery-report webhooks. Fallback (대체발송) is NHN's: a Kakao message with `resendParameter` that
cannot be delivered (3018/3019/3020) is sent as the given SMS/LMS by NHN itself, so the person gets one.
Ads go to the ad-SMS endpoints (`/sender/ad-sms`, `/sender/ad-mms`), which refuse a body that is not
"(광고)…무료수신거부 080…". NHN's 080 opt-out service keeps the list of numbers that called the store's
080 number; an ad SMS to one of them fails (-6001), and the list itself is read by `opt_outs`
(`GET …/blockservice/recipients`, dates in Korean time) so Nudge records the refusal on the profile.
A brand message's body is its chatBubbleType's (`brand_fields`: image, item list, carousel, commerce, coupon,
video); its images are uploaded first (`upload_image`: brand images by imageType, MMS pictures as SMS
attachments), and an MMS names its attachment (`attachFileIdList`). NHN's resend knows SMS and LMS only: an
MMS fallback is Nudge's to send (`carries_fallback`).
"""

import base64
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from nudge.adapters.gateways.kakao_parts import commerce_block
from nudge.adapters.gateways.transport import call
from nudge.http import read_json
from nudge.sending.gateway import (
    Accepted,
    CardPart,
    CouponPart,
    DeliveryReport,
    Link,
    LinkSet,
    OptOut,
    Outbound,
    Picture,
    Rejected,
    ReportFormat,
    ReportInvalid,
    SmsPart,
)

IDEMPOTENCY_HEADER = "X-NC-API-IDEMPOTENCY-KEY"
ALREADY_REQUESTED = -1005  # the idempotency key was used within 10 minutes: the first request stands
LOOKUP_WINDOW = timedelta(days=1)
NHN_ZONE = ZoneInfo("Asia/Seoul")  # the 080 list's requestDate and its query dates are Korean time
OPT_OUT_PAGE = 1000  # the most entries NHN lists per page
# `createUser` is required by the attachment upload (SMS API v3.0 "첨부 파일 업로드"): who uploaded it.
UPLOADER = "nudge"
RESEND_KINDS = ("SMS", "LMS")
SMS_KINDS = ("SMS", "LMS", "MMS")
MMS_USE = "MMS"  # compliance.images.ImageUse.MMS: an SMS attachment; every other use is a brand image


def _resend(part: SmsPart | None) -> dict[str, Any] | None:
    # resendType is SMS or LMS only (friendtalkupgrade-api-guide.md, alimtalk-api-guide.md): an MMS
    # fallback is Nudge's to send on the delivery report (carries_fallback).
    if part is None or part.kind not in RESEND_KINDS:
        return None
    out: dict[str, Any] = {
        "isResend": True,
        "resendType": part.kind,
        "resendContent": part.text,
        "resendSendNo": part.sender_number.replace("-", ""),
    }
    if part.title:
        out["resendTitle"] = part.title
    if part.is_ad and part.optout_number:
        out["resendUnsubscribeNo"] = part.optout_number.replace("-", "")
    return out


def _links(links: LinkSet | Link) -> dict[str, str]:
    out = {}
    for key, value in (
        ("linkMo", links.link_mo),
        ("linkPc", links.link_pc),
        ("schemeAndroid", links.scheme_android),
        ("schemeIos", links.scheme_ios),
    ):
        if value:
            out[key] = value
    return out


def _buttons(buttons: tuple[Link, ...]) -> list[dict[str, Any]]:
    return [
        {"ordering": i, "type": button.type, "name": button.name, **_links(button)}
        for i, button in enumerate(buttons, start=1)
    ]


def _image(picture: Picture) -> dict[str, str]:
    out = {"imageUrl": picture.ref}
    if picture.link:
        out["imageLink"] = picture.link
    return out


def _coupon(coupon: CouponPart) -> dict[str, Any]:
    return {"title": coupon.title, "description": coupon.description, **_links(coupon.links)}


def _card(card: CardPart, bubble: str) -> dict[str, Any]:
    """A carousel card: CAROUSEL_FEED `{header, message, imageUrl, imageLink, buttons, coupon}`,
    CAROUSEL_COMMERCE `{additionalContent, imageUrl, imageLink, commerce, buttons, coupon}`."""
    out: dict[str, Any] = {}
    if bubble == "CAROUSEL_FEED":
        out.update(header=card.header, message=card.text)
    elif card.commerce is not None:
        if card.commerce.additional_info:
            out["additionalContent"] = card.commerce.additional_info
        out["commerce"] = commerce_block(card.commerce)
    if card.picture is not None:
        out.update(_image(card.picture))
    out["buttons"] = _buttons(card.buttons)
    if card.coupon is not None:
        out["coupon"] = _coupon(card.coupon)
    return out


def _head(intro: CardPart) -> dict[str, Any]:
    """A CAROUSEL_COMMERCE head: header, content, its image and the intro's link (linkMo…)."""
    out: dict[str, Any] = {"header": intro.header, "content": intro.text}
    if intro.picture is not None:
        out["imageUrl"] = intro.picture.ref
        if intro.picture.link:
            out["linkMo"] = intro.picture.link
    return out


def brand_fields(message: Outbound) -> dict[str, Any]:
    """The freestyle message's fields for its chatBubbleType (friendtalkupgrade-api-guide.md, "메시지 자유형
    발송 요청": one request body per type). `content` is TEXT/IMAGE/WIDE's text and PREMIUM_VIDEO's optional
    one; WIDE_ITEM_LIST, COMMERCE and the carousels have none."""
    bubble = message.bubble
    out: dict[str, Any] = {}
    if bubble in ("TEXT", "IMAGE", "WIDE") or (bubble == "PREMIUM_VIDEO" and message.text):
        out["content"] = message.text
    if bubble in ("WIDE_ITEM_LIST", "PREMIUM_VIDEO") and message.header:
        out["header"] = message.header
    if bubble in ("IMAGE", "WIDE", "COMMERCE") and message.image is not None:
        out["image"] = _image(message.image)
    if bubble == "WIDE_ITEM_LIST":
        out["item"] = {
            "list": [
                {"title": item.title, "imageUrl": item.picture.ref, **_links(item.links)}
                for item in message.items
            ]
        }
    if bubble == "PREMIUM_VIDEO" and message.video is not None:
        video = {"videoUrl": message.video.url}
        if message.video.thumbnail is not None:
            video["thumbnailUrl"] = message.video.thumbnail.ref
        out["video"] = video
    if bubble == "COMMERCE" and message.commerce is not None:
        if message.commerce.additional_info:
            out["additionalContent"] = message.commerce.additional_info
        out["commerce"] = commerce_block(message.commerce)
    if bubble in ("CAROUSEL_FEED", "CAROUSEL_COMMERCE"):
        carousel: dict[str, Any] = {"list": [_card(card, bubble) for card in message.cards]}
        if bubble == "CAROUSEL_COMMERCE" and message.intro is not None:
            carousel["head"] = _head(message.intro)
        if message.tail is not None:
            carousel["tail"] = _links(message.tail)
        out["carousel"] = carousel
    elif message.buttons:
        out["buttons"] = _buttons(message.buttons)
    if message.coupon is not None and bubble not in ("CAROUSEL_FEED", "CAROUSEL_COMMERCE"):
        out["coupon"] = _coupon(message.coupon)
    return out


def _image_mime(name: str) -> str:
    return "image/png" if name.lower().endswith(".png") else "image/jpeg"


class NhnGateway:
    def __init__(
        self,
        account_id: str,
        client: httpx.Client,
        *,
        kakao_url: str,
        sms_url: str,
        kakao_appkey: str | None,
        kakao_secret: str | None,
        sender_key: str | None,
        sms_appkey: str | None,
        sms_secret: str | None,
    ) -> None:
        self.account_id = account_id
        self.client = client
        self.kakao_url = kakao_url.rstrip("/")
        self.sms_url = sms_url.rstrip("/")
        self.kakao_appkey = kakao_appkey
        self.kakao_secret = kakao_secret
        self.sender_key = sender_key
        self.sms_appkey = sms_appkey
        self.sms_secret = sms_secret

    # ------------------------------------------------------------------ requests
    def request(self, message: Outbound) -> tuple[str, dict[str, str], dict[str, Any]]:
        """(url, headers, body) of the send: the exact wire format, separate so tests can read it."""
        if message.kind in SMS_KINDS:
            return self._sms_request(message)
        if not (self.kakao_appkey and self.kakao_secret and self.sender_key):
            raise Rejected("config", "the store's NHN account has no KakaoTalk appKey, secret or sender key")
        headers = {"X-Secret-Key": self.kakao_secret, IDEMPOTENCY_HEADER: message.send_id}
        recipient: dict[str, Any] = {"recipientNo": message.to, "recipientGroupingKey": message.send_id}
        resend = _resend(message.fallback)
        if resend:
            recipient["resendParameter"] = resend
        if message.kind == "ALIMTALK":
            recipient["templateParameter"] = dict(message.template_parameters)
            url = f"{self.kakao_url}/alimtalk/v2.3/appkeys/{self.kakao_appkey}/messages"
            body: dict[str, Any] = {
                "senderKey": self.sender_key,
                "templateCode": message.template_code,
                "recipientList": [recipient],
            }
            return url, headers, body
        if message.kind == "BRAND_MESSAGE":
            recipient["targeting"] = message.targeting or "I"
            url = f"{self.kakao_url}/brand-message/v1.0/appkeys/{self.kakao_appkey}/freestyle-messages"
            body = {
                "senderKey": self.sender_key,
                "chatBubbleType": message.bubble,
                "pushAlarm": True,
                "adult": message.adult,
                **brand_fields(message),
                "recipientList": [recipient],
            }
            return url, headers, body
        raise Rejected("unsupported", f"NHN adapter does not send {message.kind}")

    def _sms_request(self, message: Outbound) -> tuple[str, dict[str, str], dict[str, Any]]:
        if not (self.sms_appkey and self.sms_secret):
            raise Rejected("config", "the store's NHN account has no SMS appKey or secret")
        kind = "sms" if message.kind == "SMS" else "mms"  # LMS and MMS: the 장문 MMS endpoint
        path = f"ad-{kind}" if message.is_ad else kind
        body: dict[str, Any] = {
            "body": message.text,
            "sendNo": message.sender_number.replace("-", ""),
            "recipientList": [{"recipientNo": message.to, "recipientGroupingKey": message.send_id}],
        }
        if message.kind != "SMS" and message.title:
            body["title"] = message.title
        if message.kind == "MMS":
            if message.image is None:
                raise Rejected("image", "an MMS needs its picture")
            # The fileId the attachment upload answered (an Integer on NHN's wire).
            body["attachFileIdList"] = [int(message.image.ref)]
        headers = {"X-Secret-Key": self.sms_secret, IDEMPOTENCY_HEADER: message.send_id}
        return f"{self.sms_url}/sms/v3.0/appKeys/{self.sms_appkey}/sender/{path}", headers, body

    def carries_fallback(self, message: Outbound) -> bool:
        # resendParameter: SMS or LMS only. An MMS fallback is sent by Nudge on the delivery report.
        fallback = message.fallback
        return message.kind in ("ALIMTALK", "BRAND_MESSAGE") and (
            fallback is None or fallback.kind in RESEND_KINDS
        )

    def upload_image(self, use: str, name: str, data: bytes) -> str:
        """A brand-message image (`POST /brand-message/v1.0/appkeys/{appKey}/images`, multipart `image` +
        `imageType` = the use: friendtalkupgrade-api-guide.md "이미지 업로드") → `image.imageUrl`; an MMS
        attachment (`POST /sms/v3.0/appKeys/{appKey}/attachfile/binaryUpload`, JSON with the bytes in
        base64 and `createUser`: api-guide.md "첨부 파일 업로드") → `body.data.fileId`."""
        if use == MMS_USE:
            if not (self.sms_appkey and self.sms_secret):
                raise Rejected("config", "the store's NHN account has no SMS appKey or secret")
            url = f"{self.sms_url}/sms/v3.0/appKeys/{self.sms_appkey}/attachfile/binaryUpload"
            body = {"fileName": name, "fileBody": base64.b64encode(data).decode(), "createUser": UPLOADER}
            answer = self._call("POST", url, {"X-Secret-Key": self.sms_secret}, json=body)
            _succeeded(answer)
            file_id = ((answer.get("body") or {}).get("data") or {}).get("fileId")
            if file_id is None:
                raise Rejected("fileId", "NHN answered the upload without a fileId")
            return str(file_id)
        if not (self.kakao_appkey and self.kakao_secret):
            raise Rejected("config", "the store's NHN account has no KakaoTalk appKey or secret")
        url = f"{self.kakao_url}/brand-message/v1.0/appkeys/{self.kakao_appkey}/images"
        answer = self._call(
            "POST",
            url,
            {"X-Secret-Key": self.kakao_secret},
            files={"image": (name, data, _image_mime(name))},
            data={"imageType": use},
        )
        _succeeded(answer)
        image_url = (answer.get("image") or {}).get("imageUrl")
        if not image_url:
            raise Rejected("imageUrl", "NHN answered the upload without an imageUrl")
        return str(image_url)

    # ------------------------------------------------------------------ calls
    def prepare(self, message: Outbound) -> None:
        """Nothing to hold: the send id is the request's idempotency key."""
        return None

    def send(self, message: Outbound, handle: str | None = None) -> Accepted:
        url, headers, body = self.request(message)
        answer = self._call("POST", url, headers, json=body)
        header = answer.get("header") or {}
        code = int(header.get("resultCode", -1))
        if code == ALREADY_REQUESTED:
            return Accepted(gateway_message_id="", already=True)
        if not header.get("isSuccessful") or code != 0:
            raise Rejected(str(code), str(header.get("resultMessage", "")))
        if message.kind in SMS_KINDS:
            data = (answer.get("body") or {}).get("data") or {}
            results = data.get("sendResultList") or []
        else:
            data = answer.get("message") or {}
            results = data.get("sendResults") or []
        for result in results:
            ours = result.get("recipientGroupingKey") == message.send_id
            if ours and int(result.get("resultCode", 0)) != 0:
                raise Rejected(str(result["resultCode"]), str(result.get("resultMessage", "")))
        return Accepted(gateway_message_id=str(data.get("requestId", "")))

    def find(self, message: Outbound, handle: str | None = None) -> Accepted | None:
        """The message list, filtered by our recipientGroupingKey over the last day."""
        now = datetime.now(UTC)
        params = {
            "recipientGroupingKey": message.send_id,
            "startRequestDate": (now - LOOKUP_WINDOW).strftime("%Y-%m-%d %H:%M"),
            "endRequestDate": (now + timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M"),
        }
        if message.kind in SMS_KINDS:
            kind = "sms" if message.kind == "SMS" else "mms"
            url = f"{self.sms_url}/sms/v3.0/appKeys/{self.sms_appkey}/sender/{kind}"
            headers = {"X-Secret-Key": self.sms_secret or ""}
            answer = self._call("GET", url, headers, params=params)
            found = (answer.get("body") or {}).get("data") or []
        else:
            product = "alimtalk/v2.3" if message.kind == "ALIMTALK" else "brand-message/v1.0"
            url = f"{self.kakao_url}/{product}/appkeys/{self.kakao_appkey}/messages"
            answer = self._call("GET", url, {"X-Secret-Key": self.kakao_secret or ""}, params=params)
            found = (answer.get("messageSearchResultResponse") or {}).get("messages") or []
        for item in found:
            if item.get("recipientGroupingKey") == message.send_id:
                return Accepted(gateway_message_id=str(item.get("requestId", "")), already=True)
        return None

    def opt_outs(self, unsubscribe_no: str, since: datetime | None) -> list[OptOut]:
        """Who called the store's 080 number to refuse ads (registered at or after `since`; all without it),
        page by page."""
        if not (self.sms_appkey and self.sms_secret):
            raise Rejected("config", "the store's NHN account has no SMS appKey or secret")
        url = f"{self.sms_url}/sms/v3.0/appKeys/{self.sms_appkey}/blockservice/recipients"
        params: dict[str, Any] = {"unsubscribeNo": unsubscribe_no.replace("-", ""), "pageSize": OPT_OUT_PAGE}
        if since is not None:
            params["startRequestDate"] = since.astimezone(NHN_ZONE).strftime("%Y-%m-%d %H:%M:%S")
        headers = {"X-Secret-Key": self.sms_secret}
        out: list[OptOut] = []
        page = 1
        while True:
            answer = self._call("GET", url, headers, params={**params, "pageNum": page})
            body = answer.get("body") or {}
            entries = body.get("data") or []
            for entry in entries:
                at = datetime.strptime(str(entry["requestDate"])[:19], "%Y-%m-%d %H:%M:%S")
                out.append(OptOut(phone=str(entry["recipientNo"]), at=at.replace(tzinfo=NHN_ZONE)))
            if not entries or len(out) >= int(body.get("totalCount") or 0):
                return out
            page += 1

    def _call(self, method: str, url: str, headers: dict[str, str], **kwargs: Any) -> dict[str, Any]:
        status, reason, answer = call(self.client, method, url, headers=headers, **kwargs)
        if status >= 400:
            header = answer.get("header") or {} if isinstance(answer, dict) else {}
            code = header.get("resultCode", status)
            if int(code) == ALREADY_REQUESTED:
                return answer
            raise Rejected(str(code), str(header.get("resultMessage", reason)))
        return answer if isinstance(answer, dict) else {}


def _succeeded(answer: dict[str, Any]) -> None:
    header = answer.get("header") or {}
    code = int(header.get("resultCode", -1))
    if not header.get("isSuccessful") or code != 0:
        raise Rejected(str(code), str(header.get("resultMessage", "")))


# --- Delivery reports (webhook "MESSAGE_RESULT_UPDATE") ---------------------------------------------------
SIGNATURE_HEADER = "x-toast-webhook-signature"
DELIVERED = "1000"
FELL_BACK = "RSC04"  # resendStatus: the fallback SMS/LMS was delivered


def parse_report(body: bytes) -> list[DeliveryReport]:
    """`{hooksId, appKey, event, hooks:[{recipientGroupingKey, resultCode, resendStatus, receiveDate…}]}`."""
    try:
        data = read_json(body)  # a NudgeError (400 naming the field) when it is no JSON to read
        hooks = data["hooks"]
        if not isinstance(hooks, list):
            raise TypeError("hooks is not a list")
        out = []
        for hook in hooks:
            code = str(hook["resultCode"])
            fell_back = hook.get("resendStatus") == FELL_BACK
            out.append(
                DeliveryReport(
                    send_id=str(hook["recipientGroupingKey"]),
                    delivered=code == DELIVERED or fell_back,
                    code=code,
                    fell_back=fell_back,
                    reported_at=hook.get("receiveDate"),
                )
            )
        return out
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ReportInvalid(f"not an NHN delivery report: {exc}") from exc


REPORT_FORMAT = ReportFormat(parse_report, "header", SIGNATURE_HEADER)
