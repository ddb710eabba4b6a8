"""NHN Cloud's AlimTalk template list (TOAST-DOCS/Alimtalk ko/alimtalk-api-guide.md, "템플릿 리스트 조회"):

`GET /alimtalk/v2.3/appkeys/{appkey}/senders/{senderKey}/templates?pageNum&pageSize` (pageSize at most
1,000), `X-Secret-Key`; the answer is `{header{resultCode, resultMessage, isSuccessful},
templateListResponse{templates[{templateCode, templateName, templateContent, status, statusName, …}],
totalCount}}`. `status` is TSC01 요청, TSC02 검수 중, TSC03 승인, TSC04 반려; only TSC03 can be sent. The
single-template lookup also documents `block` (차단) and `dormant` (휴면) flags: read here when a list item
carries them, since neither can be sent whatever its status says.
"""

from typing import Any

import httpx

from nudge.adapters.gateways.transport import call
from nudge.alimtalk.service import TemplatesUnavailable
from nudge.alimtalk.templates import GatewayTemplate, TemplateStatus
from nudge.sending.gateway import Rejected, Transient

PAGE_SIZE = 1000  # the most NHN lists a page
STATUSES: dict[str, TemplateStatus] = {
    "TSC01": "requested",
    "TSC02": "inspecting",
    "TSC03": "approved",
    "TSC04": "rejected",
}


def template_of(item: dict[str, Any]) -> GatewayTemplate:
    raw = str(item.get("status") or "")
    label = str(item.get("statusName") or "")
    # A status NHN adds later is not taken for approval: such a template is held back until Nudge knows it.
    status: TemplateStatus = STATUSES.get(raw, "blocked")
    if item.get("block"):
        status, label = "blocked", "차단"
    elif item.get("dormant"):
        status, label = "blocked", "휴면"
    return GatewayTemplate(
        code=str(item["templateCode"]),
        name=str(item.get("templateName") or ""),
        content=str(item.get("templateContent") or ""),
        status=status,
        gateway_status=raw,
        gateway_label=label,
    )


class NhnTemplates:
    provider = "nhn"

    def __init__(
        self,
        client: httpx.Client,
        *,
        kakao_url: str,
        appkey: str | None,
        secret: str | None,
        sender_key: str | None,
    ) -> None:
        self.client = client
        self.kakao_url = kakao_url.rstrip("/")
        self.appkey = appkey
        self.secret = secret
        self.sender_key = sender_key

    def templates(self) -> list[GatewayTemplate]:
        if not (self.appkey and self.secret and self.sender_key):
            raise TemplatesUnavailable(
                "the store's NHN account has no KakaoTalk appKey, secret or sender key"
            )
        url = f"{self.kakao_url}/alimtalk/v2.3/appkeys/{self.appkey}/senders/{self.sender_key}/templates"
        out: list[GatewayTemplate] = []
        page = 1
        while True:
            body = self._page(url, page)
            items = body.get("templates") or []
            out.extend(template_of(item) for item in items)
            if not items or len(out) >= int(body.get("totalCount") or 0):
                return out
            page += 1

    def _page(self, url: str, page: int) -> dict[str, Any]:
        try:
            status, reason, answer = call(
                self.client,
                "GET",
                url,
                headers={"X-Secret-Key": self.secret or ""},
                params={"pageNum": page, "pageSize": PAGE_SIZE},
            )
        except (Transient, Rejected) as exc:
            raise TemplatesUnavailable(f"NHN did not answer ({exc.code}: {exc.message})") from exc
        header = (answer.get("header") or {}) if isinstance(answer, dict) else {}
        if status >= 400 or not header.get("isSuccessful"):
            code = header.get("resultCode", status)
            raise TemplatesUnavailable(f"NHN refused ({code}: {header.get('resultMessage', reason)})")
        return answer.get("templateListResponse") or {}
