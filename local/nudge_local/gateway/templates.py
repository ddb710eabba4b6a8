"""AlimTalk template lists, emulated as the real APIs serve them, with the review status of each template.

- NHN (TOAST-DOCS/Alimtalk ko/alimtalk-api-guide.md, "템플릿 리스트 조회"): `GET /alimtalk/v2.3/appkeys/
  {appkey}/senders/{senderKey}/templates?templateCode&templateName&templateStatus&pageNum&pageSize`, the
  Kakao appKey's `X-Secret-Key` (-1001), pageNum from 1, pageSize 15 by default and at most 1,000 (more is
  refused -2000, as NHN's other validation failures are); `{header, templateListResponse{templates[…],
  totalCount}}`, `status` TSC01 요청 / TSC02 검수 중 / TSC03 승인 / TSC04 반려 with its `statusName`.
- Solapi (solapi-nodejs `kakaoTemplateService.getKakaoAlimtalkTemplates`): `GET /kakao/v2/templates?
  channelId&status&startKey&limit`, HMAC-signed (401), limit 20 by default and at most 500 (more: 400);
  `{limit, templateList[…], startKey, nextKey}` with `nextKey` null on the last page; `status` PENDING /
  INSPECTING / APPROVED / REJECTED.

An account's `templates` (code -> text) are those registered with its sender; `template_status` says where
each is in Kakao's review (the gateway's own code), approved for a code it does not name, so accounts made
before statuses existed keep sending. Only an approved template is sent (`nhn_sendable`, `solapi_sendable`:
NHN -3005, Solapi 3040). `set_status` registers a template or moves it through review (tests, the demo,
`POST /_local/gateway/templates`).
"""

from typing import TYPE_CHECKING, Any

from nudge_local.gateway.common import VARIABLE, Answer, answer

if TYPE_CHECKING:
    from nudge_local.gateway.nhn import NhnAccount, NhnCloud
    from nudge_local.gateway.solapi import Solapi, SolapiAccount

NHN_STATUSES = {"TSC01": "요청", "TSC02": "검수 중", "TSC03": "승인", "TSC04": "반려"}
NHN_APPROVED = "TSC03"
NHN_PAGE_MAX = 1000
SOLAPI_STATUSES = ("PENDING", "INSPECTING", "APPROVED", "REJECTED")
SOLAPI_APPROVED = "APPROVED"
SOLAPI_LIMIT_MAX = 500
EPOCH = "2026-01-01T00:00:00Z"  # when the emulated accounts registered their templates


def nhn_sendable(account: "NhnAccount", code: Any) -> bool:
    return code in account.templates and account.template_status.get(code, NHN_APPROVED) == NHN_APPROVED


def solapi_sendable(account: "SolapiAccount", template_id: Any) -> bool:
    status = account.template_status.get(template_id, SOLAPI_APPROVED)
    return template_id in account.templates and status == SOLAPI_APPROVED


def set_status(
    accounts: "list[NhnAccount] | list[SolapiAccount]", code: str, status: str, text: str | None = None
) -> int:
    """Set the review status of template `code` (the gateway's own code) in each account that has it, or
    register it with `text` in every account; how many accounts changed. ValueError for a status the
    account's gateway does not have."""
    changed = 0
    for account in accounts:
        allowed = NHN_STATUSES if hasattr(account, "sender_key") else SOLAPI_STATUSES
        if status not in allowed:
            raise ValueError(f"status must be one of {sorted(allowed)}")
        if text is not None:
            account.templates[code] = text
        if code in account.templates:
            account.template_status[code] = status
            changed += 1
    return changed


# ---------------------------------------------------------------------------------------------- NHN
def _int(value: str | None, default: int) -> int | None:
    try:
        return default if value is None else int(value)
    except ValueError:
        return None


def nhn_list(nhn: "NhnCloud", parts: list[str], headers: dict[str, str], params: dict[str, str]) -> Answer:
    from nudge_local.gateway.nhn import header

    account = nhn._account(parts[3] if len(parts) > 3 else "", headers.get("x-secret-key"), "kakao")
    if account is None:
        return answer(401, {"header": header(-1001, "invalid appKey or secretKey")})
    if len(parts) != 7 or parts[5] != account.sender_key:
        return answer(400, {"header": header(-2000, "unknown senderKey")})
    page, size = _int(params.get("pageNum"), 1), _int(params.get("pageSize"), 15)
    if page is None or size is None or page < 1 or not 1 <= size <= NHN_PAGE_MAX:
        return answer(400, {"header": header(-2000, f"pageNum from 1, pageSize 1 to {NHN_PAGE_MAX}")})
    rows = []
    for code, text in sorted(account.templates.items()):
        status = account.template_status.get(code, NHN_APPROVED)
        if params.get("templateStatus") not in (None, status):
            continue
        if params.get("templateCode") not in (None, code):
            continue
        rows.append(_nhn_item(account, code, text, status))
    listed = {"templates": rows[(page - 1) * size : page * size], "totalCount": len(rows)}
    return answer(200, {"header": header(), "templateListResponse": listed})


def _nhn_item(account: "NhnAccount", code: str, text: str, status: str) -> dict[str, Any]:
    return {
        "plusFriendId": "@local",
        "senderKey": account.sender_key,
        "plusFriendType": "NORMAL",
        "templateCode": code,
        "kakaoTemplateCode": code,
        "templateName": code,
        "templateMessageType": "BA",
        "templateEmphasizeType": "NONE",
        "templateContent": text,
        "buttons": [],
        "quickReplies": [],
        "comments": [],
        "status": status,
        "statusName": NHN_STATUSES[status],
        "securityFlag": False,
        "createDate": "2026-01-01 00:00:00.0",
        "updateDate": "2026-01-01 00:00:00.0",
    }


# ---------------------------------------------------------------------------------------------- Solapi
def solapi_list(solapi: "Solapi", headers: dict[str, str], params: dict[str, str]) -> Answer:
    account = solapi._account(headers.get("authorization"))
    if account is None:
        return answer(401, {"errorCode": "InvalidAPIKey", "errorMessage": "unauthorized"})
    limit = _int(params.get("limit"), 20)
    if limit is None or not 1 <= limit <= SOLAPI_LIMIT_MAX:
        return answer(400, {"errorCode": "ValidationError", "errorMessage": f"limit 1 to {SOLAPI_LIMIT_MAX}"})
    channel, wanted = params.get("channelId"), params.get("status")
    rows = [
        (template_id, text, account.template_status.get(template_id, SOLAPI_APPROVED))
        for template_id, text in sorted(account.templates.items())
        if channel in (None, account.pf_id)
    ]
    rows = [row for row in rows if wanted in (None, row[2])]
    start = params.get("startKey")
    if start:
        rows = [row for row in rows if row[0] >= start]
    page, rest = rows[:limit], rows[limit:]
    return answer(
        200,
        {
            "limit": limit,
            "templateList": [_solapi_item(account, *row) for row in page],
            "startKey": start,
            "nextKey": rest[0][0] if rest else None,
        },
    )


def _solapi_item(account: "SolapiAccount", template_id: str, text: str, status: str) -> dict[str, Any]:
    return {
        "templateId": template_id,
        "name": template_id,
        "channelId": account.pf_id,
        "channelGroupId": None,
        "content": text,
        "isHidden": False,
        "messageType": "BA",
        "emphasizeType": "NONE",
        "securityFlag": False,
        "buttons": [],
        "quickReplies": [],
        "comments": [],
        "commentable": False,
        "status": status,
        "variables": [{"name": name} for name in dict.fromkeys(VARIABLE.findall(text))],
        "dateCreated": EPOCH,
        "dateUpdated": EPOCH,
    }
