"""A store's gateway template list, in memory: what a sync reads, changed by the test as Kakao's review
moves on (`set`), or down (`fail`)."""

from nudge.alimtalk.service import TemplateDependencies, TemplatesUnavailable
from nudge.alimtalk.templates import GatewayTemplate, TemplateStatus
from nudge.ports import Catalog, StoreDirectory
from nudge.stores import Store

# The gateway's own code and label for each status (NHN's).
NHN_CODES: dict[str, tuple[str, str]] = {
    "requested": ("TSC01", "요청"),
    "inspecting": ("TSC02", "검수 중"),
    "approved": ("TSC03", "승인"),
    "rejected": ("TSC04", "반려"),
    "blocked": ("TSC03", "차단"),
}


class ListedTemplates:
    """Every store's gateway lists the same templates (code -> GatewayTemplate); `reads` counts list calls."""

    provider = "nhn"

    def __init__(self, approved: tuple[str, ...] = ()) -> None:
        self.listed: dict[str, GatewayTemplate] = {}
        self.down = False
        self.reads = 0
        for code in approved:
            self.set(code, "approved")

    def set(self, code: str, status: TemplateStatus, content: str = "#{name}님, 안내드립니다.") -> None:
        raw, label = NHN_CODES[status]
        self.listed[code] = GatewayTemplate(
            code=code, name=code, content=content, status=status, gateway_status=raw, gateway_label=label
        )

    def remove(self, code: str) -> None:
        del self.listed[code]

    def templates(self) -> list[GatewayTemplate]:
        self.reads += 1
        if self.down:
            raise TemplatesUnavailable("NHN did not answer (timeout: ReadTimeout)")
        return list(self.listed.values())

    def for_store(self, store: Store) -> "ListedTemplates":
        return self


def template_dependencies(
    stores: StoreDirectory, catalog: Catalog, listed: ListedTemplates | None = None
) -> TemplateDependencies:
    source = listed or ListedTemplates()
    return TemplateDependencies(stores=stores, catalog=catalog, source_for=source.for_store)
