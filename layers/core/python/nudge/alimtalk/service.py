"""A store's AlimTalk templates, read from its gateway account: synced (on demand, on the hour), answered to
the admin API, and asked at every save of a campaign or automation that sends one.

`sync` reads the whole list (one call a page), keeps one catalog document per template (written only when
it changed) and the instant of the read, and hands the statuses to the areas whose definitions name
templates (`TemplateUsers`: campaigns, automations), which pause whatever would send a template that is not
approved. The pause is decided from the statuses, not from the change, so a sync that stopped half-way is
completed by the next one. `save_problems` is the check at save: the synced list, read again first when it
is older than FRESH_FOR or does not show a named template approved (one list call), so a template approved
a minute ago is accepted at once.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from compliance import formats
from compliance.message import Message
from nudge.alimtalk.templates import (
    APPROVED,
    SYNC_ID,
    SYNC_KIND,
    TEMPLATE_KIND,
    GatewayTemplate,
    SyncedTemplate,
    SyncState,
    TemplateStatus,
    problem,
)
from nudge.catalog import read
from nudge.errors import BadGateway, Conflict, FieldError
from nudge.ports import Catalog, StoreDirectory
from nudge.store_settings import get_store
from nudge.stores import Store


class TemplatesUnavailable(Exception):
    """The gateway did not give its template list (down, refused the account's key): nothing was synced."""


class TemplateSource(Protocol):
    provider: str

    def templates(self) -> list[GatewayTemplate]:
        """Every template of the store's sender, every page read; TemplatesUnavailable when it cannot."""
        ...


@dataclass(frozen=True, slots=True)
class Paused:
    kind: str  # campaign, automation
    item_id: str
    name: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "id": self.item_id, "name": self.name, "reason": self.reason}


# (store, the reason a template may not be sent or None, now) -> what it paused.
ProblemOf = Callable[[str], str | None]
TemplateUsers = Callable[[Store, ProblemOf, datetime], list[Paused]]


@dataclass(frozen=True, slots=True)
class TemplateDependencies:
    stores: StoreDirectory
    catalog: Catalog
    source_for: Callable[[Store], TemplateSource]  # the store's gateway (it has one)


@dataclass(frozen=True, slots=True)
class Change:
    code: str
    name: str
    before: TemplateStatus | None  # None: new
    after: TemplateStatus | None  # None: no longer listed

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "before": self.before, "after": self.after}


@dataclass(frozen=True, slots=True)
class SyncResult:
    state: SyncState
    templates: list[SyncedTemplate]
    changes: list[Change]
    paused: list[Paused] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            **listing_of(self.state, self.templates),
            "changes": [c.as_dict() for c in self.changes],
            "paused": [p.as_dict() for p in self.paused],
        }


def no_gateway(store: Store) -> str:
    return f"store {store.store_id} has no gateway account: set `gateway` in its settings to send AlimTalk"


def _known(catalog: Catalog, store_id: str) -> dict[str, SyncedTemplate]:
    out = {}
    for document in catalog.documents(store_id, TEMPLATE_KIND):
        template = SyncedTemplate.from_document(document)
        out[template.code] = template
    return out


def _put(catalog: Catalog, store_id: str, kind: str, item_id: str, document: dict[str, Any]) -> None:
    """Write a document whether or not it exists (a concurrent sync may have written it meanwhile)."""
    if not catalog.put(store_id, kind, item_id, document, create=False):
        catalog.put(store_id, kind, item_id, document, create=True)


def sync(
    deps: TemplateDependencies, store: Store, now: datetime, users: Sequence[TemplateUsers] = ()
) -> SyncResult:
    """Read the store's template list from its gateway and keep it; then let `users` pause what would send a
    template that is not approved. ValueError when the store has no gateway, TemplatesUnavailable when the
    gateway does not answer (nothing changes then)."""
    if store.gateway is None:
        raise ValueError(no_gateway(store))
    source = deps.source_for(store)
    listed = {t.code: t for t in source.templates()}
    known = _known(deps.catalog, store.store_id)
    changes: list[Change] = []
    current: dict[str, SyncedTemplate] = {}
    for code, template in sorted(listed.items()):
        old = known.get(code)
        if old is not None and old.same_as(template):
            current[code] = old
            continue
        variables = tuple(formats.variables_in(template.content))
        new = SyncedTemplate(**template.model_dump(), variables=variables, changed_at=now)
        _put(deps.catalog, store.store_id, TEMPLATE_KIND, code, new.model_dump(mode="json"))
        current[code] = new
        if old is None or old.status != new.status:
            changes.append(Change(code, new.name, old.status if old else None, new.status))
    for code in sorted(set(known) - set(listed)):
        deps.catalog.delete(store.store_id, TEMPLATE_KIND, code)
        changes.append(Change(code, known[code].name, known[code].status, None))
    state = SyncState(provider=source.provider, synced_at=now, templates=len(current))
    _put(deps.catalog, store.store_id, SYNC_KIND, SYNC_ID, state.model_dump(mode="json"))

    def problem_of(code: str) -> str | None:
        return problem(code, current.get(code), state.provider)

    paused = [p for user in users for p in user(store, problem_of, now)]
    return SyncResult(state, sorted(current.values(), key=lambda t: t.code), changes, paused)


def listing_of(state: SyncState | None, templates: Iterable[SyncedTemplate]) -> dict[str, Any]:
    return {
        "provider": state.provider if state else None,
        "synced_at": state.synced_at.isoformat() if state else None,
        "templates": [t.model_dump(mode="json") for t in templates],
    }


def listing(deps: TemplateDependencies, store_id: str) -> dict[str, Any]:
    """The store's templates as last synced, and when (None: never)."""
    get_store(deps.stores, store_id)
    state = read(deps.catalog, store_id, SyncState, SYNC_ID)
    return listing_of(state, sorted(_known(deps.catalog, store_id).values(), key=lambda t: t.code))


def sync_now(
    deps: TemplateDependencies, store_id: str, now: datetime, users: Sequence[TemplateUsers] = ()
) -> SyncResult:
    """`sync`, for the admin API: a store without a gateway is a 409, a gateway that does not answer a 502."""
    store = get_store(deps.stores, store_id)
    if store.gateway is None:
        raise Conflict(no_gateway(store))
    try:
        return sync(deps, store, now, users)
    except TemplatesUnavailable as exc:
        raise BadGateway(f"the template list could not be read: {exc}") from exc


def template_fields(messages: Iterable[tuple[str, Message]]) -> list[tuple[str, str]]:
    """(field, code) of each AlimTalk message's template; `messages` are (the message's field, message)."""
    return [
        (f"{where}.template_code", message.template_code)
        for where, message in messages
        if message.channel == "alimtalk" and message.template_code
    ]


def save_problems(
    deps: TemplateDependencies, store: Store, fields: Sequence[tuple[str, str]], now: datetime
) -> list[FieldError]:
    """What keeps these templates (field, code) from being saved: each must be approved at the store's
    gateway. The synced list is read again first unless it is fresh and shows them all approved."""
    if not fields:
        return []
    if store.gateway is None:
        return [FieldError(where, no_gateway(store)) for where, _ in fields]
    provider = store.gateway.provider
    state = read(deps.catalog, store.store_id, SyncState, SYNC_ID)
    known = _known(deps.catalog, store.store_id)
    settled = state is not None and state.fresh(provider, now)
    if not settled or any(problem(code, known.get(code), provider) for _, code in fields):
        try:
            known = {t.code: t for t in sync(deps, store, now).templates}
        except TemplatesUnavailable as exc:
            return [
                FieldError(where, f"template {code} could not be checked: {exc}; try again")
                for where, code in fields
                if known.get(code) is None or known[code].status != APPROVED
            ]
    return [
        FieldError(where, reason)
        for where, code in fields
        if (reason := problem(code, known.get(code), provider)) is not None
    ]
