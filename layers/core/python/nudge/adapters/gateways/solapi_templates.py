"""Solapi's AlimTalk template list (solapi-nodejs `services/kakao/templates/kakaoTemplateService.ts`,
`getKakaoAlimtalkTemplates`): `GET /kakao/v2/templates?channelId&startKey&limit` (limit 20 by default, at
most 500: `models/requests/kakao/getKakaoAlimtalkTemplatesRequest.ts`), signed as every Solapi call is
(nudge.adapters.gateways.solapi.authorization). The answer is `{limit, templateList[{templateId, name,
content, status, channelId, …}], startKey, nextKey}` (`models/responses/kakao/
getKakaoAlimtalkTemplatesResponse.ts`); `nextKey` null on the last page. `status` is PENDING 대기,
INSPECTING 검수중, APPROVED 등록완료(검수완료), REJECTED 반려됨
(`models/base/kakao/kakaoAlimtalkTemplate.ts`).
A message names its template by `templateId` (kakaoOptions.templateId), so that is the code kept here.
"""

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from nudge.adapters.gateways.solapi import authorization
from nudge.adapters.gateways.transport import call
from nudge.alimtalk.service import TemplatesUnavailable
from nudge.alimtalk.templates import GatewayTemplate, TemplateStatus
from nudge.sending.gateway import Rejected, Transient

LIMIT = 500  # the most Solapi lists a page
STATUSES: dict[str, tuple[TemplateStatus, str]] = {
    "PENDING": ("requested", "대기"),
    "INSPECTING": ("inspecting", "검수중"),
    "APPROVED": ("approved", "등록완료"),
    "REJECTED": ("rejected", "반려됨"),
}


def template_of(item: dict[str, Any]) -> GatewayTemplate:
    raw = str(item.get("status") or "")
    # A status Solapi adds later is not taken for approval.
    status, label = STATUSES.get(raw, ("blocked", raw))
    return GatewayTemplate(
        code=str(item["templateId"]),
        name=str(item.get("name") or ""),
        content=str(item.get("content") or ""),
        status=status,
        gateway_status=raw,
        gateway_label=label,
    )


class SolapiTemplates:
    provider = "solapi"

    def __init__(
        self,
        client: httpx.Client,
        *,
        base_url: str,
        api_key: str | None,
        api_secret: str | None,
        channel_id: str | None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.api_secret = api_secret
        self.channel_id = channel_id
        self.now = now

    def templates(self) -> list[GatewayTemplate]:
        if not (self.api_key and self.api_secret and self.channel_id):
            raise TemplatesUnavailable("the store's Solapi account has no API key, secret or channel (pf_id)")
        out: list[GatewayTemplate] = []
        start: str | None = None
        while True:
            params: dict[str, Any] = {"channelId": self.channel_id, "limit": LIMIT}
            if start:
                params["startKey"] = start
            page = self._page(params)
            out.extend(template_of(item) for item in page.get("templateList") or [])
            start = page.get("nextKey")
            if not start:
                return out

    def _page(self, params: dict[str, Any]) -> dict[str, Any]:
        date = self.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        headers = {
            "Authorization": authorization(
                self.api_key or "", self.api_secret or "", date, secrets.token_hex(16)
            )
        }
        try:
            status, reason, answer = call(
                self.client, "GET", f"{self.base_url}/kakao/v2/templates", headers=headers, params=params
            )
        except (Transient, Rejected) as exc:
            raise TemplatesUnavailable(f"Solapi did not answer ({exc.code}: {exc.message})") from exc
        if status >= 400 or not isinstance(answer, dict):
            code = answer.get("errorCode", status) if isinstance(answer, dict) else status
            text = answer.get("errorMessage", reason) if isinstance(answer, dict) else reason
            raise TemplatesUnavailable(f"Solapi refused ({code}: {text})")
        return answer
