"""An AlimTalk template as the store's gateway lists it, and what its status means for a message.

Kakao reviews every AlimTalk template (korea-messaging.md §2.1); only an approved one can be sent, and the
gateway refuses the rest (NHN -3005, Solapi 3040). Each gateway names the review's states its own way (NHN
TSC01–TSC04, Solapi PENDING / INSPECTING / APPROVED / REJECTED; its adapter maps them): Nudge keeps one
status, the gateway's own code and its label beside it, so a refusal can say both ("template SHIP_01 is
under review (TSC02) at NHN").
"""

from datetime import datetime, timedelta
from typing import ClassVar, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict

TemplateStatus = Literal["requested", "inspecting", "approved", "rejected", "blocked"]
APPROVED: TemplateStatus = "approved"
STATUS_WORDS: dict[str, str] = {
    "requested": "requested, not yet under review",
    "inspecting": "under review",
    "approved": "approved",
    "rejected": "rejected",
    "blocked": "blocked",
}
PROVIDER_NAMES = {"nhn": "NHN", "solapi": "Solapi"}
# A synced list older than this is read again before a save decides on it, so a marketer who has just had
# a template approved never waits for the hourly sync.
FRESH_FOR = timedelta(minutes=5)

# Catalog kinds: one document per template (a store may have hundreds; one item could not hold them all)
# and one saying when the list was last read.
TEMPLATE_KIND = "alimtalk-template"
SYNC_KIND = "alimtalk-sync"
SYNC_ID = "last"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GatewayTemplate(_Model):
    """One template as a gateway's list gives it, its status mapped by the gateway's adapter."""

    code: str  # what a message's `template_code` names: NHN's templateCode, Solapi's templateId
    name: str
    content: str
    status: TemplateStatus
    gateway_status: str  # the gateway's own code: TSC02, INSPECTING …
    gateway_label: str  # and its words for it: 검수 중 …


class SyncedTemplate(GatewayTemplate):
    """A template as Nudge last read it from the store's gateway."""

    catalog_kind: ClassVar[str] = TEMPLATE_KIND

    variables: tuple[str, ...]  # the `#{names}` its content holds
    changed_at: AwareDatetime  # when a sync last saw it change (or first saw it)

    @classmethod
    def from_document(cls, document: dict[str, object]) -> Self:
        return cls.model_validate(document)

    def same_as(self, listed: GatewayTemplate) -> bool:
        mine = self.model_dump(include=set(GatewayTemplate.model_fields))
        return GatewayTemplate.model_validate(mine) == listed


class SyncState(_Model):
    catalog_kind: ClassVar[str] = SYNC_KIND

    provider: str
    synced_at: AwareDatetime
    templates: int

    @classmethod
    def from_document(cls, document: dict[str, object]) -> Self:
        return cls.model_validate(document)

    def fresh(self, provider: str, now: datetime) -> bool:
        return self.provider == provider and now - self.synced_at < FRESH_FOR


def problem(code: str, template: SyncedTemplate | None, provider: str) -> str | None:
    """Why a message may not name this template, in words; None when the gateway has it approved."""
    where = PROVIDER_NAMES.get(provider, provider)
    if template is None:
        return f"template {code} is not registered at {where} for this store's sender"
    if template.status == APPROVED:
        return None
    label = template.gateway_status + (f", {template.gateway_label}" if template.gateway_label else "")
    return f"template {code} is {STATUS_WORDS[template.status]} ({label}) at {where}"
