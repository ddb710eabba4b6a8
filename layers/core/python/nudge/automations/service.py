"""Automations, as the admin API keeps them: saved per store (validated before anything is written), the
ready-made ones (templates) and the repurchase cycles the repurchase reminder reads. Saving one is all it
takes: journeys start with the next matching event (nudge.automations.runs)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from nudge.automations.definitions import (
    AUTOMATION,
    REPURCHASE_CYCLES,
    Automation,
    cycles_document,
    new_automation_id,
    validate_automation,
)
from nudge.automations.templates import TEMPLATES, template_definition
from nudge.catalog import document_or_404, unknown
from nudge.errors import FieldError, InvalidPayload, NotFound
from nudge.ports import Catalog, StoreDirectory
from nudge.profiles.profile import Profile
from nudge.segments.repurchase import learn_cycles, purchases
from nudge.store_settings import get_store


class StoreProfiles(Protocol):
    def store_profiles(self, store_id: str) -> Iterable[Profile]:
        """Every profile of a store (a whole-store read, for an occasional learning job)."""
        ...


@dataclass(frozen=True, slots=True)
class AutomationSetupDependencies:
    """What setting automations up needs (running them: nudge.automations.runs.AutomationDependencies)."""

    stores: StoreDirectory
    catalog: Catalog
    profiles: StoreProfiles


def list_automations(deps: AutomationSetupDependencies, store_id: str) -> list[dict[str, Any]]:
    get_store(deps.stores, store_id)
    return deps.catalog.documents(store_id, AUTOMATION)


def create_automation(
    deps: AutomationSetupDependencies, store_id: str, payload: Any, now: datetime
) -> dict[str, Any]:
    """Validate and save an automation; it starts journeys with the next matching event."""
    store = get_store(deps.stores, store_id)
    automation_id = new_automation_id()
    _, document = validate_automation(payload, store, now, automation_id)
    deps.catalog.put(store_id, AUTOMATION, automation_id, document, create=True)
    return document


def get_automation(deps: AutomationSetupDependencies, store_id: str, automation_id: str) -> dict[str, Any]:
    get_store(deps.stores, store_id)
    return document_or_404(deps.catalog, store_id, Automation, automation_id)


def update_automation(
    deps: AutomationSetupDependencies, store_id: str, automation_id: str, payload: Any, now: datetime
) -> dict[str, Any]:
    """Replace an automation (re-validated). Steps already due fire with the new definition, checked then;
    `"status": "paused"` stops them all."""
    store = get_store(deps.stores, store_id)
    current = get_automation(deps, store_id, automation_id)
    created_at = datetime.fromisoformat(current["created_at"])
    _, document = validate_automation(payload, store, now, automation_id, created_at)
    if not deps.catalog.put(store_id, AUTOMATION, automation_id, document, create=False):
        raise unknown(Automation, automation_id)
    return document


def delete_automation(deps: AutomationSetupDependencies, store_id: str, automation_id: str) -> None:
    """Delete an automation: its due steps stop when their slots fire (no schedule needs deleting)."""
    get_store(deps.stores, store_id)
    if not deps.catalog.delete(store_id, AUTOMATION, automation_id):
        raise unknown(Automation, automation_id)


def automation_templates(deps: AutomationSetupDependencies, store_id: str) -> dict[str, dict[str, Any]]:
    """The ready-made automations, written for this store with their default parameters."""
    store = get_store(deps.stores, store_id)
    return {name: template_definition(name, store, {}) for name in TEMPLATES}


def install_automation_template(
    deps: AutomationSetupDependencies, store_id: str, template: str, payload: Any, now: datetime
) -> dict[str, Any]:
    """Create an automation from a ready-made one; `params` adjust it, `status` may start it paused."""
    store = get_store(deps.stores, store_id)
    if template not in TEMPLATES:
        raise NotFound(f"unknown automation template {template!r}; one of {sorted(TEMPLATES)}")
    body = payload if isinstance(payload, dict) else {}
    unknown = sorted(set(body) - {"params", "status"})
    if unknown:
        raise InvalidPayload("request is not valid", [FieldError(k, "unknown field") for k in unknown])
    definition = template_definition(template, store, body.get("params"))
    if "status" in body:
        definition["status"] = body["status"]
    return create_automation(deps, store_id, definition, now)


def learn_repurchase_cycles(
    deps: AutomationSetupDependencies, store_id: str, now: datetime
) -> dict[str, Any]:
    """Learn the store's repurchase cycles from its order history and keep them for the automations."""
    get_store(deps.stores, store_id)
    document = cycles_document(learn_cycles(purchases(deps.profiles.store_profiles(store_id))), now)
    if not deps.catalog.put(store_id, REPURCHASE_CYCLES, "learned", document, create=False):
        deps.catalog.put(store_id, REPURCHASE_CYCLES, "learned", document, create=True)
    return document
